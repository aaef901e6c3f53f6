// What a library patron does and sees: choosing their library, signing in
// with card and PIN, the guest pages ("learn", "My data"), and signing out.
// Like flows.mjs, each flow asserts the page contract it passes through.

import assert from 'node:assert/strict';
import { SESSION_COOKIE } from './harness.mjs';
import {
  expectHeading,
  expectNavEntries,
  expectPath,
  expectPostsTo,
  expectRedirectedFrom,
  expectSignedOutNav,
  expectStatus,
  labelledField,
  mainButton,
  mainNav,
  normalise,
  pathOf,
} from './flows.mjs';

export const CARD_MISMATCH_TEXT = 'do not match';
export const ERASED_NOTICE = 'Everything about you has been deleted, and you are signed out.';

/** "Choose your library": the search form and the list of libraries. Returns the search field and button. */
export async function expectChooseLibraryPage(page) {
  await expectPath(page, '/libraries');
  await expectHeading(page, 'Choose your library');
  const query = await labelledField(page, 'q', 'Library name or town');
  const search = await mainButton(page, 'Search');
  const method = await search.evaluate((b) => b.form?.method);
  assert.equal(method, 'get', 'the library search form should use method="get"');
  return { query, search };
}

/** Searches for `text` on /libraries and follows the link to `library`'s page. */
export async function findLibrary(visitor, text, library) {
  const { page } = visitor;
  const { query, search } = await expectChooseLibraryPage(page);
  await query.fill(text);
  await expectStatus(await visitor.follow(() => search.click()), 200);
  await expectChooseLibraryPage(page);
  assert.equal(new URL(page.url()).searchParams.get('q'), text, 'the search should be in the address as ?q=');
  const link = page.locator('main').getByRole('link', { name: library.name, exact: true });
  assert.equal(await link.count(), 1, `searching "${text}" should list one link to ${library.name}`);
  assert.equal(await link.getAttribute('href'), `/libraries/${library.slug}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
  return expectLibraryPage(page, library);
}

/**
 * A library's page with its card sign-in form. Returns the fields, the two
 * "shared computer" radios and the submit button. A refused sign-in shows
 * this page again at the address the form posted to (`{ refused: true }`).
 */
export async function expectLibraryPage(page, library, { refused = false } = {}) {
  await expectPath(page, refused ? `/libraries/${library.slug}/sign-in` : `/libraries/${library.slug}`);
  await expectHeading(page, library.name);
  const fields = {
    card: await labelledField(page, 'card', 'Library card number'),
    pin: await labelledField(page, 'pin', 'PIN or library password'),
  };
  assert.equal(await fields.pin.getAttribute('type'), 'password', 'the PIN field should be type="password"');
  const fieldset = page.locator('main fieldset').filter({
    has: page.locator('legend', { hasText: 'Is this a shared computer?' }),
  });
  assert.equal(await fieldset.count(), 1, 'expected a fieldset with the legend "Is this a shared computer?"');
  const shared = {
    yes: fieldset.getByRole('radio', { name: 'Yes, this is a shared or public computer', exact: true }),
    no: fieldset.getByRole('radio', { name: 'No, this is my own device', exact: true }),
  };
  for (const [value, radio] of Object.entries(shared)) {
    assert.equal(await radio.count(), 1, `expected one "${value}" radio in the shared-computer fieldset`);
    assert.equal(await radio.getAttribute('name'), 'shared_computer');
    assert.equal(await radio.getAttribute('value'), value);
  }
  const submit = await mainButton(page, 'Sign in');
  await expectPostsTo(submit, `/libraries/${library.slug}/sign-in`);
  return { fields, shared, submit };
}

/**
 * Opens the library's page, types the card and PIN, answers "shared
 * computer?" and presses Sign in. Returns the response to the submission.
 */
export async function submitCardSignIn(visitor, library, { card, pin }, { shared = false } = {}) {
  const { page } = visitor;
  await visitor.goto(`/libraries/${library.slug}`);
  const form = await expectLibraryPage(page, library);
  await fillCardSignIn(form, { card, pin }, { shared });
  return visitor.follow(() => form.submit.click());
}

export async function fillCardSignIn(form, { card, pin }, { shared = false } = {}) {
  await form.fields.card.fill(card);
  await form.fields.pin.fill(pin);
  await (shared ? form.shared.yes : form.shared.no).check();
}

/** Signs a patron in with their card; leaves `visitor` on the library's learn page. */
export async function signInWithCard(visitor, library, patron, { shared = false } = {}) {
  const response = await submitCardSignIn(visitor, library, patron, { shared });
  await expectStatus(response, 200);
  await expectLearnPage(visitor.page, library);
}

/** The guest's home ("learn") page, with the guest navigation. */
export async function expectLearnPage(page, library) {
  await expectPath(page, `/libraries/${library.slug}/learn`);
  await expectHeading(page, `Welcome to ${library.name}`);
  await expectGuestNav(page, library);
}

/**
 * The header of a signed-in patron: the library's name, and the nav Home
 * (their library's learn page), Courses, My learning, My data and Sign out.
 */
export async function expectGuestNav(page, library) {
  const brand = normalise(await page.locator('header a.brand').textContent());
  assert.equal(brand, `${library.name} · Lyceum`, `the header should name the library on ${page.url()}`);
  const signOut = mainNav(page).getByRole('button', { name: 'Sign out', exact: true });
  assert.equal(await signOut.count(), 1, `the main nav should have a "Sign out" button on ${page.url()}`);
  await expectPostsTo(signOut, '/signout');
  await expectNavEntries(page, guestNav(library), 'a signed-in patron');
}

/** What a signed-in patron's nav holds. */
export function guestNav(library) {
  return [
    { link: 'Home', href: `/libraries/${library.slug}/learn` },
    { link: 'Courses', href: '/courses' },
    { link: 'My learning', href: '/learning' },
    { link: 'My data', href: '/my-data' },
    { button: 'Sign out' },
  ];
}

/**
 * The refusal box on the library page: role=alert, its heading the problem's
 * title, its text containing each of `texts`. Returns its text.
 */
export async function expectProblem(page, title, texts = []) {
  const box = page.locator('main div.error-summary[role="alert"]');
  assert.equal(await box.count(), 1, `expected one <div class="error-summary" role="alert"> on ${page.url()}`);
  assert.ok(await box.isVisible(), 'the problem box should be visible');
  const heading = normalise(await box.locator('h2').first().textContent());
  if (title instanceof RegExp) assert.match(heading, title, 'the problem box heading');
  else if (title !== undefined) assert.equal(heading, title, 'the problem box heading');
  assert.ok(heading.length > 0, 'the problem box needs a heading');
  const text = normalise(await box.innerText());
  for (const t of texts) {
    if (t instanceof RegExp) assert.match(text, t, 'the problem box');
    else assert.ok(text.includes(t), `the problem box should say "${t}", it says "${text}"`);
  }
  return text;
}

/** Follows "My data" in the nav; returns the page's parts. */
export async function openMyData(visitor, library) {
  const link = mainNav(visitor.page).getByRole('link', { name: 'My data', exact: true });
  await expectStatus(await visitor.follow(() => link.click()), 200);
  return expectMyDataPage(visitor.page, library);
}

/**
 * "My data": what is kept (first the code made from the card), what is never
 * kept, the ledger of who received data, "Your objections", the "Download
 * your data" link and the "Delete everything now" form. Returns the ledger's
 * rows as text, the objection section, the download link and the delete
 * form's parts. A refused deletion shows this page again at the address the
 * form posted to (`{ refused: true }`).
 */
export async function expectMyDataPage(page, library, { refused = false } = {}) {
  await expectPath(page, refused ? '/my-data/erase' : '/my-data');
  await expectHeading(page, 'My data');
  await expectGuestNav(page, library);
  const main = page.locator('main');

  const keptHeading = main.getByRole('heading', { name: 'What we keep', exact: true });
  assert.equal(await keptHeading.count(), 1, 'My data should have a "What we keep" heading');
  const kept = main.locator('table').first();
  const firstRow = normalise(await kept.locator('tbody tr').first().textContent());
  assert.ok(
    firstRow.includes('A code made from your library card'),
    `the first thing kept should be the code made from the card, it is "${firstRow}"`,
  );

  const neverHeading = main.getByRole('heading', { name: 'What we never keep', exact: true });
  assert.equal(await neverHeading.count(), 1, 'My data should have a "What we never keep" heading');
  const never = normalise(await main.locator('h2:has-text("What we never keep") + ul').textContent());
  for (const item of ['Your library card number', 'Your PIN']) {
    assert.ok(never.includes(item), `"What we never keep" should list "${item}", it says "${never}"`);
  }

  const ledgerHeading = main.getByRole('heading', { name: 'Who received data about you', exact: true });
  assert.equal(await ledgerHeading.count(), 1, 'My data should have a "Who received data about you" heading');
  const ledger = main.locator('h2:has-text("Who received data about you") + table');
  const ledgerRows = (await ledger.count()) === 0 ? [] : (await ledger.locator('tbody tr').allTextContents()).map(normalise);

  const objection = await expectObjectionSection(page);

  const downloadHeading = main.getByRole('heading', { name: 'Download your data', exact: true });
  assert.equal(await downloadHeading.count(), 1, 'My data should have a "Download your data" heading');
  const download = main.getByRole('link', { name: 'Download your data', exact: true });
  assert.equal(await download.count(), 1, 'My data should have one "Download your data" link');
  assert.equal(await download.getAttribute('href'), '/my-data/export', 'the "Download your data" link should go to /my-data/export');
  assert.equal(await download.getAttribute('download'), '', 'the "Download your data" link should have the download attribute');

  const deleteHeading = main.getByRole('heading', { name: 'Delete everything now', exact: true });
  assert.equal(await deleteHeading.count(), 1, 'My data should have a "Delete everything now" heading');
  const confirm = main.getByRole('checkbox', { name: 'I understand that everything is deleted for good', exact: true });
  assert.equal(await confirm.count(), 1, 'expected the "I understand that everything is deleted for good" checkbox');
  assert.equal(await confirm.evaluate((c) => c.required), true, 'the confirmation checkbox should be required');
  const erase = await mainButton(page, 'Delete everything now');
  await expectPostsTo(erase, '/my-data/erase');
  return { ledgerRows, objection, download, confirm, erase };
}

export const OBJECTION_TITLE = "Your library's usage statistics";
export const NOT_OBJECTING_TEXT = 'You do not object: your visits are counted, without your identity.';

/**
 * "Your objections" on My data: the section for the usage statistics, saying
 * whether the patron objects, and its one button ("Object: leave me out of
 * the counts", or "Withdraw my objection" once they object), which posts to
 * /my-data/objections/usage_statistics. Returns whether they object, what the
 * section says and the button.
 */
export async function expectObjectionSection(page) {
  const main = page.locator('main');
  const heading = main.getByRole('heading', { name: 'Your objections', exact: true, level: 2 });
  assert.equal(await heading.count(), 1, `My data should have a "Your objections" heading on ${page.url()}`);
  // aria-labelledby its h3 gives the section the accessible name a region has.
  const section = main.getByRole('region', { name: OBJECTION_TITLE, exact: true });
  assert.equal(await section.count(), 1, `"Your objections" should have a section named "${OBJECTION_TITLE}" on ${page.url()}`);
  const title = section.getByRole('heading', { name: OBJECTION_TITLE, exact: true, level: 3 });
  assert.equal(await title.count(), 1, `the section should have the sub-heading "${OBJECTION_TITLE}"`);
  const text = normalise(await section.textContent());
  const object = section.getByRole('button', { name: 'Object: leave me out of the counts', exact: true });
  const withdraw = section.getByRole('button', { name: 'Withdraw my objection', exact: true });
  const [objectCount, withdrawCount] = [await object.count(), await withdraw.count()];
  assert.equal(objectCount + withdrawCount, 1, `the section should offer exactly one of "Object…" and "Withdraw…"; it says "${text}"`);
  const objected = withdrawCount === 1;
  const button = objected ? withdraw : object;
  await expectPostsTo(button, '/my-data/objections/usage_statistics');
  if (objected) assert.match(text, /You object(, since \d+ \w+ \d{4})?: your visits are left out\./, 'the section should say the patron objects');
  else assert.ok(text.includes(NOT_OBJECTING_TEXT), `the section should say "${NOT_OBJECTING_TEXT}"; it says "${text}"`);
  return { objected, text, button };
}

/** Presses the nav's "Sign out" as a patron; leaves `visitor` signed out on the home page. */
export async function signOutPatron(visitor) {
  const { page } = visitor;
  const button = mainNav(page).getByRole('button', { name: 'Sign out', exact: true });
  await expectStatus(await visitor.follow(() => button.click()), 200);
  await expectPath(page, '/');
  await expectSignedOutNav(page);
}

/** Nobody is signed in with a card here: /my-data sends the visitor to /libraries. */
export async function expectNoPatronSession(visitor) {
  const response = await visitor.goto('/my-data');
  assert.notEqual(
    pathOf(visitor.page),
    '/my-data',
    `expected no patron session, but /my-data answered HTTP ${response.status()} instead of redirecting to /libraries`,
  );
  expectRedirectedFrom(response, '/my-data');
  await expectChooseLibraryPage(visitor.page);
  await expectSignedOutNav(visitor.page);
}

/** The visitor's cookies: exactly one, the session cookie. Returns it. */
export async function onlySessionCookie(visitor) {
  const cookies = await visitor.context.cookies();
  assert.deepEqual(
    cookies.map((c) => c.name),
    [SESSION_COOKIE],
    `expected exactly one cookie, ${SESSION_COOKIE}; the browser holds: ${cookies.map((c) => c.name).join(', ') || 'none'}`,
  );
  return cookies[0];
}

/**
 * The page wears the library's brand: it links and loads
 * /libraries/{slug}/theme.css, and the header's background is the library's
 * colour (`library.brandColour`, as #rrggbb).
 */
export async function expectLibraryTheme(page, library) {
  const href = `/libraries/${library.slug}/theme.css`;
  const theme = await page.evaluate((wanted) => {
    const header = document.querySelector('header.site-header');
    return {
      links: document.querySelectorAll(`link[rel="stylesheet"][href="${wanted}"]`).length,
      loaded: [...document.styleSheets].some((s) => s.href && new URL(s.href).pathname === wanted && s.cssRules.length > 0),
      headerBackground: header ? getComputedStyle(header).backgroundColor : null,
    };
  }, href);
  assert.equal(theme.links, 1, `the page should link the library's stylesheet ${href} on ${page.url()}`);
  assert.ok(theme.loaded, `the browser should have loaded ${href} with its rules on ${page.url()}`);
  const hex = library.brandColour.replace('#', '');
  const rgb = `rgb(${[0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  assert.equal(theme.headerBackground, rgb, `the header should be in ${library.name}'s colour ${library.brandColour} on ${page.url()}`);
}

/**
 * The page of a library whose patrons sign in on the library's own page
 * (OpenID Connect): "Sign in with your library account", the two "shared
 * computer" radios and the button, and no card or PIN field. A refused
 * sign-in shows this page again at the address that refused it
 * (`{ at: path }`).
 */
export async function expectOidcLibraryPage(page, library, { at = `/libraries/${library.slug}` } = {}) {
  await expectPath(page, at);
  await expectHeading(page, library.name);
  const main = page.locator('main');
  const heading = main.getByRole('heading', { name: 'Sign in with your library account', exact: true });
  assert.equal(await heading.count(), 1, `expected the heading "Sign in with your library account" on ${page.url()}`);
  for (const name of ['card', 'pin']) {
    assert.equal(await main.locator(`[name="${name}"]`).count(), 0, `a library with its own sign-in page asks for no "${name}" field`);
  }
  const fieldset = main.locator('fieldset').filter({ has: page.locator('legend', { hasText: 'Is this a shared computer?' }) });
  assert.equal(await fieldset.count(), 1, 'expected a fieldset with the legend "Is this a shared computer?"');
  const shared = {
    yes: fieldset.getByRole('radio', { name: 'Yes, this is a shared or public computer', exact: true }),
    no: fieldset.getByRole('radio', { name: 'No, this is my own device', exact: true }),
  };
  for (const [value, radio] of Object.entries(shared)) {
    assert.equal(await radio.count(), 1, `expected one "${value}" radio in the shared-computer fieldset`);
    assert.equal(await radio.getAttribute('name'), 'shared_computer');
    assert.equal(await radio.getAttribute('value'), value);
  }
  const submit = await mainButton(page, 'Sign in with your library account');
  const form = await submit.evaluate((b) => b.form && { method: b.form.method, action: b.form.action });
  assert.ok(form, 'the "Sign in with your library account" button should belong to a form');
  assert.equal(form.method, 'get', 'starting the sign-in changes nothing here, so the form should use method="get"');
  assert.equal(new URL(form.action).pathname, `/libraries/${library.slug}/oidc/start`);
  return { shared, submit };
}
