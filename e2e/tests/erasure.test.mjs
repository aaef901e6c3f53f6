// Erasure is a button (SPEC §2, 8): a member erases their account from the
// security page with their password and lands on a receipt; a wrong
// password changes nothing; afterwards the account no longer signs in.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import {
  BAD_CREDENTIALS_MESSAGE,
  expectErrorSummary,
  expectHeading,
  expectPath,
  expectSignedOut,
  expectSignedOutNav,
  expectStatus,
  labelledField,
  mainButton,
  mainNav,
  normalise,
  person,
  setUpOperator,
  signUp,
  submitSignIn,
} from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');
const eli = person('eli', 'Eli Member');

lyceumTest('the operator sets Lyceum up', async ({ newVisitor }) => {
  await setUpOperator(await newVisitor(), operator);
});

lyceumTest('a member erases their account and gets a receipt', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, eli);
  const { page } = visitor;
  const security = mainNav(page).getByRole('link', { name: 'Security', exact: true });
  await expectStatus(await visitor.follow(() => security.click()), 200);
  await expectHeading(page, 'Security');

  const password = await labelledField(page, 'password', 'Your password');
  const erase = await mainButton(page, 'Erase my account');

  // A wrong password: a clear message beside the field, and nothing erased.
  await password.fill('not the right password');
  await expectStatus(await visitor.follow(() => erase.click()), 422);
  const field = page.locator('#erase_password');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.ok(normalise(await page.locator('main').textContent()).includes('Your password is not right.'));

  await page.locator('#erase_password').fill(eli.password);
  await expectStatus(await visitor.follow(() => page.getByRole('button', { name: 'Erase my account', exact: true }).click()), 200);
  await expectPath(page, '/erased');
  await expectHeading(page, 'Your account has been erased');
  await expectSignedOutNav(page);
  const receipt = normalise(await page.getByRole('status').textContent());
  assert.match(receipt, /^The key that encrypted your data was destroyed at \d+ \w+ \d{4}, \d\d:\d\d UTC\./);
  assert.ok(!normalise(await page.locator('main').textContent()).includes(eli.email), 'the receipt holds nothing personal');

  await expectSignedOut(visitor);
  const response = await submitSignIn(visitor, eli);
  await expectStatus(response, 401);
  await expectErrorSummary(page, [BAD_CREDENTIALS_MESSAGE]);
});

lyceumTest('a post others commented on stays as a deleted post after its writer erases their account', async ({ newVisitor }) => {
  // Fern posts to all members and Gil comments; Fern erases her account.
  // Gil's comment keeps its place under "A deleted post", with nothing of Fern.
  const fern = await newVisitor();
  const fernPerson = person('fern', 'Fern Writer');
  await signUp(fern, fernPerson);
  const gil = await newVisitor();
  await signUp(gil, person('gil', 'Gil Reader'));
  const words = 'Fern asks: who has read the new Ursula Le Guin collection?';
  const res = await fern.page.request.post('/api/v1/posts', { data: { body: words, audience: 'members' } });
  assert.equal(res.status(), 201, await res.text());
  const { id } = await res.json();
  await expectStatus(await gil.goto(`/posts/${id}`), 200);
  await gil.page.getByLabel('Add a comment', { exact: true }).fill('I have, the second story is the best');
  await expectStatus(await gil.follow(() => gil.page.getByRole('button', { name: 'Post comment', exact: true }).click()), 200);

  const security = mainNav(fern.page).getByRole('link', { name: 'Security', exact: true });
  await expectStatus(await fern.follow(() => security.click()), 200);
  await fern.page.locator('#erase_password').fill(fernPerson.password);
  await expectStatus(await fern.follow(() => fern.page.getByRole('button', { name: 'Erase my account', exact: true }).click()), 200);
  await expectPath(fern.page, '/erased');

  // The rows go by background work, within seconds here.
  let text = '';
  for (let tries = 0; tries < 40; tries++) {
    const response = await gil.goto(`/posts/${id}`);
    text = normalise(await gil.page.locator('main').textContent());
    if (response.status() === 200 && text.includes('A deleted post')) break;
    await gil.page.waitForTimeout(500);
  }
  await expectHeading(gil.page, 'A deleted post');
  assert.ok(text.includes('I have, the second story is the best'), `Gil's comment stays: ${text}`);
  assert.ok(!text.includes('Fern'), `nothing of Fern remains on the page: ${text}`);
  assert.ok(!text.includes('Ursula'), `none of Fern's words remain: ${text}`);
  assert.equal(await gil.page.getByLabel('Add a comment', { exact: true }).count(), 0, 'a deleted post takes no new comments');
});
