// Keyboard only, on a library's page: Tab goes card number, PIN, the
// "shared computer?" radio group (arrow keys move between its two radios),
// then Sign in, with focus visible at every step, and Enter signs the patron
// in (WCAG 2.1.1, 2.4.3, 2.4.7).

import assert from 'node:assert/strict';
import { expectVisibleFocus, focused, tabTo } from '../lib/a11y.mjs';
import { expectStatus } from '../lib/flows.mjs';
import { librarySuite, PATRONS, RIVERSIDE } from '../lib/library.mjs';
import { expectLearnPage, expectLibraryPage, onlySessionCookie, signOutPatron } from '../lib/patrons.mjs';

const { lyceumTest } = librarySuite();

/** Presses `key` and returns what has focus then, after checking it can be seen. */
async function press(page, key) {
  await page.keyboard.press(key);
  const focus = await focused(page);
  assert.ok(focus, `after ${key}, something should have focus on ${page.url()}`);
  await expectVisibleFocus(page);
  return focus;
}

const describe = (f) => JSON.stringify({ tag: f?.tag, name: f?.name, type: f?.type, value: f?.value, text: f?.text?.slice(0, 30) });

lyceumTest('a patron signs in on the library page with the keyboard alone, seeing focus at every step', async ({ newVisitor }) => {
  // Scenario: Tab through card, PIN, the shared-computer radios and Sign in, typing and choosing on the way, then Enter.
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto(`/libraries/${RIVERSIDE.slug}`);
  await expectLibraryPage(page, RIVERSIDE);

  await tabTo(page, 'the card number field', (f) => f.tag === 'input' && f.name === 'card');
  await page.keyboard.type(PATRONS.valid.card);

  const pin = await press(page, 'Tab');
  assert.equal(pin.name, 'pin', `Tab from the card number should reach the PIN field, it reached ${describe(pin)}`);
  await page.keyboard.type(PATRONS.valid.pin);

  // The two radios are one Tab stop; Tab lands on the chosen one.
  const group = await press(page, 'Tab');
  assert.equal(group.type, 'radio', `Tab from the PIN should reach the shared-computer radios, it reached ${describe(group)}`);
  assert.equal(group.name, 'shared_computer');
  assert.ok(group.checked, 'Tab into a radio group should land on its chosen radio');
  const other = group.value === 'yes' ? 'no' : 'yes';
  const [toOther, back] = group.value === 'yes' ? ['ArrowDown', 'ArrowUp'] : ['ArrowUp', 'ArrowDown'];
  const moved = await press(page, toOther);
  assert.equal(moved.name, 'shared_computer', `${toOther} should stay in the radio group, it went to ${describe(moved)}`);
  assert.equal(moved.value, other, `${toOther} should move to the "${other}" radio, it is on ${describe(moved)}`);
  assert.ok(moved.checked, `${toOther} should choose the "${other}" radio`);
  // This is the patron's own device: choose "no".
  const own = moved.value === 'no' ? moved : await press(page, back);
  assert.equal(own.value, 'no', `the "No, this is my own device" radio should be reachable with the arrow keys, focus is on ${describe(own)}`);
  assert.ok(own.checked);

  const button = await press(page, 'Tab');
  assert.ok(
    button.tag === 'button' && button.text === 'Sign in' && button.inMain,
    `Tab from the radios should reach the "Sign in" button, it reached ${describe(button)}`,
  );
  const response = await visitor.follow(() => page.keyboard.press('Enter'));
  await expectStatus(response, 200);
  await expectLearnPage(page, RIVERSIDE);
  const cookie = await onlySessionCookie(visitor);
  assert.ok(cookie.expires > 0, 'the own-device choice made with the keyboard should give a lasting cookie');
  await signOutPatron(visitor);
});
