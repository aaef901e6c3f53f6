// The breach register (GDPR Art. 33 and 34): the operator records a
// personal data breach from their account page; Lyceum counts the people
// affected from the kinds of data ticked, starts the 72 hours for telling
// the supervisory authority, drafts the notice for it, and, when the
// operator says so, tells each person affected on their own privacy page.
// Only operators keep the register.
//
// The server has the operator, made on the command line; the tests run in
// order, and the member who signs up in the second is the only other
// account until the third.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import {
  expectErrorSummary,
  expectFieldError,
  expectStatus,
  normalise,
  person,
  signIn,
  signUp,
} from '../lib/flows.mjs';
import { createOperator, OPERATOR } from '../lib/library.mjs';
import { expectPrivacyDashboard } from '../lib/privacy.mjs';
import { expectBreachPage, expectBreachRegisterPage, followMainLink, submitBreach } from '../lib/staff.mjs';

const lyceumTest = lyceumSuite({ setup: createOperator });

const LEAK = {
  title: 'Mail relay log exposed',
  description: 'A log of the mail relay with email addresses was readable from the internet for two days',
  categories: ['Contact details'],
  consequences: 'Your email address may receive unwanted mail.',
  measures: "The log was removed and the relay's access rules corrected.",
};
const CLOCK_RUNNING = /^Tell the supervisory authority by \d{1,2} \w+ \d{4} \d\d:\d\d UTC \((71|72) hours left\)\.$/;
const CLOCK_STOPPED = /^The supervisory authority was told on \d{1,2} \w+ \d{4} \d\d:\d\d UTC\.$/;

/** Where the second test's breach is, for the third. */
let recordedBreachPath;

/** Signs the operator in and follows "Breach register" from their account page. */
async function openBreachRegister(visitor) {
  await signIn(visitor, OPERATOR);
  await expectStatus(await followMainLink(visitor, 'Breach register', '/admin/breaches'), 200);
  return expectBreachRegisterPage(visitor.page);
}

lyceumTest('the operator opens the empty breach register from their account page, and a breach without a title is sent back with the problem named', async ({ newVisitor }) => {
  // Scenario: the operator starts to record an incident but forgets its title.
  const visitor = await newVisitor();
  const { page } = visitor;
  const register = await openBreachRegister(visitor);
  assert.deepEqual(register.rows, [], 'nothing has been recorded yet');

  const response = await submitBreach(visitor, { ...LEAK, title: '' });
  await expectStatus(response, 422);
  const again = await expectBreachRegisterPage(page);
  await expectErrorSummary(page, ['Give the incident a short title']);
  await expectFieldError(page, 'title', 'Give the incident a short title');
  assert.deepEqual(again.rows, [], 'a refused entry records nothing');
  // What the operator typed and ticked is still there to correct.
  assert.equal(await again.fields.description.inputValue(), LEAK.description);
  assert.equal(await again.fields.consequences.inputValue(), LEAK.consequences);
  assert.equal(await again.fields.measures.inputValue(), LEAK.measures);
  assert.equal(await again.categories['Contact details'].isChecked(), true, 'the kinds of data ticked should stay ticked');
  assert.equal(await again.categories.Identity.isChecked(), false);
});

lyceumTest('"When you became aware" may be left empty for "now", so it is not marked required', async ({ newVisitor }) => {
  // Scenario: an operator using a screen reader reaches the time field of "Record a breach".
  const visitor = await newVisitor();
  const { fields } = await openBreachRegister(visitor);
  const state = await fields.detected_at.evaluate((el) => ({
    required: el.required,
    ariaRequired: el.getAttribute('aria-required'),
  }));
  assert.ok(
    !state.required && state.ariaRequired !== 'true',
    'the server records an empty "When you became aware (UTC)" as now, but the field is marked required ' +
      `(required=${state.required}, aria-required=${state.ariaRequired}): assistive technology announces it as required ` +
      'and nothing on the page says it may be left empty',
  );
  assert.equal(await fields.title.evaluate((el) => el.required), true, 'the title, which is needed, stays required');
});

lyceumTest('a breach of contact details counts everyone holding them, tells them on their privacy page, and stops the clock once the authority is told', async ({ newVisitor }) => {
  // Scenario: a member has an account; the operator records a leak of email addresses, tells the people, then the authority.
  const member = await newVisitor();
  await signUp(member, person('ann', 'Ann Member'));

  const operator = await newVisitor();
  const { page } = operator;
  await openBreachRegister(operator);
  await expectStatus(await submitBreach(operator, LEAK), 200);
  let breach = await expectBreachPage(page, LEAK.title);
  recordedBreachPath = `/admin/breaches/${breach.id}`;
  assert.match(breach.clock, CLOCK_RUNNING, 'the 72 hours should be running from now');
  // The operator and Ann both have an email address.
  assert.equal(breach.affected, 2, `the operator and the member hold contact details; the page counts ${breach.affected}`);
  assert.deepEqual(breach.perCategory, ['Contact details: 2']);
  assert.ok(breach.authorityNotice.includes('Approximate number of people concerned: 2'), `the authority's notice should give the number of people:\n${breach.authorityNotice}`);
  for (const part of [LEAK.description, LEAK.consequences, LEAK.measures, 'Contact details: 2 people']) {
    assert.ok(breach.authorityNotice.includes(part), `the authority's notice should include "${part}":\n${breach.authorityNotice}`);
  }
  assert.ok(breach.personNotice.includes(LEAK.description), `the people's notice should say what happened: "${breach.personNotice}"`);
  assert.ok(breach.buttons.authority && breach.buttons.people, 'neither the authority nor the people have been told yet');

  // Not told yet: nothing on Ann's privacy page.
  await member.goto('/me');
  await expectStatus(await followMainLink(member, 'What we hold about you, and why', '/me/privacy'), 200);
  assert.equal(await expectPrivacyDashboard(member.page), null, 'the member is told nothing before the operator tells the people affected');

  await expectStatus(await operator.follow(() => breach.buttons.people.click()), 200);
  breach = await expectBreachPage(page, LEAK.title);
  assert.ok(breach.peopleToldOn, 'the page should say when the people were told');
  assert.match(breach.clock, CLOCK_RUNNING, 'telling the people does not stop the authority\'s clock');

  await expectStatus(await member.goto('/me/privacy'), 200);
  const told = await expectPrivacyDashboard(member.page);
  assert.ok(told, 'after the operator tells the people affected, the member\'s privacy page should have "A breach affected your data"');
  assert.ok(told.includes(breach.personNotice), `the member should read the notice the operator saw:\n  "${breach.personNotice}"\nthe section says:\n  "${told}"`);
  assert.ok(told.includes('This affected your contact details.'), `the notice should say what kind of data: "${told}"`);

  await expectStatus(await operator.follow(() => breach.buttons.authority.click()), 200);
  breach = await expectBreachPage(page, LEAK.title);
  assert.match(breach.clock, CLOCK_STOPPED);
  assert.deepEqual(Object.keys(breach.buttons), [], 'both steps are done: no button is left');

  await expectStatus(await operator.follow(() => breach.back.click()), 200);
  const register = await expectBreachRegisterPage(page);
  assert.equal(register.rows.length, 1, `the register should list the one breach: ${JSON.stringify(register.rows)}`);
  const [incident, aware, affected, authority] = register.rows[0];
  assert.equal(incident, LEAK.title);
  assert.match(aware, /^\d{1,2} \w+ \d{4} \d\d:\d\d UTC$/);
  assert.equal(affected, '2');
  assert.match(authority, CLOCK_STOPPED);
  const link = page.locator('main table').getByRole('link', { name: LEAK.title, exact: true });
  assert.equal(await link.getAttribute('href'), recordedBreachPath, 'the incident should link to its page');
  await expectStatus(await operator.follow(() => link.click()), 200);
  await expectBreachPage(page, LEAK.title);
});

lyceumTest('a member who is not an operator is refused the breach register and its entries', async ({ newVisitor }) => {
  // Scenario: a member types the register's address, then a breach's address.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, person('cy', 'Cy Member'));
  assert.equal(
    await page.locator('main').getByRole('link', { name: 'Breach register', exact: true }).count(),
    0,
    'a member\'s account page should not offer the breach register',
  );
  await expectStatus(await visitor.goto('/admin/breaches'), 403);
  assert.equal(await page.locator('main form').count(), 0, 'the refusal should show no form');
  assert.ok(recordedBreachPath, 'the previous test should have recorded a breach');
  await expectStatus(await visitor.goto(recordedBreachPath), 403);
  assert.ok(!normalise(await page.locator('main').textContent()).includes(LEAK.title), 'the refusal must not show the breach');
});
