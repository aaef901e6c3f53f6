// What a person does and sees on Lyceum's account pages, written once so the
// test files read as stories. Each flow asserts the page contract it passes
// through (headings, labels, where it lands), so a test that uses a flow also
// checks the pages on its way.

import assert from 'node:assert/strict';

/** Someone with an account-to-be. Passwords are long enough for the 12-character rule. */
export function person(slug, displayName) {
  return {
    email: `${slug}@example.test`,
    displayName,
    password: `${slug} correct horse battery staple`,
  };
}

export const BAD_CREDENTIALS_MESSAGE = 'The email address or password is not right.';

export function pathOf(page) {
  return new URL(page.url()).pathname;
}

export function mainNav(page) {
  return page.locator('header nav[aria-label="Main"]');
}

export async function expectPath(page, path) {
  assert.equal(pathOf(page), path, `expected to be on ${path}, but the browser is at ${page.url()}`);
}

/** The final response came at the end of a redirect from `fromPath`. */
export function expectRedirectedFrom(response, fromPath) {
  let first = response.request();
  while (first.redirectedFrom()) first = first.redirectedFrom();
  assert.notEqual(first, response.request(), `expected a redirect from ${fromPath} to ${response.url()}, got none`);
  assert.equal(new URL(first.url()).pathname, fromPath, `expected the redirect chain to start at ${fromPath}`);
}

export async function expectStatus(response, status) {
  assert.equal(response.status(), status, `expected HTTP ${status} for ${response.url()}, got ${response.status()}`);
}

/** The page's single h1 has exactly this text (or matches this pattern). */
export async function expectHeading(page, expected) {
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, `expected exactly one h1 on ${page.url()}`);
  const text = normalise(await h1.textContent());
  if (expected instanceof RegExp) assert.match(text, expected, `h1 on ${page.url()}`);
  else assert.equal(text, expected, `h1 on ${page.url()}`);
}

/**
 * A form field named `name` inside main, labelled by a visible `<label for>`
 * whose text starts with `label` (a hint may follow it inside the label).
 * Returns the field's locator.
 */
export async function labelledField(page, name, label) {
  const field = page.locator(`main [name="${name}"]`);
  assert.equal(await field.count(), 1, `expected one field named "${name}" in main on ${page.url()}`);
  const id = await field.getAttribute('id');
  assert.ok(id, `field "${name}" needs an id for its <label for>`);
  const labelEl = page.locator(`label[for="${id}"]`);
  assert.equal(await labelEl.count(), 1, `expected one <label for="${id}"> for field "${name}"`);
  assert.ok(await labelEl.isVisible(), `the label of "${name}" should be visible`);
  const text = normalise(await labelEl.textContent());
  if (label !== undefined) {
    assert.ok(
      text === label || new RegExp(`^${escapeRegExp(label)}\\b`).test(text),
      `field "${name}" should be labelled "${label}", found "${text}"`,
    );
  } else {
    assert.ok(text.length > 0, `field "${name}" has an empty label`);
  }
  return field;
}

/** Exactly one button with this accessible name inside main. */
export async function mainButton(page, name) {
  const button = page.locator('main').getByRole('button', { name, exact: true });
  assert.equal(await button.count(), 1, `expected one "${name}" button in main on ${page.url()}`);
  return button;
}

/** The form around `button` posts to `action`. */
export async function expectPostsTo(button, action) {
  const form = await button.evaluate((b) => {
    const f = b.form ?? b.closest('form');
    // The properties, not the attributes: they resolve a missing or relative action.
    return f && { method: f.method, action: f.action };
  });
  assert.ok(form, 'the button should belong to a form');
  assert.equal(form.method, 'post', 'the form should use method="post"');
  assert.equal(new URL(form.action).pathname, action, `the form should post to ${action}`);
}

/**
 * The browser's own checks (required, minlength, type=email) would stop a bad
 * form before it is sent; turning them off lets a test see the server's answer,
 * which is the one that counts.
 */
export async function skipBrowserValidation(page) {
  await page.locator('main form').evaluateAll((forms) => {
    for (const f of forms) f.noValidate = true;
  });
}

/** The error summary: role=alert, "There is a problem", and each message. Returns its text. */
export async function expectErrorSummary(page, messages = []) {
  const summary = page.locator('div.error-summary[role="alert"]');
  assert.equal(await summary.count(), 1, `expected one <div class="error-summary" role="alert"> on ${page.url()}`);
  assert.ok(await summary.isVisible(), 'the error summary should be visible');
  const heading = summary.locator('h1, h2, h3, h4, h5, h6');
  assert.ok((await heading.count()) >= 1, 'the error summary should have a heading');
  assert.equal(normalise(await heading.first().textContent()), 'There is a problem');
  const text = normalise(await summary.innerText());
  for (const message of messages) {
    if (message instanceof RegExp) assert.match(text, message, 'error summary');
    else assert.ok(text.includes(message), `error summary should say "${message}", it says "${text}"`);
  }
  return text;
}

/** A field with an error: aria-invalid="true" and aria-describedby naming its inline message. */
export async function expectFieldError(page, name, message) {
  const field = page.locator(`main [name="${name}"]`);
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `field "${name}" should have aria-invalid="true"`);
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  const ids = describedBy.split(/\s+/).filter(Boolean);
  assert.ok(ids.length > 0, `field "${name}" should have aria-describedby pointing at its error message`);
  const texts = [];
  for (const id of ids) {
    const el = page.locator(`[id="${id}"]`);
    assert.equal(await el.count(), 1, `aria-describedby of "${name}" names #${id}, which should exist once`);
    texts.push(normalise(await el.textContent()));
  }
  const joined = texts.join(' ');
  assert.ok(joined.length > 0, `the message for "${name}" is empty`);
  if (message instanceof RegExp) assert.match(joined, message, `message for "${name}"`);
  else if (message !== undefined) assert.ok(joined.includes(message), `message for "${name}" should say "${message}", it says "${joined}"`);
  return joined;
}

/** The account page of `who`, with the signed-in navigation. */
export async function expectSignedInAs(page, who) {
  await expectPath(page, '/me');
  await expectHeading(page, 'Your account');
  const main = normalise(await page.locator('main').textContent());
  assert.ok(main.includes(who.displayName), `/me should show the name "${who.displayName}"`);
  assert.ok(main.includes(who.email), `/me should show the email address ${who.email}`);
  await expectSignedInNav(page);
}

/**
 * The main nav's entries in order, each `{ link: name, href }` or `{ button: name }`
 * (a button is the "Sign out" form's), so a test can compare the whole nav.
 * Unread counts ("Notifications (3 new)", "Messages (1 unread)") depend on what others did, so they
 * are left out; tests that care about them read them directly.
 */
export function navEntries(page) {
  return mainNav(page).evaluate((nav) =>
    [...nav.querySelectorAll('a[href], button')].map((el) => {
      const name = el.textContent.replace(/\s+/g, ' ').trim().replace(/ \(\d+ (new|unread)\)$/, '');
      return el.tagName === 'A' ? { link: name, href: el.getAttribute('href') } : { button: name };
    }),
  );
}

/** The main nav is exactly `expected` (see navEntries), in this order. */
export async function expectNavEntries(page, expected, who) {
  const found = await navEntries(page);
  assert.deepEqual(found, expected, `the main nav of ${who} on ${page.url()} should be exactly these entries`);
}

/** What a signed-in member's nav holds: the network, Courses, My learning, their profile and account pages, and Sign out. */
export const SIGNED_IN_NAV = [
  { link: 'Feed', href: '/feed' },
  { link: 'Network', href: '/network' },
  { link: 'Messages', href: '/messages' },
  { link: 'Notifications', href: '/notifications' },
  { link: 'Courses', href: '/courses' },
  { link: 'My learning', href: '/learning' },
  { link: 'Profile', href: '/me/profile' },
  { link: 'Your account', href: '/me' },
  { link: 'Your choices', href: '/me/choices' },
  { link: 'Security', href: '/me/security' },
  { button: 'Sign out' },
];

/** What a signed-out visitor's nav holds: Courses and the ways to sign in or sign up. */
export const SIGNED_OUT_NAV = [
  { link: 'Courses', href: '/courses' },
  { link: 'Sign in with a library card', href: '/libraries' },
  { link: 'Sign in', href: '/signin' },
  { link: 'Create account', href: '/signup' },
];

/**
 * What an error page other than 401 holds (403, 404, 409, a 422 shown as the
 * plain error page): it cannot know who is signed in, so only what is right
 * for anyone.
 */
export const NEUTRAL_NAV = [
  { link: 'Courses', href: '/courses' },
  { link: 'Your account', href: '/me' },
];

export async function expectSignedInNav(page) {
  const nav = mainNav(page);
  const signOut = nav.getByRole('button', { name: 'Sign out', exact: true });
  if ((await signOut.count()) !== 1) {
    assert.fail(
      `the main nav should have one button named exactly "Sign out" on ${page.url()}; ` +
        `its accessibility tree is:\n${await nav.ariaSnapshot()}`,
    );
  }
  await expectPostsTo(signOut, '/signout');
  await expectNavEntries(page, SIGNED_IN_NAV, 'a signed-in member');
}

export async function expectSignedOutNav(page) {
  await expectNavEntries(page, SIGNED_OUT_NAV, 'a signed-out visitor');
}

/** The nav of an error page other than 401 (see NEUTRAL_NAV). */
export async function expectNeutralNav(page) {
  await expectNavEntries(page, NEUTRAL_NAV, 'anyone on an error page');
}

/** The setup page, as the first visitor of a fresh Lyceum sees it. Returns its fields. */
export async function expectSetupPage(page) {
  await expectPath(page, '/setup');
  await expectHeading(page, 'Set up Lyceum');
  const fields = {
    email: await labelledField(page, 'email', 'Email address'),
    display_name: await labelledField(page, 'display_name', 'Your name'),
    password: await labelledField(page, 'password', 'Password'),
  };
  const submit = await mainButton(page, 'Create operator account');
  await expectPostsTo(submit, '/setup');
  return { fields, submit };
}

/** Creates the operator account through /setup; leaves `visitor` signed in on /me. */
export async function setUpOperator(visitor, operator) {
  const { page } = visitor;
  await visitor.goto('/setup');
  const { fields, submit } = await expectSetupPage(page);
  await fields.email.fill(operator.email);
  await fields.display_name.fill(operator.displayName);
  await fields.password.fill(operator.password);
  const response = await visitor.follow(() => submit.click());
  await expectStatus(response, 200);
  await expectSignedInAs(page, operator);
}

export async function expectSignUpPage(page) {
  await expectPath(page, '/signup');
  await expectHeading(page, 'Create your account');
  const fields = {
    email: await labelledField(page, 'email', 'Email address'),
    display_name: await labelledField(page, 'display_name', 'Your name'),
    password: await labelledField(page, 'password', 'Password'),
  };
  const submit = await mainButton(page, 'Create account');
  await expectPostsTo(submit, '/signup');
  return { fields, submit };
}

/** Signs up through /signup; leaves `visitor` signed in on /me. */
export async function signUp(visitor, who) {
  const { page } = visitor;
  await visitor.goto('/signup');
  const { fields, submit } = await expectSignUpPage(page);
  await fields.email.fill(who.email);
  await fields.display_name.fill(who.displayName);
  await fields.password.fill(who.password);
  const response = await visitor.follow(() => submit.click());
  await expectStatus(response, 200);
  await expectSignedInAs(page, who);
}

export async function expectSignInPage(page) {
  await expectPath(page, '/signin');
  await expectHeading(page, 'Sign in');
  const fields = {
    email: await labelledField(page, 'email', 'Email address'),
    password: await labelledField(page, 'password', 'Password'),
  };
  const submit = await mainButton(page, 'Sign in');
  await expectPostsTo(submit, '/signin');
  return { fields, submit };
}

/** Fills and sends the sign-in form; returns the response to the submission. */
export async function submitSignIn(visitor, credentials) {
  const { page } = visitor;
  await visitor.goto('/signin');
  const { fields, submit } = await expectSignInPage(page);
  await fields.email.fill(credentials.email);
  await fields.password.fill(credentials.password);
  return visitor.follow(() => submit.click());
}

/** Signs in through /signin; leaves `visitor` on /me. */
export async function signIn(visitor, who) {
  const response = await submitSignIn(visitor, who);
  await expectStatus(response, 200);
  await expectSignedInAs(visitor.page, who);
}

/** Presses the nav's "Sign out" button; leaves `visitor` signed out on the home page. */
export async function signOut(visitor) {
  const { page } = visitor;
  const button = mainNav(page).getByRole('button', { name: 'Sign out', exact: true });
  const response = await visitor.follow(() => button.click());
  await expectStatus(response, 200);
  await expectPath(page, '/');
  await expectSignedOutNav(page);
}

/** Visiting /me sends this visitor to /signin: nobody is signed in here. */
export async function expectSignedOut(visitor) {
  const response = await visitor.goto('/me');
  assert.notEqual(
    pathOf(visitor.page),
    '/me',
    `expected to be signed out, but /me answered HTTP ${response.status()} instead of redirecting to /signin`,
  );
  expectRedirectedFrom(response, '/me');
  await expectPath(visitor.page, '/signin');
  await expectSignedOutNav(visitor.page);
}

export function normalise(text) {
  return String(text ?? '').replace(/\s+/g, ' ').trim();
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens the profile editor from the nav and saves a handle and a headline. */
export async function chooseHandle(visitor, handle) {
  const { page } = visitor;
  await expectStatus(await visitor.follow(() => mainNav(page).getByRole('link', { name: 'Profile', exact: true }).click()), 200);
  await expectHeading(page, 'Your profile');
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByLabel('Headline', { exact: true }).fill(`${handle} at the library`);
  await expectStatus(await visitor.follow(() => page.getByRole('button', { name: 'Save', exact: true }).click()), 200);
  assert.equal(normalise(await page.getByRole('status').textContent()), 'Saved.');
}
