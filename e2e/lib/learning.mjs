// What a learner does and sees in the learning library: the course catalog
// (/courses: search, shelves, facets, pager), a course's page (enrol, "Your
// progress", contents), its lessons (articles and videos marked as finished,
// a video played with its captions, quizzes answered), the certificate (a printable page with a typed name that is
// never kept, and a signed Open Badges 3.0 credential to download), "My
// learning", and the public page that verifies a credential. Like flows.mjs,
// each helper asserts the page contract it passes through.
//
// Any signed-in learner can do this: a member with an account, or a library
// patron signed in with their card (a guest).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  expectHeading,
  expectPath,
  expectPostsTo,
  expectStatus,
  labelledField,
  mainButton,
  mainNav,
  normalise,
} from './flows.mjs';
import { expectNotice } from './staff.mjs';

/** The quiz pass mark of the demo courses, in percent. */
export const PASS_MARK = 70;

export const ENROLLED_NOTICE = 'You are enrolled. Your progress is kept between visits.';
export const COURSE_FINISHED_NOTICE = 'You finished the course. Your certificate is ready.';
export const QUIZ_COMPLETES_COURSE_NOTICE = 'You finished the course. Get your certificate.';
export const EMPTY_NAME_MESSAGE = 'Type the name to print on the certificate.';
export const TAMPERED_REASON =
  'The signature does not match: the credential was changed after it was signed, or it was not signed with the key it names.';

/**
 * The demo courses with real lessons (`lyceum demo`): their sections, their
 * lessons in order, the lessons finished with "Mark as finished and go on"
 * (`articles`: readings and videos, in order), the video lesson (a 6-second
 * WebM test pattern that `lyceum demo` makes with ffmpeg, with two captions
 * of 3 seconds each), and each quiz question with its right answer and a
 * wrong one.
 */
export const SPREADSHEETS = {
  slug: 'spreadsheets-the-first-steps',
  title: 'Spreadsheets: the first steps',
  level: 'Beginner',
  provider: 'Riverside Learning Lab',
  sections: [
    { title: 'Finding your way around', lessons: ['Cells, rows and columns', 'Your first formula', 'Watch: typing into cells'] },
    { title: 'Putting it to work', lessons: ['A monthly budget in ten minutes', 'Check what you learned'] },
  ],
  articles: ['Cells, rows and columns', 'Your first formula', 'Watch: typing into cells', 'A monthly budget in ten minutes'],
  video: {
    title: 'Watch: typing into cells',
    seconds: 6,
    captions: ['Click a cell, or move to it with the arrow keys.', 'Type, then press Enter to move down or Tab to move right.'],
  },
  quiz: {
    title: 'Check what you learned',
    questions: [
      { text: 'What is the name of the cell in column C, row 4?', answer: 'C4', wrong: '4C' },
      { text: 'Which formula adds up the cells B2 to B6?', answer: '=SUM(B2:B6)', wrong: 'SUM B2 to B6' },
      { text: 'A cell shows #####. What does it usually mean?', answer: 'The column is too narrow for the number', wrong: 'The file is damaged' },
    ],
  },
};

export const STAYING_SAFE = {
  slug: 'staying-safe-online',
  title: 'Staying safe online',
  level: 'Beginner',
  provider: 'Riverside Learning Lab',
  sections: [
    { title: 'Scams and how to spot them', lessons: ['The signs of a scam message', 'Watch: checking where a link goes'] },
    { title: 'Passwords and accounts', lessons: ['Passwords you can remember', 'Check what you learned'] },
  ],
  articles: ['The signs of a scam message', 'Watch: checking where a link goes', 'Passwords you can remember'],
  video: {
    title: 'Watch: checking where a link goes',
    seconds: 6,
    captions: [
      'Before you open a link, look at the address it really goes to.',
      "If it is not the organisation's own website, do not open it.",
    ],
  },
  quiz: {
    title: 'Check what you learned',
    questions: [
      {
        text: 'A text says your bank account is locked and asks for the code it just sent you. What do you do?',
        answer: 'Ignore it and contact the bank using its official number',
      },
      { text: 'Which is the strongest password?', answer: 'copper-lantern-meadow-spoon' },
      { text: 'Which account most needs its own password?', answer: 'Your email' },
    ],
  },
};

/** Every lesson of `course`, in order. */
export function lessonsOf(course) {
  return course.sections.flatMap((s) => s.lessons);
}

// ---------------------------------------------------------------- catalog

/** "Courses" (/courses): the search form. Returns its field and button. */
export async function expectCatalogPage(page) {
  await expectPath(page, '/courses');
  await expectHeading(page, 'Courses');
  const query = await labelledField(page, 'q', 'Search courses by title, topic or skill');
  const search = await mainButton(page, 'Search');
  const form = await search.evaluate((b) => b.form && { method: b.form.method, action: new URL(b.form.action).pathname });
  assert.deepEqual(form, { method: 'get', action: '/courses' }, 'the course search should be a GET form to /courses');
  const filters = page.locator('main').getByRole('navigation', { name: 'Filter courses', exact: true });
  assert.equal(await filters.count(), 1, `the catalog should have a nav landmark "Filter courses" on ${page.url()}`);
  return { query, search, filters };
}

/** Follows the main nav's "Courses" link to the catalog. */
export async function openCatalogFromNav(visitor) {
  const link = mainNav(visitor.page).getByRole('link', { name: 'Courses', exact: true });
  assert.equal(await link.count(), 1, `the main nav should have a "Courses" link on ${visitor.page.url()}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
  return expectCatalogPage(visitor.page);
}

/** The results heading ("N matching courses", "All courses (N)") and the courses listed as cards. */
export async function catalogResults(page) {
  const results = page.locator('main section.results');
  assert.equal(await results.count(), 1, `the catalog should have one results section on ${page.url()}`);
  const heading = normalise(await results.locator('h2').first().textContent());
  const cards = await courseCards(results);
  return { heading, cards };
}

/** The course cards inside `scope`: list items whose h3 links to /courses/{slug}. */
export async function courseCards(scope) {
  const cards = await scope.locator('li.course-card').evaluateAll((items) =>
    items.map((li) => {
      const links = li.querySelectorAll('h3 a[href]');
      return {
        links: links.length,
        title: (links[0]?.textContent ?? '').replace(/\s+/g, ' ').trim(),
        href: links[0]?.getAttribute('href') ?? null,
        text: li.textContent.replace(/\s+/g, ' ').trim(),
      };
    }),
  );
  for (const card of cards) {
    assert.equal(card.links, 1, `each course card should have one h3 link; this one has ${card.links}: "${card.text.slice(0, 120)}"`);
    assert.match(card.href, /^\/courses\/[a-z0-9-]+$/, `a course card should link to /courses/{slug}, it links to ${card.href}`);
  }
  return cards;
}

/** A shelf on the unfiltered catalog ("New this week", "Popular with learners"): its cards. */
export async function shelf(page, title) {
  const section = page.locator('main').getByRole('region', { name: title, exact: true });
  assert.equal(await section.count(), 1, `the catalog should have a "${title}" shelf on ${page.url()}`);
  return courseCards(section);
}

/** Types `text` into the course search and submits it. Returns the results. */
export async function searchCourses(visitor, text) {
  const { page } = visitor;
  const { query, search } = await expectCatalogPage(page);
  await query.fill(text);
  await expectStatus(await visitor.follow(() => search.click()), 200);
  await expectCatalogPage(page);
  assert.equal(new URL(page.url()).searchParams.get('q'), text, 'the search should be in the address as ?q=');
  assert.equal(await page.locator('main [name="q"]').inputValue(), text, 'the search field should keep what was searched');
  return catalogResults(page);
}

/** A facet group of "Filter courses" (Skill, Level, Length, Provider, Language): its list. */
function facetGroup(page, group) {
  return page
    .locator('main nav[aria-label="Filter courses"] h3')
    .filter({ hasText: new RegExp(`^\\s*${group}\\s*$`) })
    .locator('xpath=following-sibling::ul[1]');
}

/** The values a facet group offers, as "Name (n courses)". */
export async function facetValues(page, group) {
  const list = facetGroup(page, group);
  assert.equal(await list.count(), 1, `"Filter courses" should have a "${group}" group on ${page.url()}`);
  return (await list.locator('li').allTextContents()).map(normalise);
}

/**
 * Follows the link of `value` in the facet group `group`; the group then
 * shows the chosen value with a "remove" link. Returns the results.
 */
export async function applyFacet(visitor, group, value) {
  const { page } = visitor;
  const list = facetGroup(page, group);
  assert.equal(await list.count(), 1, `"Filter courses" should have a "${group}" group on ${page.url()}`);
  const link = list.getByRole('link', { name: value, exact: true });
  assert.equal(await link.count(), 1, `the "${group}" group should offer a "${value}" link on ${page.url()}`);
  const item = normalise(await list.locator('li').filter({ has: page.getByRole('link', { name: value, exact: true }) }).textContent());
  // The count is "(n courses)", its word hidden but for screen readers; the
  // app writes "courses" even for one ("(1 courses)"), so either is accepted.
  assert.match(item, new RegExp(`^${escapeRegExp(value)} \\(\\d+ courses? ?\\)$`), `the "${value}" filter should say how many courses it has; it says "${item}"`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
  await expectCatalogPage(page);
  const chosen = normalise(await facetGroup(page, group).textContent());
  assert.ok(chosen.startsWith(value), `the "${group}" group should show the chosen "${value}"; it says "${chosen}"`);
  assert.equal(await removeLink(page, group).count(), 1, `the chosen "${value}" should have a "remove" link`);
  return catalogResults(page);
}

function removeLink(page, group) {
  return facetGroup(page, group).getByRole('link', { name: /^remove\b/ });
}

/** Follows the "remove" link of the filter chosen in `group`. Returns the results. */
export async function removeFacet(visitor, group) {
  const { page } = visitor;
  const link = removeLink(page, group);
  assert.equal(await link.count(), 1, `the "${group}" group should have one "remove" link on ${page.url()}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
  await expectCatalogPage(page);
  assert.equal(await removeLink(page, group).count(), 0, `after removing it, the "${group}" filter should no longer be chosen`);
  return catalogResults(page);
}

/** Follows the card link of `course` on the catalog. */
export async function openCourseFromCatalog(visitor, course) {
  const { page } = visitor;
  const link = page.locator('main section.results li.course-card h3').getByRole('link', { name: course.title, exact: true });
  assert.equal(await link.count(), 1, `the results should list "${course.title}" once on ${page.url()}`);
  assert.equal(await link.getAttribute('href'), `/courses/${course.slug}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
}

// ---------------------------------------------------------------- a course

/** The summary list of a course page, as { term: description }. */
async function courseSummary(page) {
  return page.locator('main dl.summary').evaluate((dl) =>
    Object.fromEntries(
      [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling?.textContent.replace(/\s+/g, ' ').trim()]),
    ),
  );
}

/** A section of main, found by the accessible name its heading gives it. */
function region(page, name) {
  return page.locator('main').getByRole('region', { name, exact: true });
}

/**
 * A course's page: its title, summary (Level, Length, Language, From,
 * Instructor, Skills), the contents by section, and either "Take this
 * course" (with an Enrol button for a signed-in learner, links to sign in
 * otherwise) or "Your progress". Returns what the enrol box offers and says.
 */
export async function expectCoursePage(page, course) {
  await expectPath(page, `/courses/${course.slug}`);
  await expectHeading(page, course.title);
  const summary = await courseSummary(page);
  assert.deepEqual(
    Object.keys(summary),
    ['Level', 'Length', 'Language', 'From', 'Instructor', 'Skills'],
    `the course summary should list Level, Length, Language, From, Instructor and Skills; it lists ${JSON.stringify(summary)}`,
  );
  assert.equal(summary.Level, course.level);
  assert.equal(summary.From, course.provider);
  assert.match(summary.Length, new RegExp(`, ${lessonsOf(course).length} lessons$`), 'the length should count the lessons');

  const contents = region(page, 'Contents');
  assert.equal(await contents.count(), 1, `a course page should have a "Contents" section on ${page.url()}`);
  const sections = await contents.locator('h3').allTextContents();
  assert.deepEqual(sections.map(normalise), course.sections.map((s) => s.title), 'the contents should show the course\'s sections');
  const items = contents.locator('ol.outline > li');
  assert.equal(await items.count(), lessonsOf(course).length, 'the contents should list every lesson');
  const lessons = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    const link = item.locator('a');
    lessons.push({
      text: normalise(await item.textContent()),
      href: (await link.count()) === 1 ? await link.getAttribute('href') : null,
    });
  }
  lessonsOf(course).forEach((title, i) =>
    assert.ok(lessons[i].text.startsWith(title), `lesson ${i + 1} should be "${title}"; the contents say "${lessons[i].text}"`),
  );

  const take = region(page, 'Take this course');
  const progress = region(page, 'Your progress');
  const [takeCount, progressCount] = [await take.count(), await progress.count()];
  assert.equal(takeCount + progressCount, 1, `a course page should have one of "Take this course" and "Your progress" on ${page.url()}`);
  if (takeCount === 1) {
    const enrol = take.getByRole('button', { name: 'Enrol', exact: true });
    const signInLinks = await take.getByRole('link').evaluateAll((links) =>
      links.map((a) => ({ name: a.textContent.replace(/\s+/g, ' ').trim(), href: a.getAttribute('href') })),
    );
    if ((await enrol.count()) === 1) await expectPostsTo(enrol, `/courses/${course.slug}/enrol`);
    return { enrolled: false, enrol: (await enrol.count()) === 1 ? enrol : null, signInLinks, lessons };
  }
  const bar = progress.locator('progress');
  assert.equal(await bar.count(), 1, 'the "Your progress" section should have a <progress>');
  const said = normalise(await progress.textContent());
  const counted = /(\d+) of (\d+) lessons finished/.exec(said);
  assert.ok(counted, `"Your progress" should say "N of M lessons finished"; it says "${said}"`);
  const [finished, total] = [Number(counted[1]), Number(counted[2])];
  assert.equal(total, lessonsOf(course).length);
  assert.equal(Number(await bar.getAttribute('value')), finished, 'the <progress> value should be the lessons finished');
  assert.equal(Number(await bar.getAttribute('max')), total, 'the <progress> max should be the number of lessons');
  for (const [i, lesson] of lessons.entries()) {
    assert.ok(lesson.href?.startsWith(`/courses/${course.slug}/lessons/`), `once enrolled, lesson ${i + 1} should be a link; it is "${lesson.text}"`);
  }
  return { enrolled: true, finished, total, progress, lessons };
}

/** Presses Enrol on the course page; lands back on it with the notice and 0 lessons finished. */
export async function enrol(visitor, course) {
  const { page } = visitor;
  const before = await expectCoursePage(page, course);
  assert.ok(before.enrol, `a signed-in learner should see an "Enrol" button on ${page.url()}`);
  await expectStatus(await visitor.follow(() => before.enrol.click()), 200);
  const after = await expectCoursePage(page, course);
  await expectNotice(page, ENROLLED_NOTICE);
  assert.equal(after.enrolled, true, 'after enrolling, the course page should show "Your progress"');
  assert.equal(after.finished, 0, 'nothing is finished just after enrolling');
  return after;
}

/** Follows the button-link in "Your progress" ("Start the first lesson", "Resume where you left off"). */
export async function followProgressLink(visitor, name) {
  const link = region(visitor.page, 'Your progress').getByRole('link', { name, exact: true });
  assert.equal(await link.count(), 1, `"Your progress" should have a "${name}" link on ${visitor.page.url()}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
}

// ---------------------------------------------------------------- lessons

/** A lesson page: the breadcrumb back to the course, the lesson's title and its body. */
export async function expectLessonPage(page, course, title) {
  assert.match(new URL(page.url()).pathname, new RegExp(`^/courses/${course.slug}/lessons/[^/]+(/quiz)?$`), `expected a lesson of ${course.slug}, at ${page.url()}`);
  await expectHeading(page, title);
  const crumb = page.locator('main').getByRole('navigation', { name: 'Breadcrumb', exact: true });
  assert.equal(await crumb.count(), 1, `a lesson page should have a "Breadcrumb" nav on ${page.url()}`);
  const back = crumb.getByRole('link', { name: course.title, exact: true });
  assert.equal(await back.getAttribute('href'), `/courses/${course.slug}`, 'the breadcrumb should link back to the course');
  const index = lessonsOf(course).indexOf(title);
  assert.ok(normalise(await crumb.textContent()).endsWith(`Lesson ${index + 1} of ${lessonsOf(course).length}`), 'the breadcrumb should say which lesson this is');
  const body = page.locator('main .lesson-body');
  assert.equal(await body.count(), 1, 'a lesson should have a body');
  assert.ok(normalise(await body.textContent()).length > 0, 'the lesson body should not be empty');
}

/**
 * On each article of `course` in turn (readings and videos), starting on the
 * first, presses "Mark as finished and go on" and lands on the next lesson;
 * ends on the quiz. With `finishesCourse` (the quiz is passed already), the
 * last article finishes the course and lands on the course page instead.
 * With `watch`, the video lesson is played first (see watchVideo), and its
 * addresses are returned.
 */
export async function readArticles(visitor, course, { finishesCourse = false, watch = false } = {}) {
  const { page } = visitor;
  const lessons = lessonsOf(course);
  let watched = null;
  for (const [i, title] of course.articles.entries()) {
    await expectLessonPage(page, course, title);
    if (course.video?.title === title) {
      watched = watch ? await watchVideo(page, course.video) : await expectVideoLesson(page, course.video);
    }
    const button = await mainButton(page, 'Mark as finished and go on');
    const form = await button.evaluate((b) => new URL(b.form.action).pathname);
    assert.match(form, new RegExp(`^/courses/${course.slug}/lessons/[^/]+/complete$`), 'the button should post to the lesson\'s /complete');
    await expectStatus(await visitor.follow(() => button.click()), 200);
    if (finishesCourse && i === course.articles.length - 1) await expectPath(page, `/courses/${course.slug}`);
    else await expectLessonPage(page, course, lessons[lessons.indexOf(title) + 1]);
  }
  return { watched };
}

// ---------------------------------------------------------------- videos

/**
 * A video lesson (its lesson page checked already): a <video controls
 * preload="metadata"> with one WebM <source> at the lesson's /video and a
 * default captions <track> at its /captions.vtt, then the lesson text and a
 * "Transcript" <details> holding the captions' text. `video` is
 * { captions: [text, …] } (no captions: no track and no transcript). Returns
 * the video's and the captions' addresses.
 */
export async function expectVideoLesson(page, video) {
  const lesson = new URL(page.url()).pathname;
  const element = page.locator('main video');
  assert.equal(await element.count(), 1, `a video lesson should have one <video> in main on ${page.url()}`);
  const found = await element.evaluate((v) => ({
    controls: v.hasAttribute('controls'),
    preload: v.getAttribute('preload'),
    sources: [...v.querySelectorAll('source')].map((s) => ({ src: s.getAttribute('src'), type: s.getAttribute('type') })),
    tracks: [...v.querySelectorAll('track')].map((t) => ({
      kind: t.getAttribute('kind'),
      src: t.getAttribute('src'),
      srclang: t.getAttribute('srclang'),
      label: t.getAttribute('label'),
      default: t.hasAttribute('default'),
    })),
  }));
  assert.ok(found.controls, 'the video should show the browser\'s controls');
  assert.equal(found.preload, 'metadata', 'the video should load its metadata only, until it is played');
  assert.deepEqual(found.sources, [{ src: `${lesson}/video`, type: 'video/webm' }], 'the video should have one WebM source at the lesson\'s /video');
  const captions = video.captions ?? [];
  const transcript = page.locator('main details.transcript');
  if (captions.length === 0) {
    assert.deepEqual(found.tracks, [], 'a video without captions should have no <track>');
    return { videoUrl: found.sources[0].src, captionsUrl: null };
  }
  assert.deepEqual(
    found.tracks,
    [{ kind: 'captions', src: `${lesson}/captions.vtt`, srclang: 'en', label: 'Captions', default: true }],
    'the video should have one default English captions track at the lesson\'s /captions.vtt',
  );
  assert.equal(await transcript.count(), 1, `a video with captions should have a "Transcript" <details> on ${page.url()}`);
  assert.equal(normalise(await transcript.locator('summary').textContent()), 'Transcript');
  const said = normalise(await transcript.textContent());
  for (const caption of captions) assert.ok(said.includes(caption), `the transcript should say "${caption}"; it says "${said}"`);
  return { videoUrl: found.sources[0].src, captionsUrl: found.tracks[0].src };
}

/**
 * Checks the video lesson the visitor is on (expectVideoLesson), then plays
 * it in Chromium: the metadata loads (readyState ≥ 1) and gives the length
 * (`video.seconds`, about), the video plays past half a second (muted, as
 * autoplay rules ask of a play() no person clicked), and the captions track
 * loads one cue per caption, with their text. Asks for the first 100 bytes
 * of the video as a browser seeking would: 206, Content-Range and
 * Accept-Ranges. Returns the addresses.
 */
export async function watchVideo(page, video) {
  const urls = await expectVideoLesson(page, video);
  const element = page.locator('main video');
  await page
    .waitForFunction(() => document.querySelector('main video').readyState >= 1, null, { timeout: 10_000 })
    .catch(async () => assert.fail(`the video's metadata did not load on ${page.url()}: ${JSON.stringify(await mediaState(element))}`));
  const duration = await element.evaluate((v) => v.duration);
  if (video.seconds !== undefined) {
    assert.ok(Math.abs(duration - video.seconds) < 0.5, `the video should last about ${video.seconds} s; it lasts ${duration} s`);
  }
  const played = await element.evaluate(async (v) => {
    v.muted = true;
    try {
      await v.play();
      return null;
    } catch (err) {
      return String(err);
    }
  });
  assert.equal(played, null, `the video should play on ${page.url()}`);
  await page
    .waitForFunction(() => document.querySelector('main video').currentTime > 0.5, null, { timeout: 10_000 })
    .catch(async () => assert.fail(`the video did not play past 0.5 s on ${page.url()}: ${JSON.stringify(await mediaState(element))}`));
  await element.evaluate((v) => v.pause());

  if (urls.captionsUrl) {
    const captions = video.captions;
    await element.evaluate((v) => {
      if (v.textTracks[0].mode === 'disabled') v.textTracks[0].mode = 'hidden';
    });
    await page
      .waitForFunction((n) => document.querySelector('main video').textTracks[0]?.cues?.length === n, captions.length, { timeout: 10_000 })
      .catch(async () => assert.fail(`the captions track should load ${captions.length} cues on ${page.url()}: ${JSON.stringify(await mediaState(element))}`));
    const cues = await element.evaluate((v) => [...v.textTracks[0].cues].map((c) => c.text));
    assert.deepEqual(cues, captions, 'the captions track should hold the captions, in order');
  }

  const range = await page.request.get(urls.videoUrl, { headers: { Range: 'bytes=0-99' } });
  await expectStatus(range, 206);
  const headers = range.headers();
  assert.match(headers['content-range'] ?? '', /^bytes 0-99\/\d+$/, `a range of the video should say which bytes it holds; Content-Range is ${headers['content-range']}`);
  assert.equal(headers['accept-ranges'], 'bytes', 'the video should say it serves byte ranges');
  assert.equal((await range.body()).length, 100, 'bytes 0-99 are 100 bytes');
  assert.match(headers['content-type'] ?? '', /^video\/webm\b/, 'the video should be served as video/webm');
  return urls;
}

/** What a <video> says about itself, to read beside a failure. */
function mediaState(element) {
  return element.evaluate((v) => ({
    readyState: v.readyState,
    networkState: v.networkState,
    duration: v.duration,
    currentTime: v.currentTime,
    paused: v.paused,
    error: v.error && { code: v.error.code, message: v.error.message },
    tracks: [...v.textTracks].map((t) => ({ mode: t.mode, cues: t.cues?.length ?? null })),
  }));
}

/**
 * The quiz form: one fieldset per question (legend "1. question"), radio
 * buttons labelled by the choices, and "Check my answers". Returns the
 * fieldsets and the button.
 */
export async function expectQuizForm(page, course) {
  const form = page.locator('main form.quiz');
  assert.equal(await form.count(), 1, `expected one quiz form on ${page.url()}`);
  const fieldsets = form.locator('fieldset');
  const legends = (await fieldsets.locator('legend').allTextContents()).map(normalise);
  assert.deepEqual(
    legends,
    course.quiz.questions.map((q, i) => `${i + 1}. ${q.text}`),
    'each question should be a fieldset whose legend is its number and text',
  );
  for (const [i, q] of course.quiz.questions.entries()) {
    const radio = fieldsets.nth(i).getByRole('radio', { name: q.answer, exact: true });
    assert.equal(await radio.count(), 1, `question ${i + 1} should offer "${q.answer}" as a labelled radio button`);
  }
  const submit = await mainButton(page, 'Check my answers');
  await expectPostsTo(submit, `${new URL(page.url()).pathname.replace(/\/quiz$/, '')}/quiz`);
  return { fieldsets, submit };
}

/**
 * Answers the quiz with `choices` (one label per question) and presses
 * "Check my answers". Returns the result's heading, parsed.
 */
export async function answerQuiz(visitor, course, choices) {
  const { page } = visitor;
  await expectLessonPage(page, course, course.quiz.title);
  const { fieldsets, submit } = await expectQuizForm(page, course);
  for (const [i, choice] of choices.entries()) {
    await fieldsets.nth(i).getByRole('radio', { name: choice, exact: true }).check();
  }
  await expectStatus(await visitor.follow(() => submit.click()), 200);
  return expectQuizResult(page, course, choices);
}

/**
 * The result of a quiz: the heading "Passed: X of Y right (P%)" or "Not
 * passed yet: …", and per question the answer given, whether it was right
 * and an explanation. Returns { passed, right, total, percent, feedback }.
 */
export async function expectQuizResult(page, course, choices) {
  await expectLessonPage(page, course, course.quiz.title);
  const result = page.locator('main section.quiz-result');
  assert.equal(await result.count(), 1, `the quiz result should be one section on ${page.url()}`);
  const heading = normalise(await result.locator('h2').first().textContent());
  const parsed = /^(Passed|Not passed yet): (\d+) of (\d+) right \((\d+)%\)$/.exec(heading);
  assert.ok(parsed, `the quiz result should be headed "Passed: X of Y right (P%)" or "Not passed yet: …"; it says "${heading}"`);
  const [right, total, percent] = parsed.slice(2).map(Number);
  assert.equal(total, course.quiz.questions.length);
  assert.ok(Math.abs(percent - (100 * right) / total) < 1, `${percent}% should be ${right} of ${total} as a percentage`);
  const passed = parsed[1] === 'Passed';
  assert.equal(passed, percent >= PASS_MARK, `${percent}% should ${percent >= PASS_MARK ? '' : 'not '}pass with a pass mark of ${PASS_MARK}%`);

  const items = result.locator('ol.feedback > li');
  assert.equal(await items.count(), total, 'the result should give feedback on every question');
  const feedback = [];
  for (const [i, q] of course.quiz.questions.entries()) {
    const text = normalise(await items.nth(i).textContent());
    assert.ok(text.startsWith(q.text), `feedback ${i + 1} should repeat the question "${q.text}"; it says "${text}"`);
    assert.ok(text.includes(`Your answer: ${choices[i]}`), `feedback ${i + 1} should repeat the answer "${choices[i]}"; it says "${text}"`);
    const wasRight = choices[i] === q.answer;
    if (wasRight) assert.ok(/ — right\b/.test(text), `feedback ${i + 1} should say the answer is right; it says "${text}"`);
    else assert.ok(text.includes(`not right; the answer is ${q.answer}`), `feedback ${i + 1} should say "not right" and give the answer; it says "${text}"`);
    const explanation = items.nth(i).locator('.hint');
    assert.equal(await explanation.count(), 1, `feedback ${i + 1} should have an explanation`);
    assert.ok(normalise(await explanation.textContent()).length > 0, `the explanation of question ${i + 1} should not be empty`);
    feedback.push({ text, wasRight });
  }
  assert.equal(right, feedback.filter((f) => f.wasRight).length, 'the score should count the right answers');
  // Not passed: the form is there again to retry; passed: it is not.
  assert.equal(await page.locator('main form.quiz').count(), passed ? 0 : 1, passed ? 'a passed quiz needs no form' : 'a quiz not passed yet should offer the form again');
  return { passed, right, total, percent, feedback };
}

// ---------------------------------------------------------------- certificate

/**
 * The certificate page of a finished course: the "Name to print" form and
 * the "Download the credential" link. Returns the field, the button and the
 * link.
 */
export async function expectCertificatePage(page, course) {
  await expectPath(page, `/courses/${course.slug}/certificate`);
  await expectHeading(page, `Your certificate: ${course.title}`);
  const name = await labelledField(page, 'name', 'Name to print');
  assert.equal(await name.getAttribute('autocomplete'), 'off', 'the browser should not remember the printed name');
  const submit = await mainButton(page, 'Show the certificate to print');
  await expectPostsTo(submit, `/courses/${course.slug}/certificate`);
  const download = page.locator('main').getByRole('link', { name: 'Download the credential', exact: true });
  assert.equal(await download.count(), 1, `the certificate page should have a "Download the credential" link on ${page.url()}`);
  assert.equal(await download.getAttribute('href'), `/courses/${course.slug}/credential.json`);
  return { name, submit, download };
}

/** Follows "Get your certificate" on the course page. */
export async function openCertificate(visitor, course) {
  const link = visitor.page.locator('main').getByRole('link', { name: 'Get your certificate', exact: true });
  assert.equal(await link.count(), 1, `a finished course should offer "Get your certificate" on ${visitor.page.url()}`);
  assert.equal(await link.getAttribute('href'), `/courses/${course.slug}/certificate`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
  return expectCertificatePage(visitor.page, course);
}

/** Types `name` and asks for the certificate to print; checks it, on screen and in print. */
export async function printCertificate(visitor, course, name) {
  const { page } = visitor;
  const form = await expectCertificatePage(page, course);
  await form.name.fill(name);
  await expectStatus(await visitor.follow(() => form.submit.click()), 200);
  await expectHeading(page, 'Certificate of completion');
  const certificate = page.locator('main .certificate');
  assert.equal(await certificate.count(), 1, 'the printable certificate should be in main');
  assert.equal(normalise(await certificate.locator('.certificate-name').textContent()), name, 'the certificate should carry the typed name');
  assert.equal(normalise(await certificate.locator('.certificate-course').textContent()), course.title, 'the certificate should name the course');

  // Printed, the page is the certificate alone: no header, no footer, no hints.
  await page.emulateMedia({ media: 'print' });
  try {
    assert.equal(await page.locator('.site-header').isVisible(), false, 'the site header should not be printed');
    assert.equal(await page.locator('.site-footer').isVisible(), false, 'the site footer should not be printed');
    assert.equal(await page.locator('main .no-print').isVisible(), false, 'the instructions should not be printed');
    assert.equal(await certificate.isVisible(), true, 'the certificate should be printed');
    assert.equal(await certificate.locator('.certificate-name').isVisible(), true, 'the name should be printed');
  } finally {
    await page.emulateMedia({ media: null });
  }
  assert.equal(await page.locator('.site-header').isVisible(), true, 'on screen the header is back');
  return normalise(await certificate.textContent());
}

/**
 * Clicks "Download the credential" and reads the file the browser saved.
 * Returns its name, where the browser saved it, its text and the parsed JSON.
 */
export async function downloadCredential(page, course) {
  const link = page.locator('main').getByRole('link', { name: 'Download the credential', exact: true });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const failure = await download.failure();
  assert.equal(failure, null, `the download of ${download.url()} failed: ${failure}`);
  const path = await download.path();
  const text = await readFile(path, 'utf8');
  let credential;
  try {
    credential = JSON.parse(text);
  } catch (err) {
    assert.fail(`the credential is not JSON: ${err.message}\n${text.slice(0, 300)}`);
  }
  return { filename: download.suggestedFilename(), path, text, credential };
}

/** The credential is an Open Badges 3.0 credential for `course`, signed with eddsa-jcs-2022. */
export function expectOpenBadgeCredential(credential, course, server) {
  assert.ok(credential.type?.includes('VerifiableCredential') && credential.type?.includes('OpenBadgeCredential'), `the credential's type should be VerifiableCredential and OpenBadgeCredential: ${JSON.stringify(credential.type)}`);
  assert.ok(credential['@context']?.includes('https://www.w3.org/ns/credentials/v2'), 'the credential should use the VC 2.0 context');
  assert.ok(credential['@context']?.some((c) => /purl\.imsglobal\.org\/spec\/ob\/v3p0\/context/.test(c)), 'the credential should use the Open Badges 3.0 context');
  assert.equal(credential.name, course.title);
  assert.equal(credential.credentialSubject?.achievement?.name, course.title, 'the achievement should be the course');
  assert.equal(credential.credentialSubject?.achievement?.id, `${server.url}/courses/${course.slug}`);
  assert.equal(credential.proof?.type, 'DataIntegrityProof');
  assert.equal(credential.proof?.cryptosuite, 'eddsa-jcs-2022');
  assert.match(credential.proof?.verificationMethod ?? '', /^did:key:z6Mk/, 'the proof should name an Ed25519 did:key');
  assert.match(credential.proof?.proofValue ?? '', /^z[1-9A-HJ-NP-Za-km-z]+$/, 'the proof value should be multibase base58btc');
  assert.match(credential.id ?? '', /^urn:uuid:/, 'the credential should have a urn:uuid id');
}

// ---------------------------------------------------------------- verify

/** "Verify a certificate": the paste box, the file input and "Verify". */
export async function expectVerifyPage(page) {
  await expectPath(page, '/credentials/verify');
  await expectHeading(page, 'Verify a certificate');
  const paste = await labelledField(page, 'credential', 'Paste the credential');
  assert.equal(await paste.evaluate((el) => el.tagName.toLowerCase()), 'textarea', '"Paste the credential" should be a textarea');
  const file = await labelledField(page, 'file', 'Or choose the credential file');
  assert.equal(await file.getAttribute('type'), 'file', '"Or choose the credential file" should be a file input');
  const submit = await mainButton(page, 'Verify');
  await expectPostsTo(submit, '/credentials/verify');
  assert.equal(await submit.evaluate((b) => b.form.enctype), 'multipart/form-data', 'a file can only be sent in a multipart form');
  return { paste, file, submit };
}

/**
 * Verifies a credential on /credentials/verify, by pasting `text` or
 * choosing the file at `path`. Returns the result: valid or not, what the
 * summary list says, and the reason when it is not valid.
 */
export async function verifyCredential(visitor, { text, path }) {
  const { page } = visitor;
  await expectStatus(await visitor.goto('/credentials/verify'), 200);
  const form = await expectVerifyPage(page);
  if (text !== undefined) await form.paste.fill(text);
  if (path !== undefined) await form.file.setInputFiles(path);
  const response = await visitor.follow(() => form.submit.click());
  await expectVerifyPage(page);
  const heading = normalise(await page.locator('main .verify-result h2').first().textContent());
  const result = region(page, heading);
  assert.equal(await result.count(), 1, `the verification result should be a section headed "${heading}"`);
  if (heading === 'Valid: this credential is genuine') {
    await expectStatus(response, 200);
    const summary = await result.locator('dl.summary').evaluate((dl) =>
      Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling?.textContent.trim()])),
    );
    return { valid: true, summary };
  }
  assert.equal(heading, 'Not valid', `the result should be "Valid: this credential is genuine" or "Not valid"; it is "${heading}"`);
  await expectStatus(response, 422);
  const reason = normalise(await result.locator('[role="alert"]').textContent());
  return { valid: false, reason };
}

/** The verification said "Valid" for `credential`: the course, the issuer, when, and the signing key. */
export function expectValid(result, credential, course) {
  assert.equal(result.valid, true, `the genuine credential should verify; the page said: ${result.reason}`);
  assert.deepEqual(Object.keys(result.summary), ['Course', 'Issued by', 'Earned', 'Signing key']);
  assert.equal(result.summary.Course, course.title);
  assert.equal(result.summary['Issued by'], credential.issuer.name);
  assert.equal(result.summary['Signing key'], credential.proof.verificationMethod.split('#')[0]);
}

// ---------------------------------------------------------------- my learning

/**
 * "My learning" (/learning): the titles listed under "In progress" and
 * under "Finished", each finished course with its "Certificate" link.
 */
export async function expectMyLearningPage(page) {
  await expectPath(page, '/learning');
  await expectHeading(page, 'My learning');
  const listed = async (name) => {
    const section = region(page, name);
    assert.equal(await section.count(), 1, `"My learning" should have an "${name}" section`);
    return section.locator('li').evaluateAll((items) =>
      items.map((li) => ({
        title: li.querySelector('a').textContent.replace(/\s+/g, ' ').trim(),
        certificate: [...li.querySelectorAll('a')].find((a) => a.textContent.trim().startsWith('Certificate'))?.getAttribute('href') ?? null,
      })),
    );
  };
  return { inProgress: await listed('In progress'), finished: await listed('Finished') };
}

/** The guest home's "Your courses" section: the courses in progress and the "Browse courses" link. */
export async function guestCourses(page) {
  const section = region(page, 'Your courses');
  assert.equal(await section.count(), 1, `the guest home should have a "Your courses" section on ${page.url()}`);
  const browse = section.getByRole('link', { name: 'Browse courses', exact: true });
  assert.equal(await browse.count(), 1, '"Your courses" should have a "Browse courses" link');
  assert.equal(await browse.getAttribute('href'), '/courses');
  const inProgress = (await section.locator('ul li').allTextContents()).map(normalise);
  return { inProgress, text: normalise(await section.textContent()), browse };
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
