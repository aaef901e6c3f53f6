// First run: a fresh Lyceum has no operator, sends everyone to /setup, and
// closes /setup once the operator account exists (SPEC A-3).

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectPath,
  expectRedirectedFrom,
  expectSetupPage,
  expectSignedInAs,
  expectSignedOutNav,
  expectStatus,
  person,
  signOut,
  skipBrowserValidation,
} from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');

lyceumTest('the first visitor of a fresh Lyceum is sent from the home page to setup', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const response = await visitor.goto('/');
  expectRedirectedFrom(response, '/');
  await expectStatus(response, 200);
  await expectSetupPage(visitor.page);
});

lyceumTest('setup with every field empty is refused with an error summary and marked fields', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/setup');
  const { submit } = await expectSetupPage(page);
  await skipBrowserValidation(page);
  const response = await visitor.follow(() => submit.click());
  await expectStatus(response, 422);
  await expectErrorSummary(page);
  for (const name of ['email', 'display_name', 'password']) await expectFieldError(page, name);
  // Still the setup form, so the person can correct it.
  await expectHeading(page, 'Set up Lyceum');
});

lyceumTest('setup creates the operator account and signs the operator in', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/setup');
  const { fields, submit } = await expectSetupPage(page);
  await fields.email.fill(operator.email);
  await fields.display_name.fill(operator.displayName);
  await fields.password.fill(operator.password);
  const response = await visitor.follow(() => submit.click());
  expectRedirectedFrom(response, '/setup');
  await expectStatus(response, 200);
  await expectSignedInAs(page, operator);

  await signOut(visitor);
  await expectHeading(page, /Lyceum/);
});

lyceumTest('once an operator exists, setup is closed and the home page greets visitors', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;

  const setup = await visitor.goto('/setup');
  assert.ok(
    setup.status() === 404 || setup.status() === 200,
    `a closed /setup should answer 404 or a page saying setup is complete, got HTTP ${setup.status()}`,
  );
  assert.equal(
    await page.getByRole('button', { name: 'Create operator account' }).count(),
    0,
    'a closed /setup must not offer the operator form again',
  );
  assert.equal(await page.locator('input[name="password"]').count(), 0, 'a closed /setup must ask for no password');

  const home = await visitor.goto('/');
  await expectStatus(home, 200);
  await expectPath(page, '/');
  await expectHeading(page, /Lyceum/);
  await expectSignedOutNav(page);
});
