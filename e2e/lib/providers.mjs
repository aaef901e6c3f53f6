// Content providers: the operator's "Content providers" page (the table of
// providers, "Add a provider" and "Add provider staff"), a provider's catalog
// page ("Import courses" from a JSON-LD or CSV file, and "Courses and
// learners" with counts only), a course's page for its provider (its
// contents and "Add a video lesson"), "Content providers you manage" on a member's
// account page, and a library's "Course providers" section, where its staff
// choose the partner providers the library licenses. Like flows.mjs, each
// helper asserts the page contract it passes through.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after as afterAllTests } from 'node:test';
import { promisify } from 'node:util';
import {
  expectHeading,
  expectPath,
  expectPostsTo,
  labelledField,
  mainButton,
  normalise,
} from './flows.mjs';
import { settingsSection, tableRows } from './staff.mjs';

export const PROVIDERS_LINK = 'Content providers and their staff';
export const NO_COURSES_TEXT = 'No courses yet.';
export const PROVIDERS_SAVED_NOTICE = 'Course providers saved. Your patrons see the courses of the providers you license.';
export const VIDEO_ADDED_NOTICE = 'The video lesson was added. Learners see it in the course now.';
export const NOT_A_VIDEO_MESSAGE = 'This file is not an MP4 or WebM video. Export the video as MP4 (H.264) or WebM and upload that.';
export const NOT_WEBVTT_MESSAGE = 'The captions file does not start with WEBVTT;';
export const NO_VIDEO_MESSAGE = 'Choose the video file (MP4 or WebM).';

/** What a guest reads on the page of a course their library does not license. */
export function notOfferedText(providerName) {
  return `Your library does not offer courses from ${providerName}. Ask your library whether it could.`;
}

/** A region of main, found by the accessible name its heading gives it. */
function region(page, name) {
  return page.locator('main').getByRole('region', { name, exact: true });
}

// ---------------------------------------------------------------- operator

/**
 * The operator's "Content providers" (/admin/providers): the "Providers"
 * table (Provider, Kind, Courses, Staff), the "Add a provider" form and the
 * "Add provider staff" form. Returns the rows (cell texts, with each
 * provider's link), both forms' fields and their buttons. A refused "Add
 * provider staff" answers with this page at the address it posted to
 * (`{ after: 'staff' }`: /admin/providers/staff).
 */
export async function expectAdminProvidersPage(page, { after } = {}) {
  await expectPath(page, after ? `/admin/providers/${after}` : '/admin/providers');
  await expectHeading(page, 'Content providers');
  const main = page.locator('main');
  const table = main.getByRole('table', { name: 'Providers', exact: true });
  assert.equal(await table.count(), 1, `the providers should be listed in one table captioned "Providers" on ${page.url()}`);
  const headers = (await table.locator('thead th').allTextContents()).map(normalise);
  assert.deepEqual(headers, ['Provider', 'Kind', 'Courses', 'Staff']);
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      cells: [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()),
      href: tr.cells[0]?.querySelector('a')?.getAttribute('href') ?? null,
    })),
  );
  for (const row of rows) {
    assert.ok(['Partner', "This instance's own"].includes(row.cells[1]), `a provider's kind should be "Partner" or "This instance's own": ${JSON.stringify(row.cells)}`);
    assert.match(row.href ?? '', /^\/providers\/[a-z0-9-]+\/admin$/, `each provider should link to its catalog page: ${JSON.stringify(row)}`);
  }

  const addSection = region(page, 'Add a provider');
  assert.equal(await addSection.count(), 1, `/admin/providers should have an "Add a provider" section`);
  const add = {
    name: await labelledField(page, 'name', 'Name'),
    slug: await labelledField(page, 'slug', 'Short name'),
    website: await labelledField(page, 'website', 'Web site'),
    description: await labelledField(page, 'description', 'About the provider (optional)'),
    partner: addSection.getByRole('checkbox', { name: 'A third-party partner (libraries choose whether to license it)', exact: true }),
  };
  assert.equal(await add.partner.count(), 1, 'the "Add a provider" form should have the "A third-party partner" checkbox');
  assert.equal(await add.description.evaluate((el) => el.tagName.toLowerCase()), 'textarea', '"About the provider" should be a textarea');
  assert.equal(await add.website.getAttribute('type'), 'url', '"Web site" should be a url field');
  const addSubmit = await mainButton(page, 'Add the provider');
  await expectPostsTo(addSubmit, '/admin/providers');

  const staffSection = region(page, 'Add provider staff');
  assert.equal(await staffSection.count(), 1, `/admin/providers should have an "Add provider staff" section`);
  const staff = {
    provider: await labelledField(page, 'provider', 'Provider'),
    email: await labelledField(page, 'email', "Member's email address"),
  };
  assert.equal(await staff.provider.evaluate((el) => el.tagName.toLowerCase()), 'select', '"Provider" should be a select');
  assert.equal(await staff.email.getAttribute('type'), 'email', '"Member\'s email address" should be an email field');
  const staffSubmit = await mainButton(page, 'Add to staff');
  await expectPostsTo(staffSubmit, '/admin/providers/staff');
  return { rows, add, addSubmit, staff, staffSubmit };
}

/** The row of the provider named `name` in the "Providers" table, or undefined. */
export function providerRow(rows, name) {
  return rows.find((r) => r.cells[0] === name);
}

/**
 * Fills "Add a provider" (name, short name, web site, about, partner or not)
 * and presses "Add the provider". Returns the response.
 */
export async function submitNewProvider(visitor, provider) {
  const { add, addSubmit } = await expectAdminProvidersPage(visitor.page);
  await add.name.fill(provider.name ?? '');
  await add.slug.fill(provider.slug ?? '');
  await add.website.fill(provider.website ?? '');
  await add.description.fill(provider.description ?? '');
  if (provider.partner) await add.partner.check();
  else await add.partner.uncheck();
  return visitor.follow(() => addSubmit.click());
}

/** Chooses the provider by name, types the member's email and presses "Add to staff". Returns the response. */
export async function submitProviderStaff(visitor, providerName, email) {
  const { staff, staffSubmit } = await expectAdminProvidersPage(visitor.page);
  await staff.provider.selectOption({ label: providerName });
  await staff.email.fill(email);
  return visitor.follow(() => staffSubmit.click());
}

// ---------------------------------------------------------------- a member's account

/**
 * "Content providers you manage" on /me: the providers listed under that
 * heading, as { name, href }. An empty list when the heading is absent.
 */
export async function providersYouManage(page) {
  await expectPath(page, '/me');
  const heading = page.locator('main').getByRole('heading', { name: 'Content providers you manage', exact: true });
  if ((await heading.count()) === 0) return [];
  assert.equal(await heading.count(), 1, 'expected one "Content providers you manage" heading on /me');
  return page
    .locator('main h2:text-is("Content providers you manage") + ul > li a')
    .evaluateAll((links) => links.map((a) => ({ name: a.textContent.replace(/\s+/g, ' ').trim(), href: a.getAttribute('href') })));
}

// ---------------------------------------------------------------- a provider's catalog page

/**
 * A provider's catalog page, "{Name}: catalog": the "Import courses" form
 * (the "Catalog file" input, accepting .json, .jsonld and .csv, and
 * "Import") and "Courses and learners": the rows of its table (Course,
 * State, Enrolled, Finished, with each course's link) or "No courses yet.".
 * An import answers with this page at the address it posted to
 * (/providers/{slug}/admin/import).
 */
export async function expectProviderCatalogPage(page, provider) {
  const base = `/providers/${provider.slug}/admin`;
  const at = new URL(page.url()).pathname;
  assert.ok(at === base || at === `${base}/import`, `expected ${provider.name}'s catalog page at ${base}, the browser is at ${page.url()}`);
  await expectHeading(page, `${provider.name}: catalog`);

  const importSection = region(page, 'Import courses');
  assert.equal(await importSection.count(), 1, `the catalog page should have an "Import courses" section on ${page.url()}`);
  const file = await labelledField(page, 'catalog', 'Catalog file');
  assert.equal(await file.getAttribute('type'), 'file', '"Catalog file" should be a file input');
  const accept = (await file.getAttribute('accept')) ?? '';
  for (const ext of ['.json', '.jsonld', '.csv']) {
    assert.ok(accept.split(',').map((a) => a.trim()).includes(ext), `"Catalog file" should accept ${ext}; it accepts "${accept}"`);
  }
  const submit = await mainButton(page, 'Import');
  await expectPostsTo(submit, `${base}/import`);
  assert.equal(await submit.evaluate((b) => b.form.enctype), 'multipart/form-data', 'a file can only be sent in a multipart form');

  const coursesSection = region(page, 'Courses and learners');
  assert.equal(await coursesSection.count(), 1, `the catalog page should have a "Courses and learners" section on ${page.url()}`);
  const table = coursesSection.locator('table');
  let courses = [];
  if ((await table.count()) > 0) {
    assert.equal(await table.count(), 1, 'the courses should be listed in one table');
    const headers = (await table.locator('thead th').allTextContents()).map(normalise);
    assert.deepEqual(headers, ['Course', 'State', 'Enrolled', 'Finished']);
    courses = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        cells: [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()),
        href: tr.cells[0]?.querySelector('a')?.getAttribute('href') ?? null,
      })),
    );
    for (const row of courses) {
      assert.match(row.href ?? '', new RegExp(`^${base}/courses/[a-z0-9-]+$`), `each course should link to its page for the provider: ${JSON.stringify(row)}`);
      for (const count of row.cells.slice(2)) {
        assert.ok(count === '0' || count === 'fewer than 10' || Number(count) >= 10, `a count must be 0, "fewer than 10" or at least 10, never a small number: ${JSON.stringify(row.cells)}`);
      }
    }
  } else {
    const said = normalise(await coursesSection.textContent());
    assert.ok(said.includes(NO_COURSES_TEXT), `a provider without courses should say "${NO_COURSES_TEXT}"; it says "${said}"`);
  }
  return { file, submit, courses };
}

/** Opens a provider's catalog page (as its staff or an operator). Returns its parts. */
export async function openProviderCatalog(visitor, provider) {
  const response = await visitor.goto(`/providers/${provider.slug}/admin`);
  assert.equal(response.status(), 200, `expected HTTP 200 for ${response.url()}, got ${response.status()}`);
  return expectProviderCatalogPage(visitor.page, provider);
}

/** Chooses the file at `filePath` as "Catalog file" and presses "Import". Returns the response. */
export async function importCatalog(visitor, provider, filePath) {
  const { file, submit } = await expectProviderCatalogPage(visitor.page, provider);
  await file.setInputFiles(filePath);
  return visitor.follow(() => submit.click());
}

/** The notice of a successful import; returns { created, updated }. */
export async function expectImportSummary(page) {
  const notice = page.locator('main [role="status"]');
  assert.equal(await notice.count(), 1, `expected one role="status" notice after the import on ${page.url()}`);
  const text = normalise(await notice.textContent());
  const said = /^Imported: (\d+) new courses?, (\d+) updated\.$/.exec(text);
  assert.ok(said, `the import should say "Imported: N new course(s), M updated."; it says "${text}"`);
  const created = Number(said[1]);
  assert.equal(text.includes(' new courses,'), created !== 1, `"course" should agree with the number: "${text}"`);
  assert.equal(await page.locator('main .error-summary').count(), 0, 'an import that worked shows no problem');
  return { created, updated: Number(said[2]), text };
}

/**
 * The alert of a refused import: role=alert, headed "Nothing was imported:
 * N problem(s) to fix", with one list item per problem, each "<strong>where
 * </strong>: what". Returns the problems as { at, message }.
 */
export async function expectImportProblems(page) {
  const box = page.locator('main div.error-summary[role="alert"]');
  assert.equal(await box.count(), 1, `expected one <div class="error-summary" role="alert"> on ${page.url()}`);
  assert.ok(await box.isVisible(), 'the problems should be visible');
  const heading = normalise(await box.locator('h2').first().textContent());
  const said = /^Nothing was imported: (\d+) problems? to fix$/.exec(heading);
  assert.ok(said, `the problems should be headed "Nothing was imported: N problem(s) to fix"; it says "${heading}"`);
  const problems = await box.locator('li').evaluateAll((items) =>
    items.map((li) => ({
      at: li.querySelector('strong')?.textContent.replace(/\s+/g, ' ').trim() ?? null,
      text: li.textContent.replace(/\s+/g, ' ').trim(),
    })),
  );
  assert.equal(problems.length, Number(said[1]), `the heading counts ${said[1]} problem(s); the list has ${problems.length}`);
  assert.equal(heading.includes(' problems '), problems.length !== 1, `"problem" should agree with the number: "${heading}"`);
  assert.equal(await page.locator('main [role="status"]').count(), 0, 'a refused import should not say anything was imported');
  return problems.map((p) => {
    assert.ok(p.at, `each problem should say where it is in <strong>: "${p.text}"`);
    assert.ok(p.text.startsWith(`${p.at}: `), `each problem should read "where: what"; it reads "${p.text}"`);
    return { at: p.at, message: p.text.slice(p.at.length + 2) };
  });
}

const tempDirs = [];
afterAllTests(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** Writes `content` to a new temporary file called `name`; returns its path (removed after the file's tests). */
export async function catalogFile(name, content) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lyceum-e2e-catalog-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/**
 * Makes a small WebM video (VP8, 160x120, 10 frames a second, the ffmpeg
 * test pattern) of `seconds` seconds with ffmpeg, in a new temporary
 * directory; returns its path (removed after the file's tests).
 */
export async function testPatternVideo(name = 'test-pattern.webm', { seconds = 2 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lyceum-e2e-video-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=160x120:rate=10`, '-c:v', 'libvpx', '-b:v', '100k', file];
  try {
    await promisify(execFile)('ffmpeg', args);
  } catch (err) {
    assert.fail(`ffmpeg could not make the test video (ffmpeg ${args.join(' ')}): ${err.stderr || err.message}`);
  }
  return file;
}

/** A WebVTT file giving each of `captions` `seconds` seconds in turn. */
export function webVtt(captions, seconds = 1) {
  const at = (s) => `00:00:${String(s).padStart(2, '0')}.000`;
  return ['WEBVTT', '', ...captions.flatMap((text, i) => [`${at(i * seconds)} --> ${at((i + 1) * seconds)}`, text, ''])].join('\n');
}

// ---------------------------------------------------------------- a course, for its provider

/**
 * A course's page for its provider's staff (/providers/{slug}/admin/courses/
 * {course}): the breadcrumb to the catalog page, the course's title, "See
 * the course as learners do", "Contents" (each section's h3 and its lessons,
 * with their kind) and the "Add a video lesson" form (Section, Lesson title,
 * Length in minutes, What the video shows, Captions, Video file, "Add the
 * video lesson"). A refused video answers with this page at the address it
 * posted to (…/videos); an added one redirects to it with ?done=video.
 * Returns the contents as [{ title, lessons: [{ title, kind }] }], the
 * form's fields and its button.
 */
export async function expectProviderCoursePage(page, provider, course) {
  const base = `/providers/${provider.slug}/admin/courses/${course.slug}`;
  const at = new URL(page.url()).pathname;
  assert.ok(at === base || at === `${base}/videos`, `expected the provider's page of ${course.slug} at ${base}, the browser is at ${page.url()}`);
  await expectHeading(page, course.title);
  const main = page.locator('main');
  const crumb = main.getByRole('navigation', { name: 'Breadcrumb', exact: true });
  assert.equal(await crumb.count(), 1, `the course's page should have a "Breadcrumb" nav on ${page.url()}`);
  const back = crumb.getByRole('link', { name: `${provider.name}: catalog`, exact: true });
  assert.equal(await back.getAttribute('href'), `/providers/${provider.slug}/admin`, 'the breadcrumb should lead back to the catalog page');
  const asLearners = main.getByRole('link', { name: 'See the course as learners do', exact: true });
  assert.equal(await asLearners.count(), 1, `the course's page should offer "See the course as learners do" on ${page.url()}`);
  assert.equal(await asLearners.getAttribute('href'), `/courses/${course.slug}`);

  const contents = region(page, 'Contents');
  assert.equal(await contents.count(), 1, `the course's page should have a "Contents" section on ${page.url()}`);
  const outline = await contents.evaluate((section) =>
    [...section.querySelectorAll('h3')].map((h3) => ({
      title: h3.textContent.replace(/\s+/g, ' ').trim(),
      lessons: [...(h3.nextElementSibling?.matches('ol, ul') ? h3.nextElementSibling.children : [])].map((li) => {
        const hint = li.querySelector('.hint');
        const kind = hint ? hint.textContent.replace(/\s+/g, ' ').trim() : null;
        const text = li.textContent.replace(/\s+/g, ' ').trim();
        return { title: kind && text.endsWith(kind) ? text.slice(0, -kind.length).trim() : text, kind };
      }),
    })),
  );

  const add = region(page, 'Add a video lesson');
  assert.equal(await add.count(), 1, `the course's page should have an "Add a video lesson" section on ${page.url()}`);
  const fields = {
    section: await labelledField(page, 'section', 'Section'),
    title: await labelledField(page, 'title', 'Lesson title'),
    minutes: await labelledField(page, 'minutes', 'Length in minutes'),
    body: await labelledField(page, 'body', 'What the video shows (optional)'),
    captions: await labelledField(page, 'captions', 'Captions (.vtt, optional)'),
    video: await labelledField(page, 'video', 'Video file'),
  };
  assert.equal(await fields.section.evaluate((el) => el.tagName.toLowerCase()), 'select', '"Section" should be a select');
  const offered = (await fields.section.locator('option').allTextContents()).map(normalise);
  assert.deepEqual(offered, outline.map((s) => s.title), '"Section" should offer the course\'s sections');
  assert.equal(await fields.minutes.getAttribute('type'), 'number', '"Length in minutes" should be a number field');
  assert.equal(await fields.body.evaluate((el) => el.tagName.toLowerCase()), 'textarea', '"What the video shows" should be a textarea');
  for (const [name, wanted] of [['captions', '.vtt'], ['video', '.webm']]) {
    assert.equal(await fields[name].getAttribute('type'), 'file', `"${name}" should be a file input`);
    const accept = ((await fields[name].getAttribute('accept')) ?? '').split(',').map((a) => a.trim());
    assert.ok(accept.includes(wanted), `the ${name} field should accept ${wanted}; it accepts ${accept.join(',')}`);
  }
  const submit = await mainButton(page, 'Add the video lesson');
  await expectPostsTo(submit, `${base}/videos`);
  assert.equal(await submit.evaluate((b) => b.form.enctype), 'multipart/form-data', 'a file can only be sent in a multipart form');
  return { outline, fields, submit };
}

/**
 * Fills "Add a video lesson" (section by its title, lesson title, minutes,
 * what the video shows, and the files at `captions` and `video` when given)
 * and presses "Add the video lesson". Returns the response.
 */
export async function submitVideoLesson(visitor, provider, course, lesson) {
  const { fields, submit } = await expectProviderCoursePage(visitor.page, provider, course);
  if (lesson.section !== undefined) await fields.section.selectOption({ label: lesson.section });
  await fields.title.fill(lesson.title ?? '');
  await fields.minutes.fill(lesson.minutes === undefined ? '' : String(lesson.minutes));
  await fields.body.fill(lesson.body ?? '');
  if (lesson.captions) await fields.captions.setInputFiles(lesson.captions);
  if (lesson.video) await fields.video.setInputFiles(lesson.video);
  return visitor.follow(() => submit.click());
}

// ---------------------------------------------------------------- a partner's course

/**
 * The page of a course from a partner provider: its title, "From" naming
 * the provider as partner content, and "Take this course" or "Your
 * progress". Returns the "From" text, whether the learner is enrolled, the
 * Enrol button (null when not offered) and what "Take this course" says.
 */
export async function expectPartnerCoursePage(page, course, providerName) {
  await expectPath(page, `/courses/${course.slug}`);
  await expectHeading(page, course.title);
  const summary = await page.locator('main dl.summary').evaluate((dl) =>
    Object.fromEntries(
      [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling?.textContent.replace(/\s+/g, ' ').trim()]),
    ),
  );
  assert.equal(summary.From, `${providerName} (partner content)`, `the course page should name ${providerName} as partner content; its summary is ${JSON.stringify(summary)}`);
  if (course.level) assert.equal(summary.Level, course.level);
  const take = region(page, 'Take this course');
  const progress = region(page, 'Your progress');
  const [takeCount, progressCount] = [await take.count(), await progress.count()];
  assert.equal(takeCount + progressCount, 1, `a course page should have one of "Take this course" and "Your progress" on ${page.url()}`);
  if (progressCount === 1) return { from: summary.From, enrolled: true, enrol: null, text: normalise(await progress.textContent()) };
  const enrol = take.getByRole('button', { name: 'Enrol', exact: true });
  const offered = (await enrol.count()) === 1;
  if (offered) await expectPostsTo(enrol, `/courses/${course.slug}/enrol`);
  return { from: summary.From, enrolled: false, enrol: offered ? enrol : null, text: normalise(await take.textContent()) };
}

// ---------------------------------------------------------------- a library's course providers

/**
 * The "Course providers" section of a library's settings page: the fieldset
 * "Partner providers your library licenses" with one checkbox per partner
 * provider (by label: { checkbox, checked }) and "Save course providers".
 */
export async function expectCourseProvidersSection(page, library) {
  const section = settingsSection(page, 'Course providers');
  assert.equal(await section.count(), 1, `the settings page should have a "Course providers" section on ${page.url()}`);
  const fieldset = section.getByRole('group', { name: 'Partner providers your library licenses', exact: true });
  assert.equal(await fieldset.count(), 1, 'expected a fieldset with the legend "Partner providers your library licenses"');
  const boxes = fieldset.getByRole('checkbox');
  const providers = {};
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    const id = await box.getAttribute('id');
    assert.ok(id, 'each provider checkbox needs an id for its label');
    const label = normalise(await page.locator(`label[for="${id}"]`).textContent());
    assert.ok(label, `the checkbox #${id} needs a label`);
    assert.equal(await box.getAttribute('name'), 'provider');
    providers[label] = { checkbox: box, checked: await box.isChecked() };
  }
  const submit = section.getByRole('button', { name: 'Save course providers', exact: true });
  assert.equal(await submit.count(), 1, 'the "Course providers" section should have a "Save course providers" button');
  await expectPostsTo(submit, `/libraries/${library.slug}/admin/providers`);
  return { providers, submit };
}

/** The texts of the "What" column of "Recent changes" on a library's settings page, newest first. */
export async function recentChanges(page) {
  const section = settingsSection(page, 'Recent changes');
  assert.equal(await section.count(), 1, `the settings page should have a "Recent changes" section on ${page.url()}`);
  const table = section.locator('table');
  assert.equal(await table.count(), 1, '"Recent changes" should be a table');
  const headers = (await table.locator('thead th').allTextContents()).map(normalise);
  assert.deepEqual(headers, ['When', 'Who', 'What']);
  return tableRows(table);
}
