// The operator adds a library from the web: from /me to "Libraries", the
// "Add a library" form, and the new library's settings page. A short name
// already taken is refused with 409 and a message beside the field; a plain
// member may not open the page at all. The privacy notice names every library
// whose card system receives card numbers and PINs.
//
// The server has an operator and Riverside Public Library (checking cards
// over SIP2), made on the command line. No card is tried in this file.

import assert from 'node:assert/strict';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectStatus,
  normalise,
  person,
  signIn,
  signUp,
} from '../lib/flows.mjs';
import { librarySuite, OPERATOR, RIVERSIDE } from '../lib/library.mjs';
import {
  expectAdminLibrariesPage,
  expectLibrarySettingsPage,
  followMainLink,
  submitNewLibrary,
} from '../lib/staff.mjs';

const { lyceumTest } = librarySuite();
const NORTHSIDE = { slug: 'northside', name: 'Northside Community Library', town: 'Northside' };
const MANAGE_LINK = 'Add or manage libraries';
const CARD_SYSTEMS_HEADING = "Your library's card system";

lyceumTest('the operator adds a library from the web and lands on its settings page, and the library is listed', async ({ newVisitor }) => {
  // Scenario: the operator signs in, follows "Add or manage libraries" from /me, and adds Northside Community Library.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, OPERATOR);
  await expectStatus(await followMainLink(visitor, MANAGE_LINK, '/admin/libraries'), 200);
  const before = await expectAdminLibrariesPage(page);
  assert.deepEqual(
    before.rows.map((r) => r.slice(0, 2)),
    [[RIVERSIDE.name, RIVERSIDE.slug]],
    `the only library so far should be ${RIVERSIDE.name}`,
  );

  await expectStatus(await submitNewLibrary(visitor, NORTHSIDE), 200);
  await expectLibrarySettingsPage(page, NORTHSIDE);
  const general = await Promise.all([
    page.locator('main [name="name"]').inputValue(),
    page.locator('main [name="town"]').inputValue(),
  ]);
  assert.deepEqual(general, [NORTHSIDE.name, NORTHSIDE.town], 'the settings page should show the name and town just given');
  const audit = normalise(await page.locator('main section').filter({ hasText: 'Recent changes' }).textContent());
  assert.ok(audit.includes(OPERATOR.displayName), `"Recent changes" should name the operator who added the library; it says "${audit}"`);

  await visitor.goto('/admin/libraries');
  const after = await expectAdminLibrariesPage(page);
  const row = after.rows.find((r) => r[1] === NORTHSIDE.slug);
  assert.ok(row, `${NORTHSIDE.name} should be listed on /admin/libraries; the rows are ${JSON.stringify(after.rows)}`);
  assert.equal(row[0], NORTHSIDE.name);
  const link = page.locator('main table').getByRole('link', { name: NORTHSIDE.name, exact: true });
  assert.equal(await link.getAttribute('href'), `/libraries/${NORTHSIDE.slug}/admin`, 'the library\'s name should link to its settings');
});

lyceumTest('a short name another library already uses is refused with 409 and a message beside the field, keeping what was typed', async ({ newVisitor }) => {
  // Scenario: the operator tries to add a second library under the short name "riverside".
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, OPERATOR);
  await visitor.goto('/admin/libraries');
  const twin = { slug: RIVERSIDE.slug, name: 'Riverside Branch Library', town: 'Riverside East' };
  await expectStatus(await submitNewLibrary(visitor, twin), 409);
  const again = await expectAdminLibrariesPage(page);
  await expectHeading(page, 'Libraries');
  await expectErrorSummary(page, ['Another library already uses the short name']);
  await expectFieldError(page, 'slug', /Another library already uses the short name .riverside./);
  assert.equal(await again.fields.name.inputValue(), twin.name, 'the library name typed should be kept');
  assert.equal(await again.fields.town.inputValue(), twin.town, 'the town typed should be kept');
  assert.equal(
    again.rows.filter((r) => r[1] === RIVERSIDE.slug).length,
    1,
    `there should still be one library with the short name ${RIVERSIDE.slug}: ${JSON.stringify(again.rows)}`,
  );
});

lyceumTest('a member who is not an operator is refused /admin/libraries with 403 and is not offered the link', async ({ newVisitor }) => {
  // Scenario: someone signs up and types the address of the operators' libraries page.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, person('mo', 'Mo Member'));
  assert.equal(
    await page.locator('main').getByRole('link', { name: MANAGE_LINK, exact: true }).count(),
    0,
    `a member's /me should not offer "${MANAGE_LINK}"`,
  );
  const response = await visitor.goto('/admin/libraries');
  await expectStatus(response, 403);
  assert.equal(await page.locator('main form[action="/admin/libraries"]').count(), 0, 'a refused member must not see the "Add a library" form');
  assert.equal(await page.locator('main table').count(), 0, 'a refused member must not see the list of libraries');
  const said = normalise(await page.locator('main').textContent());
  assert.ok(said.includes('Only operators can add libraries'), `the refusal should say that only operators can add libraries; it says "${said}"`);
  // The settings of a library they do not work for are refused too.
  await expectStatus(await visitor.goto(`/libraries/${RIVERSIDE.slug}/admin`), 403);
});

lyceumTest('the privacy notice names the library that checks cards over SIP2 under "Your library\'s card system", and only it', async ({ newVisitor }) => {
  // Scenario: a visitor reads /privacy on an instance with Riverside (SIP2) and Northside (card sign-in not switched on).
  const visitor = await newVisitor();
  const { page } = visitor;
  await expectStatus(await visitor.goto('/privacy'), 200);
  await expectHeading(page, 'How Lyceum uses personal data');
  const heading = page.locator('main').getByRole('heading', { name: CARD_SYSTEMS_HEADING, exact: true });
  assert.equal(await heading.count(), 1, `/privacy should have the heading "${CARD_SYSTEMS_HEADING}"`);
  const listed = (await page.locator(`main h2:has-text("${CARD_SYSTEMS_HEADING}") ~ ul`).first().locator('li').allTextContents()).map(normalise);
  assert.deepEqual(listed, [RIVERSIDE.name], `only ${RIVERSIDE.name} sends cards to its own system; the notice lists ${JSON.stringify(listed)}`);
  const explanation = normalise(await page.locator(`main h2:has-text("${CARD_SYSTEMS_HEADING}") + p`).textContent());
  assert.match(explanation, /card number and PIN/, `the notice should say that the card number and PIN are sent; it says "${explanation}"`);
});
