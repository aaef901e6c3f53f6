// Profiles in a browser: a member opens sections one by one, previews the
// profile as the public and as a member (from the profile and from the
// privacy dashboard), blocks another member, and appeals a moderator's
// removal, which the operator reverses. axe runs on every page on the way.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import { chooseHandle, expectStatus, normalise, person, setUpOperator, signUp } from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();

lyceumTest('a member opens a profile section by section, sees it as others do, blocks someone, and wins an appeal', async ({ newVisitor }) => {
  const op = await newVisitor();
  await setUpOperator(op, person('omar', 'Omar Operator'));
  const a = await newVisitor();
  await signUp(a, person('ann', 'Ann Profile'));
  await chooseHandle(a, 'ann');
  const { page } = a;

  // About and skills, then one position.
  await page.getByLabel('About', { exact: true }).fill('I restore old radios at the repair café.');
  await page.getByLabel('Skills', { exact: true }).fill('Soldering, Electronics');
  await expectStatus(await a.follow(() => page.getByRole('button', { name: 'Save', exact: true }).click()), 200);
  assert.equal(normalise(await page.getByRole('status').textContent()), 'Saved.');
  await page.getByText('Add a position', { exact: true }).click();
  await page.getByLabel('Role', { exact: true }).fill('Volunteer fixer');
  await page.getByLabel('Employer', { exact: true }).fill('Riverside Repair Café');
  await page.getByLabel('First year', { exact: true }).first().fill('2020');
  await expectStatus(await a.follow(() => page.getByRole('button', { name: 'Add', exact: true }).first().click()), 200);
  assert.equal(normalise(await page.getByRole('status').textContent()), 'Added.');

  // The about section goes to members; experience stays "only me".
  await page.getByLabel('Who sees your about section').selectOption('members');
  await expectStatus(await a.follow(() => page.getByRole('button', { name: 'Save who sees what', exact: true }).click()), 200);
  assert.equal(normalise(await page.getByRole('status').textContent()), 'Your visibility settings are saved.');
  assert.equal(await page.getByLabel('Who sees your experience').inputValue(), 'only_me');

  // "View as": the public sees neither; a member sees the about section only.
  await expectStatus(await a.follow(() => page.locator('main').getByRole('link', { name: 'the public', exact: true }).first().click()), 200);
  let main = normalise(await page.locator('main').textContent());
  assert.ok(main.includes('People who are not signed in see nothing: you have no public profile page.'), main);
  assert.ok(!main.includes('old radios') && !main.includes('Volunteer fixer'), main);
  await expectStatus(await a.follow(() => page.locator('main').getByRole('link', { name: 'a member', exact: true }).first().click()), 200);
  main = normalise(await page.locator('main').textContent());
  assert.ok(main.includes('old radios'), main);
  assert.ok(!main.includes('Volunteer fixer'), 'experience is only for Ann');
  // The privacy dashboard offers the same previews.
  await a.goto('/me/privacy');
  await expectStatus(await a.follow(() => page.getByRole('link', { name: 'another member', exact: true }).click()), 200);
  assert.ok(normalise(await page.locator('main').textContent()).includes('old radios'));

  // Another member sees what members may; after Ann blocks them, nothing.
  const b = await newVisitor();
  await signUp(b, person('ben', 'Ben Pest'));
  await chooseHandle(b, 'ben');
  await expectStatus(await b.goto('/people/ann'), 200);
  assert.ok(normalise(await b.page.locator('main').textContent()).includes('old radios'));
  await expectStatus(await a.goto('/people/ben'), 200);
  await a.page.getByText('Block or report', { exact: true }).click();
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Block Ben Pest', exact: true }).click()), 200);
  await expectStatus(await b.goto('/people/ann'), 404);
  await a.goto('/network');
  const blocked = a.page.locator('section', { has: a.page.getByRole('heading', { name: 'Blocked', exact: true }) });
  assert.ok(normalise(await blocked.textContent()).includes('Ben Pest'));

  // A post is removed on a report; Ann appeals and the operator reverses it.
  await a.goto('/feed');
  await a.page.getByLabel('What would you like to share?').fill('Repair café this Saturday: bring a broken lamp #repair');
  await a.page.getByLabel('Who may see it').selectOption('members');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Post', exact: true }).click()), 200);
  const postId = (await a.page.locator('article.post').first().getAttribute('id')).replace('item-', '');
  const c = await newVisitor();
  await signUp(c, person('cat', 'Cat Reader'));
  await expectStatus(await c.goto(`/posts/${postId}`), 200);
  await expectStatus(await c.follow(() => c.page.getByRole('link', { name: 'Report this post', exact: true }).click()), 200);
  await c.page.getByLabel('Spam or unwanted promotion').check();
  await expectStatus(await c.follow(() => c.page.getByRole('button', { name: 'Send report', exact: true }).click()), 200);
  await op.goto('/moderation');
  await op.page.getByLabel('Explanation for the member').fill('This looks like an advert.');
  await expectStatus(await op.follow(() => op.page.getByRole('button', { name: 'Decide', exact: true }).click()), 200);
  await expectStatus(await c.goto(`/posts/${postId}`), 404);
  await a.goto('/me/moderation');
  await a.page.getByLabel('Appeal: why is this decision wrong?').fill('It is a free community event at the library.');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Send appeal', exact: true }).click()), 200);
  assert.ok(normalise(await a.page.locator('main').textContent()).includes('Your appeal is waiting for a moderator.'));
  await op.goto('/moderation');
  assert.ok(normalise(await op.page.locator('main').textContent()).includes('It is a free community event at the library.'));
  await expectStatus(await op.follow(() => op.page.getByRole('button', { name: 'Reverse it', exact: true }).click()), 200);
  await expectStatus(await c.goto(`/posts/${postId}`), 200);
  await a.goto('/me/moderation');
  assert.ok(normalise(await a.page.locator('main').textContent()).includes('the decision is reversed'));
});
