// Library staff: the operator (made on the command line) signs in with their
// email and password, tests the library's SIP2 connection from its settings
// page, and reads the usage report, where small counts never show a number
// that could pick a patron out.

import assert from 'node:assert/strict';
import { expectHeading, expectPath, expectPostsTo, expectStatus, mainButton, normalise, signIn } from '../lib/flows.mjs';
import { librarySuite, OPERATOR, PATRONS, RIVERSIDE } from '../lib/library.mjs';
import { signInWithCard, signOutPatron } from '../lib/patrons.mjs';

const { lyceumTest } = librarySuite();
const ADMIN = `/libraries/${RIVERSIDE.slug}/admin`;

lyceumTest('the operator tests the library\'s SIP2 connection from its settings page and is told the library system answered', async ({ newVisitor }) => {
  // Scenario: the operator signs in, opens Riverside's settings and presses "Test the connection".
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, OPERATOR);
  await expectStatus(await visitor.goto(ADMIN), 200);
  await expectPath(page, ADMIN);
  await expectHeading(page, `${RIVERSIDE.name}: settings`);

  const test = await mainButton(page, 'Test the connection');
  await expectPostsTo(test, `${ADMIN}/sip2/test`);
  await expectStatus(await visitor.follow(() => test.click()), 200);
  await expectHeading(page, `${RIVERSIDE.name}: settings`);
  const notice = page.locator('main [role="status"]');
  assert.equal(await notice.count(), 1, 'the result of the test should be shown in one role="status" notice');
  const said = normalise(await notice.textContent());
  assert.ok(said.includes('The library system answered'), `the notice should say the library system answered, it says "${said}"`);
  assert.equal(await page.locator('main .error-summary').count(), 0, 'a connection that works shows no problem');
});

lyceumTest('after a patron signs in, the usage report counts the sign-ins as "fewer than 10"', async ({ newVisitor }) => {
  // Scenario: one patron signs in with their card; the operator then opens the library's usage report.
  const patron = await newVisitor();
  await signInWithCard(patron, RIVERSIDE, PATRONS.valid);
  await signOutPatron(patron);

  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, OPERATOR);
  await visitor.goto(ADMIN);
  const reportsLink = page.locator('main').getByRole('link', { name: 'Usage reports', exact: true });
  assert.equal(await reportsLink.count(), 1, 'the settings page should link to the usage reports');
  await expectStatus(await visitor.follow(() => reportsLink.click()), 200);
  await expectPath(page, `${ADMIN}/reports`);
  await expectHeading(page, `${RIVERSIDE.name}: usage`);

  const table = page.locator('main table');
  assert.equal(await table.count(), 1, 'the usage report should be one table');
  const headers = (await table.locator('thead th').allTextContents()).map(normalise);
  assert.deepEqual(headers, ['Month', 'Measure', 'Breakdown', 'Count']);
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((td) => td.textContent.replace(/\s+/g, ' ').trim())),
  );
  const signIns = rows.filter((cells) => cells[1] === 'Sign-ins');
  assert.ok(signIns.length >= 1, `the report should have a "Sign-ins" row; its rows are ${JSON.stringify(rows)}`);
  for (const cells of signIns) {
    assert.equal(cells[3], 'fewer than 10', `one sign-in must be shown as "fewer than 10", not a number: ${JSON.stringify(cells)}`);
  }
  const shown = normalise(await page.locator('main').textContent());
  assert.doesNotMatch(shown, /\b20000001\b/, 'the report must not show any card number');
});
