// What operators and library staff do and see: the operator's "Libraries"
// page, a library's settings page and its forms, and a member's "Your
// library cards" page. Like flows.mjs, each flow asserts the page contract it
// passes through.

import assert from 'node:assert/strict';
import {
  expectHeading,
  expectPath,
  expectPostsTo,
  expectStatus,
  labelledField,
  mainButton,
  normalise,
} from './flows.mjs';

/** The one role="status" notice in main; returns its text. */
export async function expectNotice(page, expected) {
  const notice = page.locator('main [role="status"]');
  assert.equal(await notice.count(), 1, `expected one role="status" notice in main on ${page.url()}`);
  assert.ok(await notice.isVisible(), 'the notice should be visible');
  const text = normalise(await notice.textContent());
  if (expected instanceof RegExp) assert.match(text, expected, `the notice on ${page.url()}`);
  else if (expected !== undefined) assert.ok(text.startsWith(expected), `the notice should say "${expected}", it says "${text}"`);
  return text;
}

/** The rows of a table as arrays of cell texts. */
export function tableRows(table) {
  return table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim())));
}

/** A link in main with exactly this name; follows it and returns the response. */
export async function followMainLink(visitor, name, href) {
  const link = visitor.page.locator('main').getByRole('link', { name, exact: true });
  assert.equal(await link.count(), 1, `expected one "${name}" link in main on ${visitor.page.url()}`);
  if (href !== undefined) assert.equal(await link.getAttribute('href'), href, `the "${name}" link should go to ${href}`);
  return visitor.follow(() => link.click());
}

/**
 * The operator's "Libraries" page: the table of libraries and the "Add a
 * library" form. Returns the table's rows (library, short name, patron
 * sign-in), the form's fields and its button.
 */
export async function expectAdminLibrariesPage(page) {
  await expectPath(page, '/admin/libraries');
  await expectHeading(page, 'Libraries');
  const main = page.locator('main');
  const table = main.locator('table');
  let rows = [];
  if ((await table.count()) > 0) {
    assert.equal(await table.count(), 1, 'the libraries should be listed in one table');
    const headers = (await table.locator('thead th').allTextContents()).map(normalise);
    assert.deepEqual(headers, ['Library', 'Short name', 'Patron sign-in']);
    rows = await tableRows(table);
  }
  const form = main.getByRole('form', { name: 'Add a library', exact: true });
  assert.equal(await form.count(), 1, 'expected a form named "Add a library" (aria-labelledby its heading)');
  const fields = {
    slug: await labelledField(page, 'slug', 'Short name'),
    name: await labelledField(page, 'name', 'Library name'),
    town: await labelledField(page, 'town', 'Town or area'),
  };
  const submit = await mainButton(page, 'Add library');
  await expectPostsTo(submit, '/admin/libraries');
  return { rows, fields, submit };
}

/** Fills and sends "Add a library" on /admin/libraries; returns the response. */
export async function submitNewLibrary(visitor, library) {
  const { fields, submit } = await expectAdminLibrariesPage(visitor.page);
  await fields.slug.fill(library.slug);
  await fields.name.fill(library.name);
  await fields.town.fill(library.town ?? '');
  return visitor.follow(() => submit.click());
}

/**
 * A library's settings page, "{Name}: settings". A form that succeeds
 * redirects back to it (post, redirect, get); one that is refused answers
 * with this page at the address it posted to (`{ after: 'card-list' }` is
 * /libraries/{slug}/admin/card-list).
 */
export async function expectLibrarySettingsPage(page, library, { after } = {}) {
  const base = `/libraries/${library.slug}/admin`;
  await expectPath(page, after ? `${base}/${after}` : base);
  await expectHeading(page, `${library.name}: settings`);
}

/** Opens a library's settings page as staff. */
export async function openLibrarySettings(visitor, library) {
  await expectStatus(await visitor.goto(`/libraries/${library.slug}/admin`), 200);
  await expectLibrarySettingsPage(visitor.page, library);
}

/** A section of the settings page, found by its heading. */
export function settingsSection(page, title) {
  return page.locator('main section').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}

/** The "Card list" section: its textarea, its button, and the number of cards it says it holds. */
export async function expectCardListSection(page, library) {
  const section = settingsSection(page, 'Card list');
  assert.equal(await section.count(), 1, `the settings page should have a "Card list" section on ${page.url()}`);
  const cards = await labelledField(page, 'cards', 'Cards, one per line');
  assert.equal(await cards.evaluate((el) => el.tagName.toLowerCase()), 'textarea', 'the card list should be typed into a textarea');
  assert.equal(await section.locator('[name="cards"]').count(), 1, 'the card list textarea should be inside the "Card list" section');
  const submit = await mainButton(page, 'Replace the card list');
  await expectPostsTo(submit, `/libraries/${library.slug}/admin/card-list`);
  const said = normalise(await section.textContent());
  const count = /The list holds (\d+) cards/.exec(said);
  assert.ok(count, `the "Card list" section should say how many cards the list holds; it says "${said}"`);
  return { cards, submit, count: Number(count[1]) };
}

/** The "OpenID Connect provider" section's form. */
export async function expectOidcSection(page, library) {
  const section = settingsSection(page, 'OpenID Connect provider');
  assert.equal(await section.count(), 1, `the settings page should have an "OpenID Connect provider" section on ${page.url()}`);
  const fields = {
    issuer: await labelledField(page, 'issuer', 'Issuer address'),
    client_id: await labelledField(page, 'client_id', 'Client id'),
    client_secret: await labelledField(page, 'client_secret', 'Client secret'),
  };
  assert.equal(await fields.client_secret.getAttribute('type'), 'password', 'the client secret should be a password field');
  const submit = await mainButton(page, 'Save OpenID Connect provider');
  await expectPostsTo(submit, `/libraries/${library.slug}/admin/oidc`);
  return { fields, submit };
}

/** The "Library" section's settings form: the "Patron sign-in" select and "Save settings". */
export async function expectGeneralSettingsSection(page, library) {
  const section = settingsSection(page, 'Library');
  assert.equal(await section.count(), 1, `the settings page should have a "Library" section on ${page.url()}`);
  const authMethod = await labelledField(page, 'auth_method', 'Patron sign-in');
  assert.equal(await authMethod.evaluate((el) => el.tagName.toLowerCase()), 'select', '"Patron sign-in" should be a select');
  const submit = await mainButton(page, 'Save settings');
  await expectPostsTo(submit, `/libraries/${library.slug}/admin/settings`);
  return { authMethod, submit };
}

/**
 * "Your library cards": the linked cards (rows of library and date, each
 * with its "Detach the … card" button) and the "Link this card" form. A
 * detach redirects back to this page with a notice
 * (`{ detached: true }`: /me/library-cards?done=detached).
 */
export async function expectLibraryCardsPage(page, { detached = false } = {}) {
  if (detached) assert.ok(page.url().endsWith('/me/library-cards?done=detached'), `expected the page a detach redirects to, at ${page.url()}`);
  else await expectPath(page, '/me/library-cards');
  await expectHeading(page, 'Your library cards');
  const main = page.locator('main');
  const table = main.locator('table');
  const rows = (await table.count()) === 0 ? [] : await tableRows(table);
  const fields = {
    library: await labelledField(page, 'library', 'Library'),
    card: await labelledField(page, 'card', 'Library card number'),
    pin: await labelledField(page, 'pin', 'PIN or library password'),
  };
  assert.equal(await fields.library.evaluate((el) => el.tagName.toLowerCase()), 'select', '"Library" should be a select');
  assert.equal(await fields.pin.getAttribute('type'), 'password', 'the PIN field should be type="password"');
  const submit = await mainButton(page, 'Link this card');
  await expectPostsTo(submit, '/me/library-cards');
  return { rows, fields, submit };
}

/** Chooses the library, types card and PIN on "Your library cards" and presses "Link this card". */
export async function submitLinkCard(visitor, library, { card, pin }) {
  const { fields, submit } = await expectLibraryCardsPage(visitor.page);
  await fields.library.selectOption({ label: library.name });
  await fields.card.fill(card);
  await fields.pin.fill(pin);
  return visitor.follow(() => submit.click());
}
