// How Lyceum tells people what it does with their data: the privacy notice
// (/privacy) and its changelog (/privacy/changes), the banner that announces
// a coming change to everyone signed in, and the breach notices on a
// member's "What we hold about you" (/me/privacy). Also the instance that
// announces a recipient: a `lyceum.toml` in the data directory, which the
// server reads because it runs there (see server.mjs). Like flows.mjs, each
// helper asserts the page contract it passes through.

import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lyceumSuite } from './harness.mjs';
import { createOperator } from './library.mjs';
import { expectHeading, expectPath, normalise } from './flows.mjs';

/** A recipient the operator announces for a date far ahead, and that date in words. */
export const SMS_GATEWAY = {
  key: 'sms',
  name: 'Example SMS Gateway',
  country: 'Germany',
  purpose: 'Sending sign-in codes by text message',
  from: '2099-01-01T00:00:00Z',
  fromInWords: '1 January 2099',
};

/** Writes `lyceum.toml` into the data directory with these `[[privacy.recipients]]`. */
export async function writeRecipientsConfig(dataDir, recipients) {
  const quoted = (v) => JSON.stringify(String(v)); // a JSON string is a TOML basic string
  const toml = recipients
    .map((r) =>
      ['[[privacy.recipients]]', ...['key', 'name', 'country', 'purpose', 'from'].map((k) => `${k} = ${quoted(r[k])}`)].join('\n'),
    )
    .join('\n\n');
  await writeFile(path.join(dataDir, 'lyceum.toml'), `${toml}\n`);
}

/**
 * Like lyceumSuite, for a file whose server has the operator (made on the
 * command line) and announces `recipients` in its lyceum.toml.
 */
export function announcedRecipientsSuite(recipients) {
  return lyceumSuite({
    setup: async (dataDir) => {
      await createOperator(dataDir);
      await writeRecipientsConfig(dataDir, recipients);
    },
  });
}

/** Every regular file under `dir` (the data directory, say), as paths. */
export async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * Searches every byte of every file under `dir` (the SQLite database, its
 * write-ahead log, anything else) for each of `texts`, as UTF-8. Returns the
 * files' names relative to `dir`, and `found` as "text in file" for each hit.
 */
export async function findInFiles(dir, texts) {
  const files = await filesUnder(dir);
  const found = [];
  for (const file of files) {
    const bytes = await readFile(file);
    for (const text of texts) {
      if (bytes.includes(Buffer.from(text, 'utf8'))) found.push(`${text} in ${path.relative(dir, file)}`);
    }
  }
  return { names: files.map((f) => path.relative(dir, f)), found };
}

/** Today's date as the pages write it ("26 November 2025"), in UTC. */
export function dateInWords(date = new Date()) {
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The items of the list right after the h2 `title` in main, or null when a paragraph follows it instead. */
async function listAfterHeading(page, title) {
  const heading = page.locator('main h2').filter({ hasText: new RegExp(`^\\s*${title}\\s*$`) });
  assert.equal(await heading.count(), 1, `expected one "${title}" heading on ${page.url()}`);
  const next = heading.locator('xpath=following-sibling::*[1]');
  const tag = await next.evaluate((el) => el.tagName.toLowerCase());
  if (tag !== 'ul') return { items: null, next: normalise(await next.textContent()) };
  return { items: (await next.locator('li').allTextContents()).map(normalise), next: null };
}

/**
 * The privacy notice: its version line with the "See every change" link, and
 * the "Coming changes" box (role=note) when a change is announced. Returns
 * the version, the date it came into effect, the announced changes (empty
 * when there is no box), what "Who receives your data" says, and the link.
 */
export async function expectPrivacyNotice(page) {
  await expectPath(page, '/privacy');
  await expectHeading(page, 'How Lyceum uses personal data');
  const main = page.locator('main');
  const said = normalise(await main.textContent());
  const version = /This is version (\d+) of the notice, in effect since (\d{1,2} \w+ \d{4})\./.exec(said);
  assert.ok(version, `the notice should say "This is version N of the notice, in effect since …"; it says "${said.slice(0, 400)}"`);
  const changesLink = main.getByRole('link', { name: 'See every change', exact: true });
  assert.equal(await changesLink.count(), 1, 'the notice should have one "See every change" link');
  assert.equal(await changesLink.getAttribute('href'), '/privacy/changes');

  const box = main.locator('[role="note"]');
  let upcoming = [];
  if ((await box.count()) > 0) {
    assert.equal(await box.count(), 1, 'the notice should have at most one "Coming changes" box');
    const heading = box.getByRole('heading', { name: 'Coming changes', exact: true });
    assert.equal(await heading.count(), 1, 'the role="note" box on the notice should be headed "Coming changes"');
    upcoming = (await box.locator('li').allTextContents()).map(normalise);
    assert.ok(upcoming.length > 0, 'a "Coming changes" box should list at least one change');
  } else {
    assert.equal(
      await main.getByRole('heading', { name: 'Coming changes', exact: true }).count(),
      0,
      'a "Coming changes" heading on the notice should be inside its role="note" box',
    );
  }
  const recipients = await listAfterHeading(page, 'Who receives your data');
  return {
    version: Number(version[1]),
    since: version[2],
    upcoming,
    recipientsSaid: recipients.next,
    changesLink,
  };
}

/**
 * The privacy changelog: "Coming changes" (a list, or "No change is
 * announced.") and "Versions of the privacy notice", one section per
 * version, newest first. Returns the announced changes and, for each
 * version, its heading and what its section says below the heading.
 */
export async function expectPrivacyChangelog(page) {
  await expectPath(page, '/privacy/changes');
  await expectHeading(page, 'Privacy changelog');
  const main = page.locator('main');
  const coming = await listAfterHeading(page, 'Coming changes');
  if (coming.items === null) {
    assert.equal(coming.next, 'No change is announced.', 'with nothing announced, "Coming changes" should say "No change is announced."');
  }
  const versionsHeading = main.getByRole('heading', { name: 'Versions of the privacy notice', exact: true, level: 2 });
  assert.equal(await versionsHeading.count(), 1, 'the changelog should have a "Versions of the privacy notice" heading');
  const sections = main.getByRole('region', { name: /^Version \d+, in effect from / });
  const versions = [];
  for (let i = 0; i < (await sections.count()); i++) {
    const section = sections.nth(i);
    const heading = normalise(await section.locator('h3').textContent());
    const body = normalise(await section.evaluate((s) => [...s.children].filter((c) => c.tagName !== 'H3').map((c) => c.textContent).join(' ')));
    versions.push({ heading, body });
  }
  assert.ok(versions.length >= 1, 'the changelog should list at least the first version of the notice');
  const notice = main.getByRole('link', { name: 'The privacy notice', exact: true });
  assert.equal(await notice.count(), 1, 'the changelog should link back to the privacy notice');
  assert.equal(await notice.getAttribute('href'), '/privacy');
  return { upcoming: coming.items ?? [], versions };
}

/**
 * The banner that announces a change to the privacy notice: role=note,
 * between the header and main, linking to the changelog. Returns its text and
 * link, or null when the page has none.
 */
export async function noticeBanner(page) {
  const notes = page.locator('[role="note"]:not(main [role="note"])');
  const count = await notes.count();
  if (count === 0) return null;
  assert.equal(count, 1, `expected at most one change banner on ${page.url()}`);
  const banner = notes.first();
  const placed = await banner.evaluate((el) => {
    const main = document.querySelector('main');
    const header = document.querySelector('header');
    return {
      beforeMain: !!(el.compareDocumentPosition(main) & Node.DOCUMENT_POSITION_FOLLOWING),
      afterHeader: !!(header.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) && !header.contains(el),
    };
  });
  assert.ok(placed.afterHeader && placed.beforeMain, `the change banner should come after the header and before main on ${page.url()}`);
  const link = banner.getByRole('link', { name: 'See what changes', exact: true });
  assert.equal(await link.count(), 1, `the change banner should have a "See what changes" link on ${page.url()}`);
  assert.equal(await link.getAttribute('href'), '/privacy/changes', 'the banner should link to the changelog');
  return { text: normalise(await banner.textContent()), link };
}

/** The banner, which must be there and name `date`. Returns its link. */
export async function expectNoticeBanner(page, date) {
  const banner = await noticeBanner(page);
  assert.ok(banner, `a signed-in person should see the change banner on ${page.url()}`);
  assert.equal(banner.text, `How Lyceum uses personal data changes on ${date}. See what changes.`, `the banner on ${page.url()}`);
  return banner.link;
}

export async function expectNoNoticeBanner(page) {
  const banner = await noticeBanner(page);
  assert.equal(banner, null, `expected no change banner on ${page.url()}; it says "${banner?.text}"`);
}

/**
 * "What we hold about you" (/me/privacy). Returns the text of its "A breach
 * affected your data" section, or null when it has none.
 */
export async function expectPrivacyDashboard(page) {
  await expectPath(page, '/me/privacy');
  await expectHeading(page, 'What we hold about you');
  const section = page.locator('main').getByRole('region', { name: 'A breach affected your data', exact: true });
  if ((await section.count()) === 0) return null;
  assert.equal(await section.count(), 1, 'expected at most one "A breach affected your data" section');
  return normalise(await section.textContent());
}
