// A library patron's rights on "My data", without an account: to object to
// the library's usage statistics and withdraw the objection (GDPR Art. 21),
// and to download everything kept about them (Art. 15 and 20) as a ZIP of
// JSON files and a page they can read offline, which never holds their card
// number.
//
// The server has an operator and Riverside Public Library, made on the
// command line, and the library checks cards against the SIP2 test server.
// This file uses the valid card twice (8 tries per 15 minutes).

import assert from 'node:assert/strict';
import { expectStatus, normalise } from '../lib/flows.mjs';
import { librarySuite, PATRONS, RIVERSIDE } from '../lib/library.mjs';
import { expectMyDataPage, NOT_OBJECTING_TEXT, openMyData, signInWithCard, signOutPatron } from '../lib/patrons.mjs';
import { expectNotice } from '../lib/staff.mjs';
import { downloadArchive, expectReadableIndex, jsonFile } from '../lib/zip.mjs';

const { lyceumTest } = librarySuite();
const LEDGER_RECIPIENT = `${RIVERSIDE.name}'s card system`;

/** The address the browser is at, path and query. */
function pathAndQuery(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

lyceumTest('a patron objects to the usage statistics from My data, is told it is recorded, and withdraws the objection again', async ({ newVisitor }) => {
  // Scenario: a patron signs in with their card, opens My data, objects, comes back later, then withdraws.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  const before = await openMyData(visitor, RIVERSIDE);
  assert.equal(before.objection.objected, false, 'a patron does not object until they say so');
  assert.ok(before.objection.text.includes(NOT_OBJECTING_TEXT));
  assert.equal(await page.locator('main [role="status"]').count(), 0, 'My data opened from the nav shows no notice');

  await expectStatus(await visitor.follow(() => before.objection.button.click()), 200);
  assert.equal(pathAndQuery(page), '/my-data?done=objected', 'objecting should redirect to /my-data?done=objected');
  const objected = await expectMyDataPage(page, RIVERSIDE);
  await expectNotice(page, 'Your objection is recorded: ');
  assert.equal(objected.objection.objected, true, `after objecting, the section should say so; it says "${objected.objection.text}"`);
  assert.equal(normalise(await objected.objection.button.textContent()), 'Withdraw my objection');

  // The objection is kept, not just shown once.
  await expectStatus(await visitor.goto('/my-data'), 200);
  const later = await expectMyDataPage(page, RIVERSIDE);
  assert.equal(later.objection.objected, true, 'the objection should still be there when My data is opened again');
  assert.equal(await page.locator('main [role="status"]').count(), 0, 'the notice belongs to the redirect, not to every visit');

  await expectStatus(await visitor.follow(() => later.objection.button.click()), 200);
  assert.equal(pathAndQuery(page), '/my-data?done=withdrawn', 'withdrawing should redirect to /my-data?done=withdrawn');
  const withdrawn = await expectMyDataPage(page, RIVERSIDE);
  assert.equal(await expectNotice(page), 'Your objection is withdrawn.');
  assert.equal(withdrawn.objection.objected, false, 'after withdrawing, the patron no longer objects');
  assert.ok(withdrawn.objection.text.includes(NOT_OBJECTING_TEXT));
  await signOutPatron(visitor);
});

lyceumTest('a patron downloads their data from My data: a ZIP naming their library and what is never kept, with a readable page, and no card number', async ({ newVisitor }) => {
  // Scenario: a patron signs in with their card, opens My data, presses "Download your data" and opens the archive.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  const { download } = await openMyData(visitor, RIVERSIDE);

  const { filename, bytes, files } = await downloadArchive(page, download);
  assert.match(filename, /^lyceum-export-\d{4}-\d{2}-\d{2}\.zip$/);
  for (const name of ['account.json', 'data/guests.json', 'recipients.json', 'index.html']) {
    assert.ok(files.has(name), `the archive should contain ${name}; it holds ${[...files.keys()].join(', ')}`);
  }

  const account = jsonFile(files, 'account.json');
  assert.equal(account.library, RIVERSIDE.name, `account.json should name the library; it says ${JSON.stringify(account)}`);
  assert.ok(Array.isArray(account.not_kept), `account.json should list what is not kept; it says ${JSON.stringify(account)}`);
  assert.ok(account.not_kept.includes('your library card number'), `"not_kept" should name the card number: ${JSON.stringify(account.not_kept)}`);
  const guests = jsonFile(files, 'data/guests.json');
  assert.equal(guests.rows?.length, 1, `data/guests.json should hold the one guest record: ${JSON.stringify(guests)}`);
  const recipients = jsonFile(files, 'recipients.json');
  assert.ok(
    Array.isArray(recipients) && recipients.some((r) => JSON.stringify(r).includes(LEDGER_RECIPIENT)),
    `recipients.json should list the card check by ${LEDGER_RECIPIENT}: ${JSON.stringify(recipients)}`,
  );

  // Every entry is stored uncompressed, so the raw bytes are every file's text.
  assert.ok(!bytes.includes(Buffer.from(PATRONS.valid.card)), 'the archive must not contain the card number');

  const index = await expectReadableIndex(visitor, files);
  assert.ok(index.includes('Your data from Lyceum'), `index.html should be headed "Your data from Lyceum"; it says "${index.slice(0, 200)}"`);
  assert.ok(index.includes(LEDGER_RECIPIENT), `index.html should show who received data (${LEDGER_RECIPIENT})`);
  await signOutPatron(visitor);
});
