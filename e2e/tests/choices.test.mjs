// Optional features ("Your choices"): every one starts off, a person turns
// one on and off again with the keyboard-usable buttons, and the history
// records both changes. Consent is never a precondition (SPEC §2, 7).

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import { expectHeading, expectPath, expectStatus, mainNav, normalise, person, setUpOperator, signUp } from '../lib/flows.mjs';
import { downloadArchive, expectReadableIndex, expectReadablePage, jsonFile } from '../lib/zip.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');
const dee = person('dee', 'Dee Member');

lyceumTest('the operator sets Lyceum up', async ({ newVisitor }) => {
  await setUpOperator(await newVisitor(), operator);
});

lyceumTest('a member finds every optional feature off, turns one on, then off again', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, dee);
  const { page } = visitor;

  const link = mainNav(page).getByRole('link', { name: 'Your choices', exact: true });
  await expectStatus(await visitor.follow(() => link.click()), 200);
  await expectPath(page, '/me/choices');
  await expectHeading(page, 'Your choices');

  const main = page.locator('main');
  const turnOn = main.getByRole('button', { name: /^Turn on/ });
  assert.equal(await turnOn.count(), 4, 'four optional features, all off');
  assert.equal(await main.getByRole('button', { name: /^Turn off/ }).count(), 0);
  assert.ok(normalise(await main.textContent()).includes('You have not changed any of these yet.'));

  const digests = main.getByRole('button', { name: 'Turn on Email digests', exact: true });
  await expectStatus(await visitor.follow(() => digests.click()), 200);
  const status = page.getByRole('status');
  assert.equal(normalise(await status.textContent()), 'Email digests is now on.');
  assert.equal(await main.getByRole('button', { name: /^Turn off/ }).count(), 1);

  const off = main.getByRole('button', { name: 'Turn off Email digests', exact: true });
  await off.focus();
  await expectStatus(await visitor.follow(() => page.keyboard.press('Enter')), 200);
  assert.equal(normalise(await page.getByRole('status').textContent()), 'Email digests is now off.');
  assert.equal(await main.getByRole('button', { name: /^Turn on/ }).count(), 4);

  const rows = page.getByRole('table').locator('tbody tr');
  assert.equal(await rows.count(), 2, 'the history shows both changes');
  assert.deepEqual((await rows.nth(0).locator('td').allTextContents()).slice(1), ['Email digests', 'On', '1']);
  assert.deepEqual((await rows.nth(1).locator('td').allTextContents()).slice(1), ['Email digests', 'Off', '1']);
  await expectPath(page, '/me/choices');
});

lyceumTest('the member sees what Lyceum holds about them, why and until when', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, person('fay', 'Fay Member'));
  const { page } = visitor;
  const link = page.locator('main').getByRole('link', { name: 'What we hold about you, and why', exact: true });
  await expectStatus(await visitor.follow(() => link.click()), 200);
  await expectPath(page, '/me/privacy');
  await expectHeading(page, 'What we hold about you');
  const sections = await page.locator('main h2').allTextContents();
  for (const heading of ['Identity', 'Contact details', 'Sign-in credentials', 'Technical records', 'Who has received your data']) {
    assert.ok(sections.includes(heading), `the dashboard should have a "${heading}" section; it has ${sections.join(', ')}`);
  }
  const email = page.getByRole('row', { name: /Member accounts: email \(encrypted\)/ });
  assert.equal(await email.count(), 1);
  assert.match(normalise(await email.textContent()), /Until you erase your account/);

  // "Download your data" gives a ZIP holding a page a person can read.
  const { filename, files } = await downloadArchive(
    page,
    page.locator('main').getByRole('link', { name: 'Download your data', exact: true }),
  );
  assert.match(filename, /^lyceum-export-\d{4}-\d{2}-\d{2}\.zip$/);
  for (const name of ['index.html', 'account.json', 'data/members.json', 'consents.json', 'recipients.json']) {
    assert.ok(files.has(name), `the archive should contain ${name}; it holds ${[...files.keys()].join(', ')}`);
  }
  const account = jsonFile(files, 'account.json');
  assert.equal(account.email, 'fay@example.test', 'account.json holds the member\'s own email address');
  assert.equal(account.display_name, 'Fay Member', 'account.json holds the member\'s own name');
  // The page inside reads well offline: her address, her choices, who received her data.
  const index = await expectReadableIndex(visitor, files);
  for (const text of ['Your data from Lyceum', 'fay@example.test', 'Your choices', 'Who received your data']) {
    assert.ok(index.includes(text), `index.html should show "${text}"; it says "${index.slice(0, 300)}"`);
  }
});

lyceumTest('a member with many posts reads the first on the index page and all of them on pages beside it', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, person('gus', 'Gus Member'));
  const { page } = visitor;
  // Sixty posts through the API (the browser's session), faster than the composer.
  for (let i = 1; i <= 60; i++) {
    const res = await page.request.post('/api/v1/posts', { data: { body: `Note ${String(i).padStart(2, '0')} from the reading room`, audience: 'connections' } });
    assert.equal(res.status(), 201, `post ${i}: ${await res.text()}`);
  }
  await expectStatus(await visitor.goto('/me/privacy'), 200);
  const { files } = await downloadArchive(page, page.locator('main').getByRole('link', { name: 'Download your data', exact: true }));
  const index = await expectReadableIndex(visitor, files);
  assert.ok(index.includes('60 records'), 'the index counts all sixty posts');
  assert.equal((index.match(/Note \d\d from the reading room/g) || []).length, 50, 'the index shows the first fifty');
  const posts = await expectReadablePage(visitor, files, 'pages/posts-1.html');
  assert.ok(posts.includes('Records 1 to 60 of 60'), posts.slice(0, 300));
  assert.equal((posts.match(/Note \d\d from the reading room/g) || []).length, 60, 'the page holds all sixty');
});
