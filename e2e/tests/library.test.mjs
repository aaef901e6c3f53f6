// Library card sign-in: a patron finds their library, signs in with the card
// and PIN their library gave them (checked over SIP2 by the library's own
// system), sees what is kept about them, deletes it, and signs out. Refused
// cards and a card check that is down each get their own plain answer on the
// library's page.
//
// The server has an operator and Riverside Public Library, made on the
// command line, and the library checks cards against the SIP2 test server.
// One card may be tried 8 times in 15 minutes: this file uses the valid card
// 7 times.

import assert from 'node:assert/strict';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectSignedOutNav,
  expectStatus,
  mainNav,
  normalise,
  skipBrowserValidation,
} from '../lib/flows.mjs';
import { librarySuite, PATRONS, RIVERSIDE } from '../lib/library.mjs';
import {
  CARD_MISMATCH_TEXT,
  ERASED_NOTICE,
  expectChooseLibraryPage,
  expectLearnPage,
  expectLibraryPage,
  expectMyDataPage,
  expectNoPatronSession,
  expectProblem,
  fillCardSignIn,
  findLibrary,
  onlySessionCookie,
  openMyData,
  signInWithCard,
  signOutPatron,
  submitCardSignIn,
} from '../lib/patrons.mjs';

const { lyceumTest, sip2 } = librarySuite();
const LEDGER_RECIPIENT = `${RIVERSIDE.name}'s card system`;

lyceumTest('a patron finds their library by its town, signs in with card and PIN, opens My data and signs out', async ({ newVisitor }) => {
  // Scenario: from the home page to the library by searching the town, in on their own device, My data, out again.
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/');
  const cardLink = mainNav(page).getByRole('link', { name: 'Sign in with a library card', exact: true });
  await expectStatus(await visitor.follow(() => cardLink.click()), 200);
  const { query, search } = await expectChooseLibraryPage(page);

  // A town without a library says so.
  await query.fill('Nowhere-on-Sea');
  await expectStatus(await visitor.follow(() => search.click()), 200);
  await expectChooseLibraryPage(page);
  assert.equal(await page.locator('main ul.library-list').count(), 0, 'no library should be listed for a town without one');
  assert.ok(normalise(await page.locator('main').textContent()).includes('No library matches.'));

  const form = await findLibrary(visitor, RIVERSIDE.town, RIVERSIDE);
  await fillCardSignIn(form, PATRONS.valid, { shared: false });
  await expectStatus(await visitor.follow(() => form.submit.click()), 200);
  await expectLearnPage(page, RIVERSIDE);

  const { ledgerRows } = await openMyData(visitor, RIVERSIDE);
  assert.ok(
    ledgerRows.some((row) => row.includes(LEDGER_RECIPIENT)),
    `"Who received data about you" should list ${LEDGER_RECIPIENT}; its rows are: ${JSON.stringify(ledgerRows)}`,
  );

  await signOutPatron(visitor);
  await expectNoPatronSession(visitor);
});

lyceumTest('expired, blocked, lost, wrong-PIN and unknown cards each get their own answer on the library page, and no session', async ({ newVisitor }) => {
  // Scenario: five patrons whose cards cannot be used try to sign in, one after the other, at the same browser.
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto(`/libraries/${RIVERSIDE.slug}`);
  const formSession = await onlySessionCookie(visitor);

  const cases = [
    { who: 'expired', status: 403, title: 'Library card expired', texts: ['expired'] },
    { who: 'blocked', status: 403, title: 'Library card blocked', texts: ['blocked'] },
    { who: 'lost', status: 403, title: undefined, texts: ['reported lost'] },
    { who: 'wrongPin', status: 401, title: undefined, texts: [CARD_MISMATCH_TEXT] },
    { who: 'unknown', status: 401, title: undefined, texts: [CARD_MISMATCH_TEXT] },
  ];
  const said = {};
  for (const c of cases) {
    const response = await submitCardSignIn(visitor, RIVERSIDE, PATRONS[c.who]);
    await expectStatus(response, c.status);
    const form = await expectLibraryPage(page, RIVERSIDE, { refused: true });
    said[c.who] = await expectProblem(page, c.title, c.texts);
    assert.equal(await form.fields.card.inputValue(), '', `a checked card (${c.who}) must not be echoed back into the form`);
    assert.equal(await form.fields.pin.inputValue(), '', `the PIN (${c.who}) must not be echoed back into the form`);
    const cookie = await onlySessionCookie(visitor);
    assert.equal(cookie.value, formSession.value, `a refused card (${c.who}) must not start a session: the form's session cookie changed`);
  }
  assert.equal(said.unknown, said.wrongPin, 'an unknown card and a wrong PIN must get the same answer, so card numbers cannot be probed');
  for (const who of ['expired', 'blocked', 'lost']) {
    assert.notEqual(said[who], said.wrongPin, `the ${who} card's answer should differ from the wrong-PIN answer`);
  }
  await expectNoPatronSession(visitor);
});

lyceumTest('a card number left empty is sent back with a message beside the field', async ({ newVisitor }) => {
  // Scenario: a patron presses Sign in with only the PIN typed.
  const visitor = await newVisitor();
  const { page } = visitor;
  const response = await submitCardSignIn(visitor, RIVERSIDE, { card: '', pin: PATRONS.valid.pin });
  await expectStatus(response, 422);
  await expectLibraryPage(page, RIVERSIDE, { refused: true });
  await expectErrorSummary(page);
  await expectFieldError(page, 'card');
  await expectNoPatronSession(visitor);
});

lyceumTest('when the card check does not answer, the patron is told so on the library page, and gets in once it is back', async ({ newVisitor }) => {
  // Scenario: the library's SIP2 server is down while a patron with a good card signs in; later it is back.
  const visitor = await newVisitor();
  const { page } = visitor;
  await sip2.stop();
  try {
    const response = await submitCardSignIn(visitor, RIVERSIDE, PATRONS.valid);
    await expectStatus(response, 503);
    // The library's own page with its form, not a bare error page.
    await expectLibraryPage(page, RIVERSIDE, { refused: true });
    await expectProblem(page, 'Temporarily unavailable', ['card check is not answering']);
    await expectNoPatronSession(visitor);
  } finally {
    await sip2.start();
  }

  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  await signOutPatron(visitor);
});

lyceumTest('"Delete everything now" erases the patron and signs them out; the same card then starts afresh', async ({ newVisitor }) => {
  // Scenario: a patron who has visited twice deletes everything from My data, then signs in again with the same card.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  await signOutPatron(visitor);
  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  const before = await openMyData(visitor, RIVERSIDE);
  assert.ok(before.ledgerRows.length >= 2, `two sign-ins should show two card checks in the ledger, it has ${before.ledgerRows.length}`);

  // Without the box ticked, the server refuses too (the browser would stop it first).
  await skipBrowserValidation(page);
  await expectStatus(await visitor.follow(() => before.erase.click()), 422);
  const refused = await expectMyDataPage(page, RIVERSIDE, { refused: true });
  const message = normalise(await page.locator('main [role="alert"]').textContent());
  assert.match(message, /Tick the box/, 'the refusal should say to tick the box');
  assert.equal(refused.ledgerRows.length, before.ledgerRows.length, 'nothing is deleted without the box ticked');

  await refused.confirm.check();
  await expectStatus(await visitor.follow(() => refused.erase.click()), 200);
  await expectLibraryPage(page, RIVERSIDE);
  assert.equal(new URL(page.url()).searchParams.get('done'), 'erased', `expected /libraries/${RIVERSIDE.slug}?done=erased, got ${page.url()}`);
  const notice = page.locator('main [role="status"]');
  assert.equal(await notice.count(), 1, 'the library page should confirm the deletion in a role="status" notice');
  assert.equal(normalise(await notice.textContent()), ERASED_NOTICE);
  await expectSignedOutNav(page);
  await expectNoPatronSession(visitor);

  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  const after = await openMyData(visitor, RIVERSIDE);
  assert.equal(
    after.ledgerRows.length,
    1,
    `after deleting everything, the ledger should hold only today's new card check; it has: ${JSON.stringify(after.ledgerRows)}`,
  );
  await signOutPatron(visitor);
  await expectHeading(page, /Lyceum/);
});
