// A library without a SIP2 server, from `lyceum demo`: its patrons sign in
// from a card list kept in Lyceum, its staff member manages that list from
// the settings page, and a member shows the learning they did with a card as
// a guest in their account by linking the card, then detaches it again.
//
// The server was loaded with `lyceum demo`: Riverside Public Library (cards
// 29000001 to 29000020, PIN 1234, "shared computer" chosen by default) and
// Amara Okafor, a member and the library's staff. One card may be tried 8
// times in 15 minutes: this file uses 29000001 once and 29000002 twice.

import assert from 'node:assert/strict';
import {
  expectErrorSummary,
  expectSignedInAs,
  expectStatus,
  normalise,
  signIn,
} from '../lib/flows.mjs';
import { AMARA, DEMO_LIBRARY, demoCard, demoSuite } from '../lib/demo.mjs';
import {
  expectLearnPage,
  expectLibraryPage,
  expectLibraryTheme,
  expectProblem,
  onlySessionCookie,
  signOutPatron,
} from '../lib/patrons.mjs';
import {
  expectCardListSection,
  expectLibraryCardsPage,
  expectLibrarySettingsPage,
  expectNotice,
  followMainLink,
  submitLinkCard,
} from '../lib/staff.mjs';

const lyceumTest = demoSuite();
const CARDS_PAGE_LINK = 'Your library cards: show the learning you did as a guest';

lyceumTest('a patron of a card-list library signs in with card and PIN, "shared computer" already chosen, under the library\'s colours', async ({ newVisitor }) => {
  // Scenario: at a library computer, a patron types card 29000001 and PIN 1234, leaves the preselected "Yes, shared" and signs in.
  const visitor = await newVisitor();
  const { page } = visitor;
  await expectStatus(await visitor.goto(`/libraries/${DEMO_LIBRARY.slug}`), 200);
  const form = await expectLibraryPage(page, DEMO_LIBRARY);
  await expectLibraryTheme(page, DEMO_LIBRARY);
  assert.equal(await form.shared.yes.isChecked(), true, '"Yes, this is a shared or public computer" should be chosen already');
  assert.equal(await form.shared.no.isChecked(), false, '"No, this is my own device" should not be chosen');

  await form.fields.card.fill(demoCard(1).card);
  await form.fields.pin.fill(demoCard(1).pin);
  await expectStatus(await visitor.follow(() => form.submit.click()), 200);
  await expectLearnPage(page, DEMO_LIBRARY);
  await expectLibraryTheme(page, DEMO_LIBRARY);
  const said = normalise(await page.locator('main').textContent());
  assert.ok(said.includes('This is a shared computer'), `the learn page should say this is a shared computer; it says "${said.slice(0, 300)}"`);
  const cookie = await onlySessionCookie(visitor);
  assert.equal(cookie.expires, -1, `on a shared computer the session cookie must end with the browser; it expires at ${cookie.expires}`);
  await signOutPatron(visitor);
});

lyceumTest('the library\'s staff member finds it under "Libraries you manage", and a malformed card list is refused without touching the list', async ({ newVisitor }) => {
  // Scenario: Amara signs in, follows her library's link from /me, and pastes a card list line that has no PIN hash.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, AMARA);
  const manage = page.locator('main').getByRole('heading', { name: 'Libraries you manage', exact: true });
  assert.equal(await manage.count(), 1, 'a staff member\'s /me should have the heading "Libraries you manage"');
  assert.equal(
    await page.locator('main').getByRole('link', { name: 'Add or manage libraries', exact: true }).count(),
    0,
    'a staff member who is not an operator should not be offered "Add or manage libraries"',
  );
  await expectStatus(await followMainLink(visitor, DEMO_LIBRARY.name, `/libraries/${DEMO_LIBRARY.slug}/admin`), 200);
  await expectLibrarySettingsPage(page, DEMO_LIBRARY);
  const before = await expectCardListSection(page, DEMO_LIBRARY);
  assert.equal(before.count, 20, 'the demo card list holds 20 cards');

  await before.cards.fill(`${demoCard(21).card} 1234`);
  await expectStatus(await visitor.follow(() => before.submit.click()), 422);
  await expectLibrarySettingsPage(page, DEMO_LIBRARY, { after: 'card-list' });
  await expectErrorSummary(page, ['Line 1']);
  const after = await expectCardListSection(page, DEMO_LIBRARY);
  assert.equal(after.count, 20, 'a refused card list must leave the old list as it was');
  assert.equal(await page.locator('main [role="status"]').count(), 0, 'a refused card list shows no "saved" notice');
});

lyceumTest('a wrong PIN for a card a member wants to link is refused with 401 and an alert that says card and PIN do not match', async ({ newVisitor }) => {
  // Scenario: Amara opens "Your library cards" from /me and types her card with a PIN that is not hers.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, AMARA);
  await expectStatus(await followMainLink(visitor, CARDS_PAGE_LINK, '/me/library-cards'), 200);
  const empty = await expectLibraryCardsPage(page);
  assert.deepEqual(empty.rows, [], 'no card is linked yet');
  assert.ok(normalise(await page.locator('main').textContent()).includes('No library card is linked to your account.'));
  const options = (await empty.fields.library.locator('option').allTextContents()).map(normalise);
  assert.ok(options.includes(DEMO_LIBRARY.name), `the "Library" select should offer ${DEMO_LIBRARY.name}; it offers ${JSON.stringify(options)}`);

  await expectStatus(await submitLinkCard(visitor, DEMO_LIBRARY, demoCard(2, '9999')), 401);
  const refused = await expectLibraryCardsPage(page);
  await expectProblem(page, undefined, ['do not match']);
  assert.deepEqual(refused.rows, [], 'a refused card must not be linked');
  assert.equal(await refused.fields.card.inputValue(), '', 'a checked card number must not be echoed back into the form');
  assert.equal(await refused.fields.pin.inputValue(), '', 'the PIN must not be echoed back into the form');
  // The member is signed in: the alert's heading must not say otherwise.
  const heading = normalise(await page.locator('main [role="alert"] h2').first().textContent());
  assert.equal(heading, 'Card number and PIN do not match', 'a signed-in member must not be told "Not signed in"');
});

lyceumTest('a member links their library card to their account, sees it listed, and detaches it again', async ({ newVisitor }) => {
  // Scenario: Amara links card 29000002 with its PIN on "Your library cards", then presses "Detach the Riverside Public Library card".
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, AMARA);
  await expectStatus(await followMainLink(visitor, CARDS_PAGE_LINK, '/me/library-cards'), 200);
  await expectLibraryCardsPage(page);

  await expectStatus(await submitLinkCard(visitor, DEMO_LIBRARY, demoCard(2)), 200);
  const linked = await expectLibraryCardsPage(page);
  await expectNotice(page, 'The card is linked');
  assert.equal(await page.locator('main [role="alert"]').count(), 0, 'a linked card shows no problem');
  assert.equal(linked.rows.length, 1, `one card should be linked; the table has ${JSON.stringify(linked.rows)}`);
  assert.equal(linked.rows[0][0], DEMO_LIBRARY.name, 'the linked card\'s row should name its library');
  assert.ok(!linked.rows[0].join(' ').includes(demoCard(2).card), 'the card number is not kept, so it must not be shown');
  const detach = page.locator('main').getByRole('button', { name: `Detach the ${DEMO_LIBRARY.name} card`, exact: true });
  assert.equal(await detach.count(), 1, `expected a "Detach the ${DEMO_LIBRARY.name} card" button`);

  await expectStatus(await visitor.follow(() => detach.click()), 200);
  const detached = await expectLibraryCardsPage(page, { detached: true });
  await expectNotice(page, 'The card is detached');
  assert.deepEqual(detached.rows, [], 'no card should be linked after detaching');
  assert.ok(normalise(await page.locator('main').textContent()).includes('No library card is linked to your account.'));

  // Back on /me, the account is as it was.
  await visitor.goto('/me');
  await expectSignedInAs(page, AMARA);
});
