// The learning library: a library patron (a guest, signed in with their card)
// and a member each find a course in the catalog, enrol, read its articles,
// watch its video lesson (it plays in Chromium, with its captions, and the
// video is served in byte ranges to enrolled learners only), pass its quiz, print a certificate with a name that is never kept, download
// the signed credential and have it verified; a tampered credential is
// refused. The quiz can be answered with the keyboard alone, and the catalog
// is open to anyone, signed in or not.
//
// The server was loaded with `lyceum demo`: Riverside Public Library (cards
// 29000001 to 29000020, PIN 1234) and 814 courses from three providers, among
// them "Spreadsheets: the first steps" and "Staying safe online" with real
// lessons and quizzes. The tests run in order and share the server: the data
// directory scan, the "Popular with learners" shelf and the video refused to
// learners who are not enrolled read what the earlier tests did. Cards: 29000003 once, 29000004 once.

import assert from 'node:assert/strict';
import { expectVisibleFocus, focused, tabTo } from '../lib/a11y.mjs';
import { AMARA, DEMO_LIBRARY, demoCard, demoSuite } from '../lib/demo.mjs';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectPath,
  expectSignedInNav,
  expectSignedOutNav,
  expectStatus,
  mainNav,
  normalise,
  person,
  signIn,
  signOut,
  signUp,
} from '../lib/flows.mjs';
import {
  answerQuiz,
  applyFacet,
  catalogResults,
  COURSE_FINISHED_NOTICE,
  downloadCredential,
  EMPTY_NAME_MESSAGE,
  enrol,
  expectCatalogPage,
  expectCertificatePage,
  expectCoursePage,
  expectLessonPage,
  expectMyLearningPage,
  expectOpenBadgeCredential,
  expectQuizForm,
  expectQuizResult,
  expectValid,
  facetValues,
  followProgressLink,
  guestCourses,
  lessonsOf,
  openCatalogFromNav,
  openCertificate,
  openCourseFromCatalog,
  printCertificate,
  QUIZ_COMPLETES_COURSE_NOTICE,
  readArticles,
  removeFacet,
  searchCourses,
  shelf,
  SPREADSHEETS,
  STAYING_SAFE,
  TAMPERED_REASON,
  verifyCredential,
} from '../lib/learning.mjs';
import { expectChooseLibraryPage, expectLearnPage, signInWithCard, signOutPatron } from '../lib/patrons.mjs';
import { findInFiles } from '../lib/privacy.mjs';
import { expectNotice } from '../lib/staff.mjs';

const lyceumTest = demoSuite();

/** Names typed on the certificate form, which must never reach the data directory. */
const PRINTED_NAMES = {
  guest: 'Quillon Printname-Guest',
  member: 'Quillon Printname-Member',
};
/** The names the tests actually printed, for the data directory scan. */
const printed = [];
/** The member's genuine credential, for the signed-out visitor to verify. */
let memberCredentialText;
/** The address of the spreadsheets video the guest watched, for those not enrolled to be refused. */
let spreadsheetsVideoUrl;

const MEMBER = person('mira-learner', 'Mira Learner');

/** The right answer to every question of `course`'s quiz. */
const rightAnswers = (course) => course.quiz.questions.map((q) => q.answer);

/** Passes the quiz the visitor is on, which finishes the course; lands on the quiz result with the notice. */
async function passFinalQuiz(visitor, course) {
  const { page } = visitor;
  const result = await answerQuiz(visitor, course, rightAnswers(course));
  assert.equal(result.passed, true, 'all answers right should pass');
  assert.equal(result.percent, 100);
  const main = normalise(await page.locator('main').textContent());
  assert.ok(main.includes(QUIZ_COMPLETES_COURSE_NOTICE), `passing the last quiz should say "${QUIZ_COMPLETES_COURSE_NOTICE}"; main says "${main.slice(0, 400)}"`);
}

/** Goes to the course page and checks every lesson is finished, with the finished notice gone. */
async function expectCourseFinished(visitor, course) {
  await expectStatus(await visitor.goto(`/courses/${course.slug}`), 200);
  const state = await expectCoursePage(visitor.page, course);
  assert.equal(state.enrolled, true);
  assert.equal(state.finished, lessonsOf(course).length, 'every lesson should be finished');
  return state;
}

lyceumTest('a patron finds "Spreadsheets: the first steps", finishes it, prints a certificate, and has the downloaded credential verified; a tampered copy is refused', async ({ newVisitor, server }) => {
  // Scenario: at home, a patron signs in with card 29000003, searches the catalog, narrows it to beginners and back,
  // enrols, reads two articles, watches the video lesson, reads the third article, fails the quiz once and passes it, prints a certificate with their name, downloads
  // the credential, checks it on the verify page by choosing the file, and then tries an edited copy.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signInWithCard(visitor, DEMO_LIBRARY, demoCard(3));

  // The guest home: nothing in progress yet, and a way to the catalog.
  const home = await guestCourses(page);
  assert.deepEqual(home.inProgress, [], 'a new patron has no course in progress');
  assert.ok(home.text.includes('You have no course in progress.'), `"Your courses" should say nothing is in progress; it says "${home.text}"`);
  await expectStatus(await visitor.follow(() => home.browse.click()), 200);
  await expectCatalogPage(page);
  assert.ok((await shelf(page, 'New this week')).length > 0, 'the unfiltered catalog should show courses new this week');
  const all = await catalogResults(page);
  assert.equal(all.heading, 'All courses (814)', 'the unfiltered catalog should count every demo course');

  // Search, then a Level filter on top of it, then take the filter off again.
  const found = await searchCourses(visitor, 'spreadsheets');
  assert.match(found.heading, /^\d+ matching courses?$/, `the results should be headed "N matching courses"; it says "${found.heading}"`);
  assert.ok(found.cards.some((c) => c.title === SPREADSHEETS.title), `searching "spreadsheets" should find "${SPREADSHEETS.title}"; it found ${JSON.stringify(found.cards.map((c) => c.title))}`);
  assert.equal(await page.locator('main').getByRole('region', { name: 'New this week', exact: true }).count(), 0, 'a search shows results, not the shelves');
  const levels = await facetValues(page, 'Level');
  assert.ok(levels.some((l) => l.startsWith('Beginner (')), `the Level filter should offer Beginner; it offers ${JSON.stringify(levels)}`);

  const beginners = await applyFacet(visitor, 'Level', 'Beginner');
  const filtered = new URL(page.url()).searchParams;
  assert.equal(filtered.get('q'), 'spreadsheets', 'the filter should keep the search');
  assert.equal(filtered.get('level'), 'beginner', 'the filter should be in the address');
  assert.ok(beginners.cards.some((c) => c.title === SPREADSHEETS.title), 'the beginner course should still be listed');
  for (const card of beginners.cards) assert.ok(card.text.includes('Beginner'), `only beginner courses should be listed; found "${card.text.slice(0, 120)}"`);

  const unfiltered = await removeFacet(visitor, 'Level');
  assert.equal(new URL(page.url()).searchParams.get('level'), null, 'removing the filter should take it out of the address');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'spreadsheets', 'removing the filter should keep the search');
  assert.deepEqual(unfiltered.cards, found.cards, 'without the filter, the search should list what it listed before');

  // The course, before and after enrolling.
  await openCourseFromCatalog(visitor, SPREADSHEETS);
  const before = await expectCoursePage(page, SPREADSHEETS);
  assert.equal(before.enrolled, false);
  assert.ok(before.enrol, 'a signed-in patron should be offered "Enrol"');
  assert.ok(before.lessons.every((l) => l.href === null), 'before enrolling, the lessons are listed without links');
  await enrol(visitor, SPREADSHEETS);

  // Home now lists the course in progress and leads back to it.
  const homeLink = mainNav(page).getByRole('link', { name: 'Home', exact: true });
  await expectStatus(await visitor.follow(() => homeLink.click()), 200);
  await expectLearnPage(page, DEMO_LIBRARY);
  const started = await guestCourses(page);
  assert.deepEqual(started.inProgress, [`${SPREADSHEETS.title} 0 of ${lessonsOf(SPREADSHEETS).length} lessons finished`], 'home should list the course just started');
  assert.equal(lessonsOf(SPREADSHEETS).length, 5, 'the course has three readings, a video and a quiz');
  const courseLink = page.locator('main').getByRole('link', { name: SPREADSHEETS.title, exact: true });
  await expectStatus(await visitor.follow(() => courseLink.click()), 200);
  await expectCoursePage(page, SPREADSHEETS);

  // The articles and the video, one after the other, end on the quiz; the video plays, with its captions.
  await followProgressLink(visitor, 'Start the first lesson');
  const { watched } = await readArticles(visitor, SPREADSHEETS, { watch: true });
  spreadsheetsVideoUrl = watched.videoUrl;

  // A first try with two answers wrong: not passed, explained, and the form again.
  const wrong = SPREADSHEETS.quiz.questions.map((q, i) => (i < 2 ? q.wrong : q.answer));
  const failed = await answerQuiz(visitor, SPREADSHEETS, wrong);
  assert.equal(failed.passed, false, '1 of 3 right should not pass');
  assert.equal(failed.right, 1);
  const notice = normalise(await page.locator('main').textContent());
  assert.ok(!notice.includes(QUIZ_COMPLETES_COURSE_NOTICE), 'a failed quiz does not finish the course');
  await expectQuizForm(page, SPREADSHEETS);

  // The course page says the quiz is what is left.
  await expectStatus(await visitor.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  const midway = await expectCoursePage(page, SPREADSHEETS);
  assert.equal(midway.finished, 4, 'the three articles and the video are finished, the quiz is not');
  await followProgressLink(visitor, 'Resume where you left off');
  await expectLessonPage(page, SPREADSHEETS, SPREADSHEETS.quiz.title);

  await passFinalQuiz(visitor, SPREADSHEETS);
  await expectCourseFinished(visitor, SPREADSHEETS);

  // The certificate: no name is refused, a name is printed, in print without the site's header.
  await openCertificate(visitor, SPREADSHEETS);
  const empty = await expectCertificatePage(page, SPREADSHEETS);
  await empty.name.fill('');
  await expectStatus(await visitor.follow(() => empty.submit.click()), 422);
  await expectCertificatePage(page, SPREADSHEETS);
  await expectErrorSummary(page, [EMPTY_NAME_MESSAGE]);
  await expectFieldError(page, 'name', EMPTY_NAME_MESSAGE);

  printed.push(PRINTED_NAMES.guest);
  const certificate = await printCertificate(visitor, SPREADSHEETS, PRINTED_NAMES.guest);
  assert.ok(certificate.includes('finished the course'), `the certificate should say the course was finished: "${certificate}"`);

  // The credential, downloaded from the certificate page.
  await expectStatus(await visitor.goto(`/courses/${SPREADSHEETS.slug}/certificate`), 200);
  await expectCertificatePage(page, SPREADSHEETS);
  const credential = await downloadCredential(page, SPREADSHEETS);
  assert.equal(credential.filename, `lyceum-certificate-${SPREADSHEETS.slug}.json`);
  expectOpenBadgeCredential(credential.credential, SPREADSHEETS, server);
  assert.ok(!credential.text.includes(PRINTED_NAMES.guest), 'the credential names the course, not the learner');
  const served = await visitor.context.request.get(`/courses/${SPREADSHEETS.slug}/credential.json`);
  await expectStatus(served, 200);
  assert.equal(served.headers()['content-type'], 'application/vc+ld+json', 'the credential should be served as application/vc+ld+json');
  assert.match(served.headers()['content-disposition'] ?? '', /^attachment\b/, 'the credential should be a download');

  // Verified by choosing the file: genuine.
  const valid = await verifyCredential(visitor, { path: credential.path });
  expectValid(valid, credential.credential, SPREADSHEETS);

  // Any change to a signed field breaks the signature.
  const tampered = JSON.stringify({ ...credential.credential, name: 'Spreadsheets: the master class' }, null, 2);
  const refused = await verifyCredential(visitor, { text: tampered });
  assert.equal(refused.valid, false, 'a credential whose name was changed must not verify');
  assert.equal(refused.reason, TAMPERED_REASON);

  // Afterwards: nothing in progress at home, and the course under "Finished" in My learning.
  await expectStatus(await visitor.goto(`/libraries/${DEMO_LIBRARY.slug}/learn`), 200);
  await expectLearnPage(page, DEMO_LIBRARY);
  const after = await guestCourses(page);
  assert.deepEqual(after.inProgress, [], 'with the course finished, nothing is in progress');
  assert.ok(after.text.includes('You have no course in progress.'), `"Your courses" should say nothing is in progress; it says "${after.text}"`);
  const myLearning = mainNav(page).getByRole('link', { name: 'My learning', exact: true });
  await expectStatus(await visitor.follow(() => myLearning.click()), 200);
  const learning = await expectMyLearningPage(page);
  assert.deepEqual(learning.inProgress, [], '"In progress" should be empty');
  assert.deepEqual(learning.finished, [{ title: SPREADSHEETS.title, certificate: `/courses/${SPREADSHEETS.slug}/certificate` }]);

  await signOutPatron(visitor);
});

lyceumTest('a member finds "Staying safe online", passes it, prints a certificate and has the pasted credential verified', async ({ newVisitor, server }) => {
  // Scenario: a new member signs up, follows "Courses", searches, enrols, reads both articles and watches the video
  // between them, passes the quiz at the first try, prints the certificate with their name, downloads the credential and pastes it into the verify page.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, MEMBER);

  await openCatalogFromNav(visitor);
  await expectSignedInNav(page);
  const found = await searchCourses(visitor, 'staying safe online');
  assert.ok(found.cards.some((c) => c.title === STAYING_SAFE.title), `the search should find "${STAYING_SAFE.title}"; it found ${JSON.stringify(found.cards.map((c) => c.title))}`);
  await openCourseFromCatalog(visitor, STAYING_SAFE);
  await enrol(visitor, STAYING_SAFE);
  await expectSignedInNav(page);

  await followProgressLink(visitor, 'Start the first lesson');
  await readArticles(visitor, STAYING_SAFE, { watch: true });
  await passFinalQuiz(visitor, STAYING_SAFE);

  // The video of a course the member did not enrol in is not served to them.
  assert.ok(spreadsheetsVideoUrl, 'the guest\'s test should have watched the spreadsheets video');
  const notEnrolled = await page.request.get(spreadsheetsVideoUrl, { headers: { Range: 'bytes=0-99' } });
  await expectStatus(notEnrolled, 409);
  assert.doesNotMatch(notEnrolled.headers()['content-type'] ?? '', /^video\//, 'a refused video must not be sent');

  // The course page, straight after, says so once.
  const link = page.locator('main').getByRole('link', { name: 'Get your certificate', exact: true });
  assert.equal(await link.count(), 1, 'the quiz result should link to the certificate');
  await expectStatus(await visitor.follow(() => link.click()), 200);
  await expectCertificatePage(page, STAYING_SAFE);
  await expectCourseFinished(visitor, STAYING_SAFE);
  assert.equal(await page.locator('main [role="status"]').count(), 0, 'the "finished" notice belongs to the moment of finishing, not to every visit');

  await openCertificate(visitor, STAYING_SAFE);
  printed.push(PRINTED_NAMES.member);
  await printCertificate(visitor, STAYING_SAFE, PRINTED_NAMES.member);
  const again = page.locator('main').getByRole('link', { name: 'Print with another name', exact: true });
  assert.equal(await again.count(), 1, 'the printable certificate should offer "Print with another name"');
  await expectStatus(await visitor.follow(() => again.click()), 200);
  await expectCertificatePage(page, STAYING_SAFE);

  const credential = await downloadCredential(page, STAYING_SAFE);
  expectOpenBadgeCredential(credential.credential, STAYING_SAFE, server);
  assert.ok(!credential.text.includes(MEMBER.displayName) && !credential.text.includes(MEMBER.email), 'the credential should not name the member');
  memberCredentialText = credential.text;
  const valid = await verifyCredential(visitor, { text: credential.text });
  expectValid(valid, credential.credential, STAYING_SAFE);

  const myLearning = mainNav(page).getByRole('link', { name: 'My learning', exact: true });
  await expectStatus(await visitor.follow(() => myLearning.click()), 200);
  const learning = await expectMyLearningPage(page);
  assert.deepEqual(learning.inProgress, []);
  assert.deepEqual(learning.finished, [{ title: STAYING_SAFE.title, certificate: `/courses/${STAYING_SAFE.slug}/certificate` }]);
  await signOut(visitor);
});

lyceumTest('the names typed on the certificates reach no file of the data directory and no line of the server\'s log', async ({ server }) => {
  // Scenario: after the guest and the member printed their certificates, every byte the server keeps on disk is searched.
  assert.deepEqual(printed, [PRINTED_NAMES.guest, PRINTED_NAMES.member], 'the earlier tests should have printed both certificates');
  const { names, found } = await findInFiles(server.dataDir, [...printed, SPREADSHEETS.title]);
  assert.ok(names.includes('lyceum.db'), `the data directory should hold lyceum.db; it holds ${names.join(', ')}`);
  // The search must be able to find plain text at all: course titles are stored as they are.
  assert.ok(found.some((f) => f.startsWith(`${SPREADSHEETS.title} in `)), `the search should find "${SPREADSHEETS.title}" in ${names.join(', ')}`);
  const leaked = found.filter((f) => printed.some((name) => f.startsWith(`${name} in `)));
  assert.deepEqual(leaked, [], `a name typed on a certificate was written to disk: ${leaked.join('; ')}`);
  for (const name of printed) {
    assert.ok(!server.stderr().includes(name), `the server's log should not contain "${name}"`);
  }
});

lyceumTest('a patron enrols and answers a quiz with the keyboard alone: Tab to each question, arrow keys to choose, Enter to send', async ({ newVisitor }) => {
  // Scenario: a patron who does not use a mouse signs in with card 29000004, enrols, opens the quiz from the contents and passes it.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signInWithCard(visitor, DEMO_LIBRARY, demoCard(4));
  await expectStatus(await visitor.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  await expectCoursePage(page, SPREADSHEETS);

  await tabTo(page, 'the "Enrol" button', (f) => f.inMain && f.tag === 'button' && f.text === 'Enrol');
  await expectStatus(await visitor.follow(() => page.keyboard.press('Enter')), 200);
  await expectNotice(page, 'You are enrolled.');
  const state = await expectCoursePage(page, SPREADSHEETS);
  const quizHref = state.lessons.at(-1).href;
  await tabTo(page, 'the quiz in the contents', (f) => f.tag === 'a' && f.href === quizHref);
  await expectStatus(await visitor.follow(() => page.keyboard.press('Enter')), 200);
  await expectLessonPage(page, SPREADSHEETS, SPREADSHEETS.quiz.title);
  const { fieldsets } = await expectQuizForm(page, SPREADSHEETS);

  // Tab enters each group on its first choice; the arrow keys move and choose (Space chooses the first).
  await tabTo(page, 'the first question', (f) => f.tag === 'input' && f.type === 'radio' && f.name === 'q0');
  for (const [i, question] of SPREADSHEETS.quiz.questions.entries()) {
    if (i > 0) await page.keyboard.press('Tab');
    const labels = (await fieldsets.nth(i).locator('label').allTextContents()).map(normalise);
    const target = labels.indexOf(question.answer);
    assert.ok(target >= 0, `question ${i + 1} should offer "${question.answer}"`);
    const entered = await focused(page);
    assert.equal(entered?.name, `q${i}`, `Tab should reach question ${i + 1}; focus is on ${JSON.stringify(entered)}`);
    assert.equal(entered.value, '0', `Tab should enter question ${i + 1} on its first choice`);
    if (target === 0) await page.keyboard.press('Space');
    for (let k = 0; k < target; k++) await page.keyboard.press('ArrowDown');
    const chosen = await focused(page);
    assert.equal(chosen?.name, `q${i}`, `the arrow keys should stay in question ${i + 1}`);
    assert.equal(chosen.checked, true, `the focused choice of question ${i + 1} should be chosen`);
    assert.equal(normalise(await page.locator(`label[for="${chosen.id}"]`).textContent()), question.answer);
    await expectVisibleFocus(page);
  }
  await tabTo(page, 'the "Check my answers" button', (f) => f.inMain && f.tag === 'button' && f.text === 'Check my answers');
  await expectStatus(await visitor.follow(() => page.keyboard.press('Enter')), 200);
  const result = await expectQuizResult(page, SPREADSHEETS, SPREADSHEETS.quiz.questions.map((q) => q.answer));
  assert.equal(result.passed, true, 'the answers chosen with the keyboard should all be right');
  assert.ok(normalise(await page.locator('main').textContent()).includes('This lesson is finished.'));
  assert.ok(!normalise(await page.locator('main').textContent()).includes(QUIZ_COMPLETES_COURSE_NOTICE), 'with the articles and the video unfinished, the course is not finished');

  // Later, the articles and the video: finishing the last one finishes the course, and the course page says so.
  await expectStatus(await visitor.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  assert.equal((await expectCoursePage(page, SPREADSHEETS)).finished, 1, 'the quiz is the one lesson finished');
  await followProgressLink(visitor, 'Resume where you left off');
  await readArticles(visitor, SPREADSHEETS, { finishesCourse: true });
  await expectNotice(page, COURSE_FINISHED_NOTICE);
  assert.equal(new URL(page.url()).searchParams.get('done'), 'course');
  const finished = await expectCoursePage(page, SPREADSHEETS);
  assert.equal(finished.finished, lessonsOf(SPREADSHEETS).length, 'every lesson should be finished');
  await openCertificate(visitor, SPREADSHEETS);
  await signOutPatron(visitor);
});

lyceumTest('signed out, anyone can browse the catalog and verify a credential; a course page offers ways to sign in instead of "Enrol"', async ({ newVisitor }) => {
  // Scenario: a visitor who is not signed in follows "Courses" from the home page, pages through, opens a course,
  // is sent to sign in when trying its certificate, and checks a credential someone gave them.
  const visitor = await newVisitor();
  const { page } = visitor;
  await expectStatus(await visitor.goto('/'), 200);
  await expectSignedOutNav(page);
  await openCatalogFromNav(visitor);
  await expectSignedOutNav(page);
  assert.equal(await mainNav(page).getByRole('link', { name: 'Courses', exact: true }).getAttribute('aria-current'), 'page', 'the nav should mark "Courses" as the current page');

  assert.ok((await shelf(page, 'New this week')).length > 0, 'the catalog should show courses new this week');
  const popular = (await shelf(page, 'Popular with learners')).map((c) => c.title);
  for (const course of [SPREADSHEETS, STAYING_SAFE]) {
    assert.ok(popular.includes(course.title), `"Popular with learners" should list "${course.title}", which the earlier tests took; it lists ${JSON.stringify(popular)}`);
  }
  const first = await catalogResults(page);
  assert.equal(first.heading, 'All courses (814)');
  assert.ok(first.cards.length > 0);

  // The pager: forward one page and back.
  const pager = page.locator('main').getByRole('navigation', { name: 'Pages', exact: true });
  assert.equal(await pager.getByRole('link', { name: 'Previous page', exact: true }).count(), 0, 'the first page has no "Previous page"');
  await expectStatus(await visitor.follow(() => pager.getByRole('link', { name: 'Next page', exact: true }).click()), 200);
  await expectCatalogPage(page);
  assert.equal(new URL(page.url()).searchParams.get('page'), '2');
  const second = await catalogResults(page);
  assert.ok(second.cards.length > 0, 'the second page should list courses');
  const firstTitles = new Set(first.cards.map((c) => c.href));
  assert.ok(second.cards.every((c) => !firstTitles.has(c.href)), 'the second page should list other courses than the first');
  await expectStatus(await visitor.follow(() => pager.getByRole('link', { name: 'Previous page', exact: true }).click()), 200);
  assert.deepEqual((await catalogResults(page)).cards, first.cards, '"Previous page" should go back to the first page');

  // A course page: ways to sign in, no Enrol, lessons without links.
  await searchCourses(visitor, 'staying safe online');
  await openCourseFromCatalog(visitor, STAYING_SAFE);
  await expectSignedOutNav(page);
  const course = await expectCoursePage(page, STAYING_SAFE);
  assert.equal(course.enrolled, false);
  assert.equal(course.enrol, null, 'a signed-out visitor should not be offered "Enrol"');
  assert.deepEqual(
    course.signInLinks,
    [
      { name: 'sign in with your library card', href: '/libraries' },
      { name: 'sign in to your account', href: '/signin' },
    ],
    '"Take this course" should offer the two ways to sign in',
  );
  assert.ok(course.lessons.every((l) => l.href === null), 'a signed-out visitor sees the lessons without links');

  // What needs a learner says so.
  await expectStatus(await visitor.goto(`/courses/${STAYING_SAFE.slug}/certificate`), 401);
  await expectHeading(page, 'Not signed in');
  await expectSignedOutNav(page);
  const video = await page.request.get(spreadsheetsVideoUrl);
  await expectStatus(video, 401);
  assert.doesNotMatch(video.headers()['content-type'] ?? '', /^video\//, 'the video must not be sent to someone signed out');
  const learning = await visitor.goto('/learning');
  await expectStatus(learning, 200);
  await expectPath(page, '/signin');

  // The library card link on the course page leads to choosing a library.
  await expectStatus(await visitor.goto(`/courses/${STAYING_SAFE.slug}`), 200);
  const cardLink = page.locator('main').getByRole('link', { name: 'sign in with your library card', exact: true });
  await expectStatus(await visitor.follow(() => cardLink.click()), 200);
  await expectChooseLibraryPage(page);

  // Verifying needs no sign-in.
  assert.ok(memberCredentialText, 'the member\'s test should have downloaded a credential');
  const valid = await verifyCredential(visitor, { text: memberCredentialText });
  expectValid(valid, JSON.parse(memberCredentialText), STAYING_SAFE);
  await expectSignedOutNav(page);
});

lyceumTest('a patron asks about a lesson without their name; a member answers with theirs; the patron accepts the answer and the question shows as answered', async ({ newVisitor }) => {
  // Scenario: a patron enrols in "Spreadsheets: the first steps", opens its first lesson and follows "Questions about
  // this lesson"; an empty question is refused with the reason, then the question is asked. A new member enrols,
  // reads the questions from the course page, answers with their name shown; the patron accepts the answer.
  const QUESTION = 'Does a formula change when I copy it?';
  const patron = await newVisitor();
  await signInWithCard(patron, DEMO_LIBRARY, demoCard(6));
  await expectStatus(await patron.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  await enrol(patron, SPREADSHEETS);
  await followProgressLink(patron, 'Start the first lesson');
  await expectLessonPage(patron.page, SPREADSHEETS, lessonsOf(SPREADSHEETS)[0]);
  const main = (v) => v.page.locator('main');
  await expectStatus(await patron.follow(() => main(patron).getByRole('link', { name: 'Questions about this lesson', exact: true }).click()), 200);
  await expectHeading(patron.page, 'Questions and answers');
  assert.ok(normalise(await main(patron).textContent()).includes(`Questions about the lesson “${lessonsOf(SPREADSHEETS)[0]}”`));
  assert.equal(await main(patron).getByLabel('Show my name with this question').count(), 0, 'a patron has no name to show');
  const about = main(patron).getByLabel('About', { exact: true });
  assert.equal(normalise(await about.locator('option:checked').textContent()), lessonsOf(SPREADSHEETS)[0], 'the lesson is chosen');
  await expectStatus(await patron.follow(() => main(patron).getByRole('button', { name: 'Ask', exact: true }).click()), 422);
  await expectErrorSummary(patron.page, ['Write the question.']);
  await expectFieldError(patron.page, 'title', 'Write the question.');
  await main(patron).getByLabel('Your question', { exact: true }).fill(QUESTION);
  await main(patron).getByLabel('Details (optional)', { exact: true }).fill('I copied =A1+B1 down a row.');
  await expectStatus(await patron.follow(() => main(patron).getByRole('button', { name: 'Ask', exact: true }).click()), 200);
  await expectHeading(patron.page, QUESTION);
  assert.ok(normalise(await main(patron).textContent()).includes('Asked by You'));

  const member = await newVisitor();
  await signUp(member, person('quinn-answers', 'Quinn Answers'));
  await expectStatus(await member.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  await enrol(member, SPREADSHEETS);
  const read = main(member).getByRole('link', { name: `Read the questions on ${SPREADSHEETS.title} or ask one`, exact: true });
  await expectStatus(await member.follow(() => read.click()), 200);
  await expectStatus(await member.follow(() => main(member).getByRole('link', { name: QUESTION, exact: true }).click()), 200);
  assert.ok(normalise(await main(member).textContent()).includes('Asked by A learner'), 'peers do not see who asked');
  await main(member).getByLabel('Answer', { exact: true }).fill('Yes: the references move with it. Write $A$1 to keep one fixed.');
  // With a screenshot drawn in the browser, described for screen readers.
  const shot = await member.page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 600;
    c.height = 300;
    const g = c.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, 600, 300);
    g.fillStyle = '#1d4f91';
    g.fillRect(20, 20, 200, 40);
    return c.toDataURL('image/png').split(',')[1];
  });
  await main(member).getByLabel('Picture', { exact: true }).setInputFiles({ name: 'sheet.png', mimeType: 'image/png', buffer: Buffer.from(shot, 'base64') });
  await main(member).getByLabel('What the picture shows').fill('A cell with $A$1 in its formula');
  await main(member).getByLabel('Show my name with this answer').check();
  await expectStatus(await member.follow(() => main(member).getByRole('button', { name: 'Post answer', exact: true }).click()), 200);
  assert.equal(normalise(await main(member).locator('[role="status"]').textContent()), 'Your answer is posted.');
  await expectStatus(await member.follow(() => main(member).getByRole('button', { name: 'Helpful (this question)', exact: true }).click()), 200);
  assert.equal(await main(member).getByRole('button', { name: 'Helpful (this question)', exact: true }).getAttribute('aria-pressed'), 'true');

  await expectStatus(await patron.page.reload(), 200);
  await patron.checkPage();
  const answer = main(patron).locator('ol.qa-answers > li');
  assert.equal(await answer.count(), 1);
  assert.ok(normalise(await answer.textContent()).startsWith('Quinn Answers'), 'the member chose to show their name');
  const picture = answer.getByRole('img', { name: 'A cell with $A$1 in its formula', exact: true });
  await picture.scrollIntoViewIfNeeded();
  await patron.page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await picture.elementHandle());
  assert.match(await picture.getAttribute('src'), /^\/media\/qa\/[0-9a-f-]+\/small$/);
  assert.ok(normalise(await main(patron).textContent()).includes('1 found this helpful'));
  await expectStatus(await patron.follow(() => answer.getByRole('button', { name: 'Accept this answer', exact: true }).click()), 200);
  assert.ok(normalise(await answer.textContent()).startsWith('Accepted answer Quinn Answers'));
  await expectStatus(await patron.follow(() => main(patron).getByRole('link', { name: 'Questions and answers', exact: true }).click()), 200);
  assert.ok(normalise(await main(patron).textContent()).includes(`${QUESTION} Answered 1 answer`));
  await signOutPatron(patron);
  await signOut(member);
});

lyceumTest('Amara makes the learning path "Back to work" for Riverside and saves a course into it; a patron follows it from the library\'s page; a member keeps a private collection', async ({ newVisitor }) => {
  // Scenario: Amara, staff of Riverside, opens "Learning paths" from the library's settings, makes a path (an empty
  // title first), then saves "Staying safe online" into it from the course's page. A patron opens "Learning paths from
  // your library" on their home page and sees the course in the path, not started. A member saves a course into a new
  // collection of their own, which the patron cannot open.
  const PATH = 'Back to work';
  const staff = await newVisitor();
  await signIn(staff, AMARA);
  await expectStatus(await staff.goto(`/libraries/${DEMO_LIBRARY.slug}/admin`), 200);
  const main = (v) => v.page.locator('main');
  await expectStatus(await staff.follow(() => main(staff).getByRole('link', { name: 'Learning paths', exact: true }).click()), 200);
  await expectHeading(staff.page, `Learning paths from ${DEMO_LIBRARY.name}`);
  await expectStatus(await staff.follow(() => main(staff).getByRole('button', { name: 'Make the path', exact: true }).click()), 422);
  await expectErrorSummary(staff.page, ['Give the collection a title.']);
  await expectFieldError(staff.page, 'title', 'Give the collection a title.');
  await main(staff).getByLabel('Title', { exact: true }).fill(PATH);
  await main(staff).getByLabel('Introduction (optional)').fill('From a safe inbox to your first week.');
  await expectStatus(await staff.follow(() => main(staff).getByRole('button', { name: 'Make the path', exact: true }).click()), 200);
  await expectHeading(staff.page, PATH);
  const pathUrl = new URL(staff.page.url()).pathname;

  await expectStatus(await staff.goto(`/courses/${STAYING_SAFE.slug}`), 200);
  await main(staff).getByLabel('Collection', { exact: true }).selectOption({ label: `${DEMO_LIBRARY.name}'s learning path: ${PATH}` });
  await expectStatus(await staff.follow(() => main(staff).getByRole('button', { name: `Save ${STAYING_SAFE.title} to the collection`, exact: true }).click()), 200);
  await expectNotice(staff.page, 'Saved to the collection.');
  await expectStatus(await staff.follow(() => main(staff).getByRole('link', { name: 'Open the collection', exact: true }).click()), 200);
  assert.deepEqual((await main(staff).locator('ol.collection-courses h2').allTextContents()).map(normalise), [STAYING_SAFE.title]);
  await signOut(staff);

  const patron = await newVisitor();
  await signInWithCard(patron, DEMO_LIBRARY, demoCard(7));
  await expectStatus(await patron.follow(() => main(patron).getByRole('link', { name: 'Learning paths from your library', exact: true }).click()), 200);
  await expectStatus(await patron.follow(() => main(patron).getByRole('link', { name: PATH, exact: true }).click()), 200);
  assert.equal(new URL(patron.page.url()).pathname, pathUrl);
  const row = normalise(await main(patron).locator('ol.collection-courses > li').first().textContent());
  assert.ok(row.startsWith(STAYING_SAFE.title) && row.endsWith('Not started'), row);
  assert.equal(await main(patron).getByRole('button', { name: 'Delete the path', exact: true }).count(), 0, 'only staff change a path');

  const member = await newVisitor();
  await signUp(member, person('cole-collector', 'Cole Collector'));
  await expectStatus(await member.goto(`/courses/${SPREADSHEETS.slug}`), 200);
  await main(member).getByLabel('Collection', { exact: true }).selectOption('new');
  await main(member).getByLabel('Name of a new collection').fill('For the weekend');
  await expectStatus(await member.follow(() => main(member).getByRole('button', { name: `Save ${SPREADSHEETS.title} to the collection`, exact: true }).click()), 200);
  await expectStatus(await member.follow(() => main(member).getByRole('link', { name: 'Open the collection', exact: true }).click()), 200);
  await expectHeading(member.page, 'For the weekend');
  assert.ok(normalise(await main(member).textContent()).includes('Only you see this collection.'));
  const mine = new URL(member.page.url()).pathname;
  await expectStatus(await patron.goto(mine), 404);
  await expectStatus(await patron.goto('/learning'), 200);
  await signOutPatron(patron);
  await signOut(member);
});
