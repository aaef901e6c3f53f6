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

/** The kinds of data an operator can tick on "Record a breach", by label. */
export const BREACH_CATEGORIES = [
  'Identity',
  'Contact details',
  'Sign-in credentials',
  'Profile',
  'Learning activity',
  'Posts and reactions',
  'Connections and follows',
  'Messages',
  'Technical records',
  'Your choices',
  'Who received your data',
];

/**
 * The operator's "Breach register": the recorded breaches (rows of incident,
 * became aware, people affected, supervisory authority; none means it says
 * "No breach has been recorded.") and the "Record a breach" form. A refused
 * entry answers with this page at the address it posted to, so the path is
 * /admin/breaches either way. Returns the rows, the form's fields (the kinds
 * of data as checkboxes by label) and its button.
 */
export async function expectBreachRegisterPage(page) {
  await expectPath(page, '/admin/breaches');
  await expectHeading(page, 'Breach register');
  const main = page.locator('main');
  const table = main.locator('table');
  let rows = [];
  if ((await table.count()) > 0) {
    assert.equal(await table.count(), 1, 'the breaches should be listed in one table');
    const headers = (await table.locator('thead th').allTextContents()).map(normalise);
    assert.deepEqual(headers, ['Incident', 'Became aware', 'People affected', 'Supervisory authority']);
    rows = await tableRows(table);
    assert.ok(rows.length > 0, 'a table of breaches should not be empty');
  } else {
    const said = normalise(await main.textContent());
    assert.ok(said.includes('No breach has been recorded.'), `an empty register should say "No breach has been recorded."; it says "${said.slice(0, 300)}"`);
  }
  const form = main.getByRole('form', { name: 'Record a breach', exact: true });
  assert.equal(await form.count(), 1, 'expected a form named "Record a breach" (aria-labelledby its heading)');
  const fields = {
    title: await labelledField(page, 'title', 'Title'),
    detected_at: await labelledField(page, 'detected_at', 'When you became aware (UTC)'),
    description: await labelledField(page, 'description', 'What happened'),
    consequences: await labelledField(page, 'consequences', 'Likely consequences for the people affected'),
    measures: await labelledField(page, 'measures', 'Measures taken or proposed'),
  };
  assert.equal(await fields.detected_at.getAttribute('type'), 'datetime-local', '"When you became aware" should be a datetime-local field');
  for (const name of ['description', 'consequences', 'measures']) {
    assert.equal(await fields[name].evaluate((el) => el.tagName.toLowerCase()), 'textarea', `"${name}" should be a textarea`);
  }
  const fieldset = form.getByRole('group', { name: 'Kinds of data affected', exact: true });
  assert.equal(await fieldset.count(), 1, 'expected a fieldset with the legend "Kinds of data affected"');
  const categories = {};
  for (const label of BREACH_CATEGORIES) {
    const box = fieldset.getByRole('checkbox', { name: label, exact: true });
    assert.equal(await box.count(), 1, `"Kinds of data affected" should offer the checkbox "${label}"`);
    assert.equal(await box.getAttribute('name'), 'categories');
    categories[label] = box;
  }
  const submit = await mainButton(page, 'Record the breach');
  await expectPostsTo(submit, '/admin/breaches');
  return { rows, fields, categories, submit };
}

/**
 * Fills "Record a breach" (title, what happened, the kinds of data by label,
 * consequences, measures; `detectedAt` left empty means now) and presses
 * "Record the breach". Returns the response.
 */
export async function submitBreach(visitor, breach) {
  const { fields, categories, submit } = await expectBreachRegisterPage(visitor.page);
  await fields.title.fill(breach.title ?? '');
  await fields.detected_at.fill(breach.detectedAt ?? '');
  await fields.description.fill(breach.description ?? '');
  for (const label of breach.categories ?? []) await categories[label].check();
  await fields.consequences.fill(breach.consequences ?? '');
  await fields.measures.fill(breach.measures ?? '');
  return visitor.follow(() => submit.click());
}

/**
 * One breach's page: its title as h1, the 72-hour clock in a role=status
 * line, "People affected" (the total and a line per kind of data), the
 * notice for the supervisory authority, the notice for the people affected,
 * and a button for each step not yet taken. Returns the breach's id, the
 * clock, the counts, the two notices, whether the people were told (and the
 * line saying so) and the buttons still there.
 */
export async function expectBreachPage(page, title) {
  const match = /^\/admin\/breaches\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname);
  assert.ok(match, `expected a breach's page at /admin/breaches/{id}, the browser is at ${page.url()}`);
  const id = match[1];
  await expectHeading(page, title);
  const main = page.locator('main');
  const clock = await expectNotice(page);

  const affectedHeading = main.getByRole('heading', { name: 'People affected', exact: true, level: 2 });
  assert.equal(await affectedHeading.count(), 1, 'the breach page should have a "People affected" heading');
  const total = normalise(await main.locator('h2:text-is("People affected") + p').textContent());
  const totalMatch = /^(\d+) people in all\.$/.exec(total);
  assert.ok(totalMatch, `"People affected" should say "N people in all."; it says "${total}"`);
  const perCategory = (await main.locator('h2:text-is("People affected") + p + ul > li').allTextContents()).map(normalise);

  const authorityHeading = main.getByRole('heading', { name: 'Notice for the supervisory authority', exact: true, level: 2 });
  assert.equal(await authorityHeading.count(), 1, 'the breach page should have a "Notice for the supervisory authority" heading');
  const pre = main.locator('h2:text-is("Notice for the supervisory authority") + pre');
  assert.equal(await pre.count(), 1, 'the notice for the supervisory authority should be a <pre> block, ready to copy');
  const authorityNotice = await pre.textContent();

  const peopleHeading = main.getByRole('heading', { name: 'Notice for the people affected', exact: true, level: 2 });
  assert.equal(await peopleHeading.count(), 1, 'the breach page should have a "Notice for the people affected" heading');
  const personNotice = normalise(await main.locator('h2:text-is("Notice for the people affected") + p').textContent());

  const said = normalise(await main.textContent());
  const told = /They were told on (\d{1,2} \w+ \d{4} \d\d:\d\d UTC): each sees this notice on their privacy page\./.exec(said);
  const buttons = {};
  for (const [key, name, action] of [
    ['authority', 'I have told the supervisory authority', 'authority-notified'],
    ['people', 'Tell the people affected', 'notify-people'],
  ]) {
    const button = main.getByRole('button', { name, exact: true });
    if ((await button.count()) === 0) continue;
    await expectPostsTo(button, `/admin/breaches/${id}/${action}`);
    buttons[key] = button;
  }
  assert.equal(!!told, !buttons.people, 'the page should offer "Tell the people affected" until they are told, and say when they were told after');
  const back = main.getByRole('link', { name: 'Back to the breach register', exact: true });
  assert.equal(await back.count(), 1, 'the breach page should link back to the register');
  return {
    id,
    clock,
    affected: Number(totalMatch[1]),
    perCategory,
    authorityNotice,
    personNotice,
    peopleToldOn: told?.[1] ?? null,
    buttons,
    back,
  };
}
