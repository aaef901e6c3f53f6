// Sessions across browsers: the security page, and "Sign out everywhere"
// pressed in one browser ending the session in another.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import {
  expectHeading,
  expectPath,
  expectPostsTo,
  expectSignedInAs,
  expectSignedOut,
  expectStatus,
  labelledField,
  mainButton,
  mainNav,
  person,
  setUpOperator,
  signIn,
  signUp,
} from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');
const cai = person('cai', 'Cai Member');

lyceumTest('the operator sets Lyceum up', async ({ newVisitor }) => {
  await setUpOperator(await newVisitor(), operator);
});

lyceumTest('signing out everywhere from one browser signs the other browser out', async ({ newVisitor }) => {
  // Cai signs up on a laptop, then signs in on a phone too.
  const laptop = await newVisitor();
  await signUp(laptop, cai);
  const phone = await newVisitor();
  await signIn(phone, cai);

  // Both are signed in.
  await laptop.goto('/me');
  await expectSignedInAs(laptop.page, cai);

  // On the phone, Cai follows the nav to the security page.
  const security = mainNav(phone.page).getByRole('link', { name: 'Security', exact: true });
  const response = await phone.follow(() => security.click());
  await expectStatus(response, 200);
  await expectPath(phone.page, '/me/security');
  await expectHeading(phone.page, 'Security');

  const changePassword = phone.page.locator('main form').filter({
    has: phone.page.getByRole('button', { name: 'Change password', exact: true }),
  });
  assert.equal(await changePassword.count(), 1, 'the security page should have a "Change password" form');
  for (const name of ['current_password', 'new_password']) {
    await labelledField(phone.page, name);
    assert.equal(await changePassword.locator(`[name="${name}"]`).count(), 1, `"${name}" belongs in the "Change password" form`);
  }
  assert.equal(await changePassword.evaluate((f) => f.method), 'post', 'the "Change password" form should post');

  const everywhere = await mainButton(phone.page, 'Sign out everywhere');
  await expectPostsTo(everywhere, '/signout-everywhere');
  const after = await phone.follow(() => everywhere.click());
  assert.ok(after.status() < 400, `signing out everywhere should succeed, got HTTP ${after.status()}`);

  // The laptop's session is gone.
  await expectSignedOut(laptop);
});
