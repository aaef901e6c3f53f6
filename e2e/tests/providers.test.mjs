// Content providers and library licensing: the operator adds a partner
// provider, "Codeworks Academy", and makes a new member its staff; that
// member imports the provider's catalog from a file (a bad CSV and a bad
// JSON-LD file are refused whole, with each problem's line or item; a good
// JSON-LD file adds "Python for beginners", and the same file again updates
// it). A Riverside patron cannot take the course until Amara, the library's
// staff, licenses the provider; then they find it and enrol, and the
// provider sees the enrolment as a count only. Members who are not staff are
// refused the operator's page and the provider's. Amara, staff of the
// instance's own provider, adds a video lesson to one of its courses (a file
// that is not a video and a captions file that is not WebVTT are refused),
// and a member who takes the course plays it.
//
// The server was loaded with `lyceum demo`: Riverside Public Library licenses
// the partners Biblioteca Abierta and MIT OpenCourseWare. The tests run in
// order and share the server. Cards: 29000011 once. The test video is made
// with ffmpeg.

import assert from 'node:assert/strict';
import { AMARA, DEMO_LIBRARY, DEMO_OPERATOR, demoCard, demoSuite } from '../lib/demo.mjs';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectNeutralNav,
  expectStatus,
  mainNav,
  normalise,
  person,
  signIn,
  signOut,
  signUp,
} from '../lib/flows.mjs';
import {
  catalogResults,
  ENROLLED_NOTICE,
  enrol,
  expectCatalogPage,
  expectLessonPage,
  openCourseFromCatalog,
  watchVideo,
} from '../lib/learning.mjs';
import { signInWithCard, signOutPatron } from '../lib/patrons.mjs';
import {
  catalogFile,
  expectAdminProvidersPage,
  expectCourseProvidersSection,
  expectImportProblems,
  expectImportSummary,
  expectPartnerCoursePage,
  expectProviderCatalogPage,
  expectProviderCoursePage,
  importCatalog,
  NO_VIDEO_MESSAGE,
  NOT_A_VIDEO_MESSAGE,
  NOT_WEBVTT_MESSAGE,
  notOfferedText,
  openProviderCatalog,
  PROVIDERS_LINK,
  PROVIDERS_SAVED_NOTICE,
  providerRow,
  providersYouManage,
  recentChanges,
  submitNewProvider,
  submitProviderStaff,
  submitVideoLesson,
  testPatternVideo,
  VIDEO_ADDED_NOTICE,
  webVtt,
} from '../lib/providers.mjs';
import { expectLibrarySettingsPage, expectNotice, followMainLink, openLibrarySettings } from '../lib/staff.mjs';

const lyceumTest = demoSuite();

const CODEWORKS = {
  name: 'Codeworks Academy',
  slug: 'codeworks-academy',
  website: 'https://codeworks.example',
  description: 'Short, practical programming courses.',
  partner: true,
};
const ADMIN_PATH = `/providers/${CODEWORKS.slug}/admin`;

/** Why "Add provider staff" refuses an address nobody has an account with. */
const NO_SUCH_MEMBER_MESSAGE = 'No member has this email address. Ask them to create an account first, then add them.';

/** The new member the operator makes Codeworks Academy's staff. */
const CORA = person('cora-codeworks', 'Cora Codeworks');

const PYTHON = { slug: 'python-for-beginners', title: 'Python for beginners', level: 'Beginner' };
const PYTHON_ADMIN_PATH = `${ADMIN_PATH}/courses/${PYTHON.slug}`;

/** The demo's own provider, whose staff Amara is. */
const RIVERSIDE_LAB = { name: 'Riverside Learning Lab', slug: 'riverside-learning' };

/** A demo course of Riverside Learning Lab, with its lessons as `lyceum demo` makes them. */
const CV_COURSE = {
  slug: 'writing-a-cv-that-gets-read',
  title: 'Writing a CV that gets read',
  level: 'Beginner',
  provider: RIVERSIDE_LAB.name,
  sections: [
    { title: 'The first thirty seconds', lessons: ['What a reader looks for', 'Gaps, volunteering and caring'] },
    { title: 'Making it yours', lessons: ['Tailor it to each advert', 'Check what you learned'] },
  ],
};

/** The video lesson Amara adds to the first section of CV_COURSE. */
const CV_VIDEO = {
  title: 'Watch: a CV read in thirty seconds',
  minutes: 1,
  body: 'A reader skims a CV from top to bottom.',
  seconds: 2,
  captions: ['The reader looks at the top first.', 'Then at the most recent job.'],
};

/** One schema.org Course, "Python for beginners", with an article and a quiz; `level` may be changed to break it. */
function pythonCatalog({ level = 'Beginner' } = {}) {
  return {
    '@context': 'https://schema.org',
    '@graph': [
      {
        '@type': 'Course',
        identifier: 'py-101',
        name: PYTHON.title,
        description: 'Write your first programs.',
        educationalLevel: level,
        inLanguage: 'en',
        timeRequired: 'PT1H',
        teaches: ['Python'],
        syllabusSections: [
          {
            '@type': 'Syllabus',
            name: 'Basics',
            hasPart: [
              { '@type': 'LearningResource', learningResourceType: 'article', name: 'Variables', text: 'A variable names a value.' },
              {
                '@type': 'Quiz',
                name: 'Check',
                hasPart: [
                  {
                    '@type': 'Question',
                    name: 'Which keyword defines a function?',
                    suggestedAnswer: [
                      { '@type': 'Answer', text: 'fun' },
                      { '@type': 'Answer', text: 'def' },
                    ],
                    acceptedAnswer: { '@type': 'Answer', text: 'def' },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A CSV catalog whose second course (on line 3) has a level that does not exist. */
const BAD_CSV = [
  'id,title,summary,description,level,language,duration_minutes,skills,instructors',
  'js-101,JavaScript for beginners,Your first scripts,Make a web page do things.,beginner,en,60,JavaScript;Web,Ada Lovelace',
  'sql-101,SQL for beginners,Ask a database,Questions and answers with SELECT.,Wizard,en,45,SQL,Edgar Codd',
  '',
].join('\n');

lyceumTest('the operator adds the partner provider "Codeworks Academy" (a bad web site first) and makes a new member its staff, who finds its catalog page from their account', async ({ newVisitor }) => {
  // Scenario: a member signs up; the operator opens "Content providers" from their account page, types a web site
  // without https://, then a short name that is taken, then adds the provider and puts the member on its staff.
  const member = await newVisitor();
  await signUp(member, CORA);
  assert.deepEqual(await providersYouManage(member.page), [], 'a new member manages no provider');

  const operator = await newVisitor();
  const { page } = operator;
  await signIn(operator, DEMO_OPERATOR);
  await expectStatus(await followMainLink(operator, PROVIDERS_LINK, '/admin/providers'), 200);
  const before = await expectAdminProvidersPage(page);
  assert.deepEqual(
    before.rows.map((r) => [r.cells[0], r.cells[1], r.href]),
    [
      ['Biblioteca Abierta', 'Partner', '/providers/biblioteca-abierta/admin'],
      ['MIT OpenCourseWare', 'Partner', '/providers/mit-ocw/admin'],
      ['Riverside Learning Lab', "This instance's own", '/providers/riverside-learning/admin'],
    ],
    'the demo has two partners and the instance\'s own content',
  );

  // A web site without its scheme is refused, and nothing is added.
  await expectStatus(await submitNewProvider(operator, { ...CODEWORKS, website: 'codeworks.example' }), 422);
  await expectErrorSummary(page, ['Give the full address, starting with https://, or leave it empty.']);
  const refused = await expectAdminProvidersPage(page);
  assert.equal(providerRow(refused.rows, CODEWORKS.name), undefined, 'a refused provider must not be added');
  assert.equal(await refused.add.name.inputValue(), CODEWORKS.name, 'the refused form should keep what was typed');

  // A short name that is taken is refused too.
  await expectStatus(await submitNewProvider(operator, { ...CODEWORKS, slug: 'mit-ocw' }), 422);
  await expectErrorSummary(page, ['A provider with the short name mit-ocw already exists.']);
  assert.equal(providerRow((await expectAdminProvidersPage(page)).rows, CODEWORKS.name), undefined, 'a refused provider must not be added');

  await expectStatus(await submitNewProvider(operator, CODEWORKS), 200);
  await expectNotice(page, `Added ${CODEWORKS.name}.`);
  const added = await expectAdminProvidersPage(page);
  assert.equal(await page.locator('main .error-summary').count(), 0, 'a provider that was added shows no problem');
  const row = providerRow(added.rows, CODEWORKS.name);
  assert.ok(row, `the table should list ${CODEWORKS.name}; it lists ${JSON.stringify(added.rows.map((r) => r.cells))}`);
  assert.deepEqual(row.cells, [CODEWORKS.name, 'Partner', '0', '0'], 'a new partner has no courses and no staff');
  assert.equal(row.href, ADMIN_PATH);

  // The member is put on its staff.
  await expectStatus(await submitProviderStaff(operator, CODEWORKS.name, CORA.email), 200);
  const staffed = await expectAdminProvidersPage(page);
  assert.equal(await page.locator('main .error-summary').count(), 0, 'adding a member to the staff shows no problem');
  assert.deepEqual(providerRow(staffed.rows, CODEWORKS.name).cells, [CODEWORKS.name, 'Partner', '0', '1'], 'the provider should now have one staff member');
  await signOut(operator);

  // The member finds it on their account page and opens its catalog.
  await expectStatus(await member.goto('/me'), 200);
  assert.deepEqual(await providersYouManage(member.page), [{ name: CODEWORKS.name, href: ADMIN_PATH }]);
  assert.equal(await member.page.locator('main').getByRole('link', { name: PROVIDERS_LINK, exact: true }).count(), 0, `provider staff who are not operators should not be offered "${PROVIDERS_LINK}"`);
  await expectStatus(await followMainLink(member, CODEWORKS.name, ADMIN_PATH), 200);
  const catalog = await expectProviderCatalogPage(member.page, CODEWORKS);
  assert.deepEqual(catalog.courses, [], 'a new provider has no courses');
  const lead = normalise(await member.page.locator('main p.lead').textContent());
  assert.ok(lead.includes(`once the library licenses ${CODEWORKS.name}`), `the catalog page should say a partner's courses need a licence; it says "${lead}"`);
});

lyceumTest('the provider\'s staff import a catalog: a bad CSV and a bad JSON-LD file are refused whole, a good JSON-LD file adds "Python for beginners", and again updates it', async ({ newVisitor }) => {
  // Scenario: Cora signs in, opens Codeworks Academy's catalog page, uploads a CSV with a bad level on line 3,
  // a JSON-LD file with a bad level, then the good JSON-LD file twice, and opens the course it made.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, CORA);
  await openProviderCatalog(visitor, CODEWORKS);

  await expectStatus(await importCatalog(visitor, CODEWORKS, await catalogFile('codeworks.csv', BAD_CSV)), 422);
  let problems = await expectImportProblems(page);
  assert.deepEqual(problems, [{ at: 'line 3', message: 'the level "Wizard" is not beginner, intermediate or advanced' }]);
  assert.deepEqual((await expectProviderCatalogPage(page, CODEWORKS)).courses, [], 'nothing is imported from a file with a problem, not even its good line 2');

  await expectStatus(await importCatalog(visitor, CODEWORKS, await catalogFile('codeworks-bad.jsonld', pythonCatalog({ level: 'Wizard' }))), 422);
  problems = await expectImportProblems(page);
  assert.deepEqual(problems, [{ at: 'item 1 (id py-101)', message: 'educationalLevel "Wizard" is not beginner, intermediate or advanced' }]);
  assert.deepEqual((await expectProviderCatalogPage(page, CODEWORKS)).courses, [], 'nothing is imported from a file with a problem');

  const good = await catalogFile('codeworks.jsonld', pythonCatalog());
  await expectStatus(await importCatalog(visitor, CODEWORKS, good), 200);
  const first = await expectImportSummary(page);
  assert.equal(first.text, 'Imported: 1 new course, 0 updated.');
  let courses = (await expectProviderCatalogPage(page, CODEWORKS)).courses;
  assert.deepEqual(courses, [{ cells: [PYTHON.title, 'published', '0', '0'], href: PYTHON_ADMIN_PATH }]);

  await expectStatus(await importCatalog(visitor, CODEWORKS, good), 200);
  const second = await expectImportSummary(page);
  assert.equal(second.text, 'Imported: 0 new courses, 1 updated.');
  courses = (await expectProviderCatalogPage(page, CODEWORKS)).courses;
  assert.equal(courses.length, 1, 'importing the same course again should not add a second one');

  // The course's page for its provider shows what the import made, and leads to the page learners see.
  await expectStatus(await followMainLink(visitor, PYTHON.title, PYTHON_ADMIN_PATH), 200);
  const made = await expectProviderCoursePage(page, CODEWORKS, PYTHON);
  assert.deepEqual(
    made.outline,
    [{ title: 'Basics', lessons: [{ title: 'Variables', kind: 'Reading' }, { title: 'Check', kind: 'Quiz' }] }],
    'the course should have the section, the article and the quiz of the file',
  );

  // The course's page names the provider as partner content; a member may take any course.
  await expectStatus(await followMainLink(visitor, 'See the course as learners do', `/courses/${PYTHON.slug}`), 200);
  const course = await expectPartnerCoursePage(page, PYTHON, CODEWORKS.name);
  assert.ok(course.enrol, 'a member should be offered "Enrol" on any course');

  // The catalog lists it with the same label.
  await expectStatus(await visitor.goto('/courses?q=python'), 200);
  await expectCatalogPage(page);
  const card = (await catalogResults(page)).cards.find((c) => c.title === PYTHON.title);
  assert.ok(card, 'a member should find the new course in the catalog');
  assert.ok(card.text.includes(`Partner content from ${CODEWORKS.name}`), `the card should say "Partner content from ${CODEWORKS.name}"; it says "${card.text}"`);
  await signOut(visitor);
});

lyceumTest('a Riverside patron cannot take "Python for beginners" until Amara licenses Codeworks Academy for the library; then they find it and enrol', async ({ newVisitor }) => {
  // Scenario: a patron signs in with card 29000011 and searches for python; Amara ticks Codeworks Academy under
  // "Course providers" (leaving the other partners ticked); the patron searches again and enrols; Cora sees the count.
  const guest = await newVisitor();
  const { page } = guest;
  await signInWithCard(guest, DEMO_LIBRARY, demoCard(11));
  await expectStatus(await guest.goto('/courses?q=python'), 200);
  await expectCatalogPage(page);
  const unlicensed = await catalogResults(page);
  assert.ok(unlicensed.cards.length > 0, 'the licensed partners\' python courses should still be listed');
  assert.ok(!unlicensed.cards.some((c) => c.title === PYTHON.title), `an unlicensed partner's course must not be listed; found ${JSON.stringify(unlicensed.cards.map((c) => c.title))}`);

  await expectStatus(await guest.goto(`/courses/${PYTHON.slug}`), 200);
  const closed = await expectPartnerCoursePage(page, PYTHON, CODEWORKS.name);
  assert.equal(closed.enrol, null, 'a patron must not be offered "Enrol" on a course their library does not license');
  assert.ok(closed.text.includes(notOfferedText(CODEWORKS.name)), `"Take this course" should say "${notOfferedText(CODEWORKS.name)}"; it says "${closed.text}"`);

  // Amara licenses the provider.
  const staff = await newVisitor();
  await signIn(staff, AMARA);
  await openLibrarySettings(staff, DEMO_LIBRARY);
  const offered = await expectCourseProvidersSection(staff.page, DEMO_LIBRARY);
  assert.deepEqual(
    Object.fromEntries(Object.entries(offered.providers).map(([name, p]) => [name, p.checked])),
    { 'Biblioteca Abierta': true, [CODEWORKS.name]: false, 'MIT OpenCourseWare': true },
    'every partner should be offered, the demo\'s two licensed and the new one not',
  );
  await offered.providers[CODEWORKS.name].checkbox.check();
  await expectStatus(await staff.follow(() => offered.submit.click()), 200);
  await expectLibrarySettingsPage(staff.page, DEMO_LIBRARY);
  await expectNotice(staff.page, PROVIDERS_SAVED_NOTICE);
  const saved = await expectCourseProvidersSection(staff.page, DEMO_LIBRARY);
  assert.deepEqual(
    Object.fromEntries(Object.entries(saved.providers).map(([name, p]) => [name, p.checked])),
    { 'Biblioteca Abierta': true, [CODEWORKS.name]: true, 'MIT OpenCourseWare': true },
    'all three partners should now be licensed',
  );
  const [latest] = await recentChanges(staff.page);
  assert.equal(latest[1], AMARA.displayName, `the newest change should be Amara's: ${JSON.stringify(latest)}`);
  assert.match(latest[2], /^Licensed partner providers: /, `the newest change should be the licensing: ${JSON.stringify(latest)}`);
  for (const name of ['Biblioteca Abierta', CODEWORKS.name, 'MIT OpenCourseWare']) {
    assert.ok(latest[2].includes(name), `the audit entry should name ${name}: "${latest[2]}"`);
  }
  await signOut(staff);

  // The patron, still signed in, now finds the course and enrols.
  await expectStatus(await guest.goto('/courses?q=python'), 200);
  await expectCatalogPage(page);
  const licensed = await catalogResults(page);
  assert.ok(licensed.cards.some((c) => c.title === PYTHON.title), `the licensed partner's course should now be listed; found ${JSON.stringify(licensed.cards.map((c) => c.title))}`);
  await openCourseFromCatalog(guest, PYTHON);
  const open = await expectPartnerCoursePage(page, PYTHON, CODEWORKS.name);
  assert.ok(open.enrol, 'a patron of a library that licenses the provider should be offered "Enrol"');
  assert.ok(!open.text.includes('does not offer'), `"Take this course" should no longer say the library does not offer it: "${open.text}"`);
  await expectStatus(await guest.follow(() => open.enrol.click()), 200);
  await expectNotice(page, ENROLLED_NOTICE);
  assert.equal((await expectPartnerCoursePage(page, PYTHON, CODEWORKS.name)).enrolled, true, 'after enrolling the page should show "Your progress"');
  await signOutPatron(guest);

  // The provider sees one enrolment only as "fewer than 10".
  const provider = await newVisitor();
  await signIn(provider, CORA);
  const { courses } = await openProviderCatalog(provider, CODEWORKS);
  assert.deepEqual(courses.map((c) => c.cells), [[PYTHON.title, 'published', 'fewer than 10', '0']], 'one enrolment should read "fewer than 10"');
});

lyceumTest('a member who is not staff is refused /admin/providers and the provider\'s catalog page with 403; the provider\'s staff are refused other providers\' pages', async ({ newVisitor }) => {
  // Scenario: a new member types the operators' page and Codeworks Academy's catalog page; Cora types the operators'
  // page and MIT OpenCourseWare's catalog page.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, person('nell-member', 'Nell Member'));
  assert.deepEqual(await providersYouManage(page), [], 'a member who is not staff manages no provider');
  assert.equal(await page.locator('main').getByRole('link', { name: PROVIDERS_LINK, exact: true }).count(), 0, `a member's /me should not offer "${PROVIDERS_LINK}"`);

  await expectStatus(await visitor.goto('/admin/providers'), 403);
  await expectHeading(page, 'Not allowed');
  await expectNeutralNav(page);
  assert.ok(normalise(await page.locator('main').textContent()).includes('Only operators add content providers.'), 'the refusal should say only operators add providers');
  assert.equal(await page.locator('main form').count(), 0, 'a refused member must not see the forms');
  assert.equal(await page.locator('main table').count(), 0, 'a refused member must not see the providers');

  await expectStatus(await visitor.goto(ADMIN_PATH), 403);
  await expectHeading(page, 'Not allowed');
  assert.ok(
    normalise(await page.locator('main').textContent()).includes(`Only ${CODEWORKS.name}'s staff and operators manage its catalog.`),
    'the refusal should say who manages the catalog',
  );
  assert.equal(await page.locator('main form').count(), 0, 'a refused member must not see the import form');
  assert.ok(!normalise(await page.locator('main').textContent()).includes(PYTHON.title), 'the refusal must not show the provider\'s courses');

  const cora = await newVisitor();
  await signIn(cora, CORA);
  await expectStatus(await cora.goto('/admin/providers'), 403);
  await expectHeading(cora.page, 'Not allowed');
  await expectStatus(await cora.goto('/providers/mit-ocw/admin'), 403);
  await expectHeading(cora.page, 'Not allowed');
  await expectNeutralNav(cora.page);
  await expectStatus(await cora.goto(`/providers/${RIVERSIDE_LAB.slug}/admin/courses/${CV_COURSE.slug}`), 403);
  await expectHeading(cora.page, 'Not allowed');
  assert.equal(await cora.page.locator('main form').count(), 0, 'another provider\'s staff must not be offered "Add a video lesson"');
});

lyceumTest('Amara adds a video lesson to "Writing a CV that gets read": a file that is not a video and captions that are not WebVTT are refused; a WebM with captions is added, and a member who takes the course plays it', async ({ newVisitor }) => {
  // Scenario: Amara opens Riverside Learning Lab's catalog page and the course's page from it; she chooses a text file
  // as the video, then the WebM made with ffmpeg with a captions file that is not WebVTT, then the WebM with good
  // captions. A new member enrols in the course, opens the new lesson from the contents and plays the video.
  const notAVideo = await catalogFile('cv-notes.txt', 'These are my notes, not a video.\n');
  const video = await testPatternVideo('cv-read.webm', { seconds: CV_VIDEO.seconds });
  const badCaptions = await catalogFile('cv-captions.vtt', `${CV_VIDEO.captions.join('\n')}\n`);
  const captions = await catalogFile('cv-captions.vtt', webVtt(CV_VIDEO.captions));
  const lesson = { section: CV_COURSE.sections[0].title, title: CV_VIDEO.title, minutes: CV_VIDEO.minutes, body: CV_VIDEO.body };
  const before = [
    { title: 'The first thirty seconds', lessons: [{ title: 'What a reader looks for', kind: 'Reading' }, { title: 'Gaps, volunteering and caring', kind: 'Reading' }] },
    { title: 'Making it yours', lessons: [{ title: 'Tailor it to each advert', kind: 'Reading' }, { title: 'Check what you learned', kind: 'Quiz' }] },
  ];

  const staff = await newVisitor();
  const { page } = staff;
  await signIn(staff, AMARA);
  assert.deepEqual(await providersYouManage(page), [{ name: RIVERSIDE_LAB.name, href: `/providers/${RIVERSIDE_LAB.slug}/admin` }]);
  const { courses } = await openProviderCatalog(staff, RIVERSIDE_LAB);
  const row = courses.find((c) => c.cells[0] === CV_COURSE.title);
  assert.ok(row, `the catalog page should list "${CV_COURSE.title}"; it lists ${JSON.stringify(courses.map((c) => c.cells[0]))}`);
  const coursePath = `/providers/${RIVERSIDE_LAB.slug}/admin/courses/${CV_COURSE.slug}`;
  await expectStatus(await followMainLink(staff, CV_COURSE.title, coursePath), 200);
  const opened = await expectProviderCoursePage(page, RIVERSIDE_LAB, CV_COURSE);
  assert.deepEqual(opened.outline, before, 'the contents should show the course as the demo made it');

  // A text file is not a video: refused, what was typed is kept, and nothing is added.
  await expectStatus(await submitVideoLesson(staff, RIVERSIDE_LAB, CV_COURSE, { ...lesson, video: notAVideo }), 422);
  await expectErrorSummary(page, [NOT_A_VIDEO_MESSAGE]);
  const refused = await expectProviderCoursePage(page, RIVERSIDE_LAB, CV_COURSE);
  assert.equal(await refused.fields.title.inputValue(), CV_VIDEO.title, 'the refused form should keep the lesson title');
  assert.equal(await refused.fields.minutes.inputValue(), String(CV_VIDEO.minutes), 'the refused form should keep the length');
  assert.deepEqual(refused.outline, before, 'a refused video must not be added');

  // Captions that are not WebVTT: refused too.
  await expectStatus(await submitVideoLesson(staff, RIVERSIDE_LAB, CV_COURSE, { ...lesson, video, captions: badCaptions }), 422);
  const said = await expectErrorSummary(page, [NOT_WEBVTT_MESSAGE]);
  assert.ok(!said.includes(NOT_A_VIDEO_MESSAGE), `the WebM is a video; the summary says "${said}"`);
  assert.deepEqual((await expectProviderCoursePage(page, RIVERSIDE_LAB, CV_COURSE)).outline, before, 'a refused video must not be added');

  // The WebM with WebVTT captions is added at the end of the section chosen.
  await expectStatus(await submitVideoLesson(staff, RIVERSIDE_LAB, CV_COURSE, { ...lesson, video, captions }), 200);
  assert.equal(new URL(page.url()).searchParams.get('done'), 'video', `the added video should redirect to ${coursePath}?done=video, the browser is at ${page.url()}`);
  await expectNotice(page, VIDEO_ADDED_NOTICE);
  assert.equal(await page.locator('main .error-summary').count(), 0, 'a video that was added shows no problem');
  const added = await expectProviderCoursePage(page, RIVERSIDE_LAB, CV_COURSE);
  assert.deepEqual(
    added.outline[0].lessons.map((l) => l.title),
    [...CV_COURSE.sections[0].lessons, CV_VIDEO.title],
    'the video lesson should be listed last in the section chosen',
  );
  assert.equal(added.outline[0].lessons.at(-1).kind, 'Video', 'the new lesson should be listed as a video');
  assert.deepEqual(added.outline[1], before[1], 'the other section should not change');
  assert.equal(await added.fields.title.inputValue(), '', 'after a video is added the form is empty again');
  await signOut(staff);

  // A member enrols and plays it.
  const course = {
    ...CV_COURSE,
    sections: [{ ...CV_COURSE.sections[0], lessons: [...CV_COURSE.sections[0].lessons, CV_VIDEO.title] }, CV_COURSE.sections[1]],
  };
  const learner = await newVisitor();
  await signUp(learner, person('vida-viewer', 'Vida Viewer'));
  await expectStatus(await learner.goto(`/courses/${CV_COURSE.slug}`), 200);
  const enrolled = await enrol(learner, course);
  const item = enrolled.lessons[2];
  assert.ok(item.text.startsWith(`${CV_VIDEO.title} Video, ${CV_VIDEO.minutes} min`), `the contents should list the video with its length; they say "${item.text}"`);
  await expectStatus(await learner.follow(() => learner.page.locator('main').getByRole('link', { name: CV_VIDEO.title, exact: true }).click()), 200);
  await expectLessonPage(learner.page, course, CV_VIDEO.title);
  assert.ok(normalise(await learner.page.locator('main .lesson-body').textContent()).includes(CV_VIDEO.body), 'the lesson should say what the video shows');
  await watchVideo(learner.page, CV_VIDEO);
});

lyceumTest('a refused video lesson says why beside the video field, marked in error', async ({ newVisitor }) => {
  // Scenario: Amara chooses a text file as the video of "Writing a CV that gets read".
  const staff = await newVisitor();
  const { page } = staff;
  await signIn(staff, AMARA);
  await expectStatus(await staff.goto(`/providers/${RIVERSIDE_LAB.slug}/admin/courses/${CV_COURSE.slug}`), 200);
  const lesson = { title: 'Watch: refused', minutes: 1, section: CV_COURSE.sections[1].title };
  await expectStatus(await submitVideoLesson(staff, RIVERSIDE_LAB, CV_COURSE, { ...lesson, video: await catalogFile('notes.txt', 'not a video\n') }), 422);
  await expectErrorSummary(page, [NOT_A_VIDEO_MESSAGE]);
  await expectFieldError(page, 'video', NOT_A_VIDEO_MESSAGE);
});

lyceumTest('captions that are not WebVTT, sent with a good video, are the only problem named, beside the captions field', async ({ newVisitor }) => {
  // Scenario: Amara chooses a good WebM and a captions file that is not WebVTT for "Writing a CV that gets read".
  const staff = await newVisitor();
  const { page } = staff;
  await signIn(staff, AMARA);
  await expectStatus(await staff.goto(`/providers/${RIVERSIDE_LAB.slug}/admin/courses/${CV_COURSE.slug}`), 200);
  const lesson = { title: 'Watch: refused', minutes: 1, section: CV_COURSE.sections[1].title };
  const video = await testPatternVideo('refused.webm', { seconds: 1 });
  const badCaptions = await catalogFile('refused.vtt', 'not captions\n');
  await expectStatus(await submitVideoLesson(staff, RIVERSIDE_LAB, CV_COURSE, { ...lesson, video, captions: badCaptions }), 422);
  const said = await expectErrorSummary(page, [NOT_WEBVTT_MESSAGE]);
  assert.ok(!said.includes(NO_VIDEO_MESSAGE), `a video was chosen, so the summary should not say "${NO_VIDEO_MESSAGE}"; it says "${said}"`);
  await expectFieldError(page, 'captions', NOT_WEBVTT_MESSAGE);
});

lyceumTest('a refused "Add a provider" marks the fields in error, says why beside them, as every other form does, and keeps what was typed', async ({ newVisitor }) => {
  // Scenario: the operator types a web site without https:// and a short name that is taken.
  const operator = await newVisitor();
  const { page } = operator;
  await signIn(operator, DEMO_OPERATOR);
  await expectStatus(await operator.goto('/admin/providers'), 200);
  const typed = { name: 'Codeworks Again', slug: CODEWORKS.slug, website: 'codeworks.example', description: 'Again.', partner: true };
  await expectStatus(await submitNewProvider(operator, typed), 422);
  const taken = `A provider with the short name ${CODEWORKS.slug} already exists.`;
  await expectErrorSummary(page, ['Give the full address, starting with https://, or leave it empty.', taken]);
  await expectFieldError(page, 'website', 'Give the full address, starting with https://, or leave it empty.');
  await expectFieldError(page, 'slug', taken);
  const { add } = await expectAdminProvidersPage(page);
  for (const name of ['name', 'slug', 'website', 'description']) {
    assert.equal(await add[name].inputValue(), typed[name], `the refused form should keep the ${name} that was typed`);
  }
  assert.equal(await add.partner.isChecked(), true, 'the refused form should keep "A third-party partner" ticked');
});

lyceumTest('a refused "Add provider staff" keeps what was chosen and typed, and marks the email field in error', async ({ newVisitor }) => {
  // Scenario: the operator chooses Codeworks Academy and types the address of nobody who has an account.
  const operator = await newVisitor();
  const { page } = operator;
  await signIn(operator, DEMO_OPERATOR);
  await expectStatus(await operator.goto('/admin/providers'), 200);
  const nobody = 'nobody-here@example.test';
  await expectStatus(await submitProviderStaff(operator, CODEWORKS.name, nobody), 422);
  await expectErrorSummary(page, [NO_SUCH_MEMBER_MESSAGE]);
  const { staff } = await expectAdminProvidersPage(page, { after: 'staff' });
  assert.equal(await staff.email.inputValue(), nobody, 'the refused form should keep the email address that was typed');
  assert.equal(await staff.provider.inputValue(), CODEWORKS.slug, 'the refused form should keep the provider that was chosen');
  await expectFieldError(page, 'email', NO_SUCH_MEMBER_MESSAGE);
});

lyceumTest('a member follows Jonas Lindqvist from his course\'s page; when Amara imports a new course of his, the member\'s open page counts a notice that leads to it', async ({ newVisitor }) => {
  // Scenario: a new member opens "Writing a CV that gets read", follows the instructor's name to his page and
  // presses "Follow". Amara imports a CSV with a new course by Jonas into Riverside Learning Lab's catalog. The
  // member, with "My learning" open, sees the notification count appear, opens the notifications and the course.
  const INTERVIEWS = { slug: 'interview-answers-that-land', title: 'Interview answers that land' };
  const member = await newVisitor();
  await signUp(member, person('fola-follower', 'Fola Follower'));
  await expectStatus(await member.goto(`/courses/${CV_COURSE.slug}`), 200);
  const credit = member.page.locator('main dl').getByRole('link', { name: 'Jonas Lindqvist', exact: true });
  assert.equal(await credit.getAttribute('href'), '/instructors/jonas-lindqvist');
  await expectStatus(await member.follow(() => credit.click()), 200);
  await expectHeading(member.page, 'Jonas Lindqvist');
  const main = () => member.page.locator('main');
  assert.ok(
    (await main().locator('.course-card h3').allTextContents()).map(normalise).includes(CV_COURSE.title),
    'his page lists his course',
  );
  await expectStatus(await member.follow(() => main().getByRole('button', { name: 'Follow Jonas Lindqvist', exact: true }).click()), 200);
  const said = normalise(await main().locator('[role="status"]').textContent());
  assert.equal(said, 'You follow this instructor. You will get a notice when they publish a course.');
  assert.equal(await main().getByRole('button', { name: 'Stop following Jonas Lindqvist', exact: true }).count(), 1);
  await expectStatus(await member.goto('/learning'), 200);
  assert.ok(normalise(await main().textContent()).includes('Instructors you follow Jonas Lindqvist'));
  await member.page.waitForFunction(() => window.EventSource !== undefined);

  const staff = await newVisitor();
  await signIn(staff, AMARA);
  await openProviderCatalog(staff, RIVERSIDE_LAB);
  const csv = await catalogFile('riverside.csv', [
    'id,title,summary,description,level,language,duration_minutes,skills,instructors',
    `interviews-1,${INTERVIEWS.title},Answer with examples,Stories that show what you did.,beginner,en,40,Interviews,Jonas Lindqvist`,
    '',
  ].join('\n'));
  await expectStatus(await importCatalog(staff, RIVERSIDE_LAB, csv), 200);
  assert.equal((await expectImportSummary(staff.page)).text, 'Imported: 1 new course, 0 updated.');

  await member.page.waitForFunction(
    () => /new/.test(document.getElementById('nav-notifications-count')?.textContent || ''),
    null,
    { timeout: 10000 },
  );
  await expectStatus(await member.follow(() => mainNav(member.page).getByRole('link', { name: /^Notifications/ }).click()), 200);
  const link = main().getByRole('link', { name: `A new course by an instructor you follow: ${INTERVIEWS.title}.`, exact: true });
  assert.equal(await link.getAttribute('href'), `/courses/${INTERVIEWS.slug}`);
  await expectStatus(await member.follow(() => link.click()), 200);
  await expectHeading(member.page, INTERVIEWS.title);
  await signOut(staff);
  await signOut(member);
});

lyceumTest('Cora imports a course by Grace Hopper as a draft, submits it for review and publishes it; a member who follows Grace hears of it only then', async ({ newVisitor }) => {
  // Scenario: Cora imports a CSV choosing "Keep them as drafts"; the draft is not in the catalog. A member opens
  // Grace Hopper's instructor page (no course of hers is published yet) and follows her. Cora submits the course for
  // review, then publishes it; the member's notifications lead to the course, now in the catalog.
  const COBOL = { slug: 'cobol-for-the-curious', title: 'COBOL for the curious' };
  const staff = await newVisitor();
  await signIn(staff, CORA);
  await openProviderCatalog(staff, CODEWORKS);
  await staff.page.getByLabel('Keep them as drafts, to review and publish one by one').check();
  const csv = await catalogFile('codeworks-drafts.csv', [
    'id,title,summary,description,level,language,duration_minutes,skills,instructors',
    `cobol-1,${COBOL.title},Read old code,Programs that still run banks.,beginner,en,50,COBOL,Grace Hopper`,
    '',
  ].join('\n'));
  await expectStatus(await importCatalog(staff, CODEWORKS, csv), 200);
  assert.equal((await expectImportSummary(staff.page)).text, 'Imported: 1 new course, 0 updated.');
  const row = (await expectProviderCatalogPage(staff.page, CODEWORKS)).courses.find((c) => c.cells[0] === COBOL.title);
  assert.equal(row.cells[1], 'draft');

  const member = await newVisitor();
  await signUp(member, person('gus-grace-fan', 'Gus Follower'));
  await expectStatus(await member.goto(`/courses/${COBOL.slug}`), 404);
  await expectStatus(await member.goto('/instructors/grace-hopper'), 200);
  await expectHeading(member.page, 'Grace Hopper');
  const main = () => member.page.locator('main');
  assert.ok(normalise(await main().textContent()).includes('No course by Grace Hopper is in the catalog'));
  await expectStatus(await member.follow(() => main().getByRole('button', { name: 'Follow Grace Hopper', exact: true }).click()), 200);

  await expectStatus(await followMainLink(staff, COBOL.title, `${ADMIN_PATH}/courses/${COBOL.slug}`), 200);
  const publishing = staff.page.locator('main section[aria-labelledby="state-title"]');
  await expectStatus(await staff.follow(() => publishing.getByRole('button', { name: 'Submit for review', exact: true }).click()), 200);
  assert.ok(normalise(await publishing.textContent()).startsWith('Publishing In review'));
  await expectStatus(await member.goto('/notifications'), 200);
  assert.equal(await main().getByRole('link', { name: /A new course by an instructor you follow/ }).count(), 0, 'nothing is announced before it is published');
  await expectStatus(await staff.follow(() => publishing.getByRole('button', { name: 'Publish', exact: true }).click()), 200);
  assert.ok(normalise(await publishing.textContent()).startsWith('Publishing Published'));

  const link = main().getByRole('link', { name: `A new course by an instructor you follow: ${COBOL.title}.`, exact: true });
  for (let tries = 0; (await link.count()) === 0 && tries < 20; tries++) {
    // The notice is written by the job queue, within a second or two.
    await new Promise((r) => setTimeout(r, 500));
    await expectStatus(await member.goto('/notifications'), 200);
  }
  await expectStatus(await member.follow(() => link.click()), 200);
  await expectHeading(member.page, COBOL.title);
  await signOut(staff);
  await signOut(member);
});
