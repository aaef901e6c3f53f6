// Keyboard only: the skip link comes first and moves focus into main, and a
// person can sign in with Tab, typing and Enter alone, seeing where focus is
// at every step (WCAG 2.1.1, 2.4.1, 2.4.7).

import assert from 'node:assert/strict';
import { expectVisibleFocus, focused, tabTo } from '../lib/a11y.mjs';
import { lyceumSuite } from '../lib/harness.mjs';
import { expectPath, expectSignedInAs, expectSignInPage, expectStatus, person, setUpOperator, signOut } from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');

lyceumTest('the operator sets Lyceum up', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await setUpOperator(visitor, operator);
  await signOut(visitor);
});

lyceumTest('from the home page, the first Tab reaches the skip link and Enter moves focus into main', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/');
  await expectPath(page, '/');

  await page.keyboard.press('Tab');
  const first = await focused(page);
  assert.ok(first, 'the first Tab should focus something on the page');
  assert.equal(first.tag, 'a');
  assert.match(first.className, /\bskip-link\b/);
  assert.equal(first.href, '#main');
  assert.equal(first.text, 'Skip to main content');
  await expectVisibleFocus(page);
  // A skip link that stays off-screen when focused helps nobody who can see.
  const box = await page.evaluate(() => document.activeElement.getBoundingClientRect().toJSON());
  const viewport = page.viewportSize();
  assert.ok(
    box.right > 0 && box.bottom > 0 && box.left < viewport.width && box.top < viewport.height,
    `the focused skip link should be on screen, its box is ${JSON.stringify(box)}`,
  );

  await page.keyboard.press('Enter');
  const target = await focused(page);
  assert.ok(target, 'after Enter on the skip link, something should have focus');
  assert.equal(target.tag, 'main', `focus should move to <main>, it is on ${JSON.stringify(target)}`);
  assert.equal(target.id, 'main');

  // The next Tab continues inside main (or after it), not back in the header.
  await page.keyboard.press('Tab');
  const next = await focused(page);
  if (next) {
    assert.ok(!next.inNav, `Tab after the skip link should not land back in the main nav: ${JSON.stringify(next)}`);
    await expectVisibleFocus(page);
  }
});

lyceumTest('a person signs in with the keyboard alone and arrives at their account', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/');

  // Tab to the nav's "Sign in" link and follow it.
  await tabTo(page, 'the "Sign in" link', (f) => f.tag === 'a' && f.href === '/signin');
  const signInPage = await visitor.follow(() => page.keyboard.press('Enter'));
  await expectStatus(signInPage, 200);
  await expectSignInPage(page);

  // Tab to the email field, type, Tab to the password, type.
  await tabTo(page, 'the email field', (f) => f.tag === 'input' && f.name === 'email');
  await page.keyboard.type(operator.email);
  await page.keyboard.press('Tab');
  const password = await focused(page);
  assert.equal(password?.name, 'password', `Tab from the email field should reach the password field, it reached ${JSON.stringify(password)}`);
  await expectVisibleFocus(page);
  await page.keyboard.type(operator.password);

  // Tab to the "Sign in" button and press Enter.
  await tabTo(page, 'the "Sign in" button', (f) => f.inMain && f.tag === 'button' && f.text === 'Sign in');
  const me = await visitor.follow(() => page.keyboard.press('Enter'));
  await expectStatus(me, 200);
  await expectSignedInAs(page, operator);
});
