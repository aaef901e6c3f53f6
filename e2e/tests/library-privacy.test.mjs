// What a card sign-in leaves behind: on a shared computer, nothing that
// outlives the browser (a session cookie, the idle sign-out script, no
// remembered card number); on the patron's own device, a cookie that lasts;
// and on the server, never the card number or the PIN, in any file of the
// data directory, the SQLite write-ahead log included.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expectStatus, normalise } from '../lib/flows.mjs';
import { librarySuite, PATRONS, RIVERSIDE } from '../lib/library.mjs';
import {
  expectLearnPage,
  expectLibraryPage,
  fillCardSignIn,
  onlySessionCookie,
  openMyData,
  signInWithCard,
  signOutPatron,
} from '../lib/patrons.mjs';

const { lyceumTest } = librarySuite();

/** Whether the current document loaded /static/idle.js, and its idle time. */
function idleScript(page) {
  return page.evaluate(() => ({
    tags: document.querySelectorAll('script[src="/static/idle.js"]').length,
    loaded: performance
      .getEntriesByType('resource')
      .some((e) => new URL(e.name).pathname === '/static/idle.js'),
    idleSeconds: document.body.getAttribute('data-idle-seconds'),
  }));
}

/** Every regular file under `dir`, as paths. */
async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

lyceumTest('on a shared computer the cookie ends with the browser and the idle script runs; on their own device the cookie lasts', async ({ newVisitor }) => {
  // Scenario: the same patron signs in at a library's public computer, then at home on their own laptop.
  const publicComputer = await newVisitor();
  const { page } = publicComputer;
  await publicComputer.goto(`/libraries/${RIVERSIDE.slug}`);
  const form = await expectLibraryPage(page, RIVERSIDE);
  for (const [name, field] of Object.entries(form.fields)) {
    assert.equal(await field.getAttribute('autocomplete'), 'off', `the ${name} field must not be remembered by the browser`);
  }
  await fillCardSignIn(form, PATRONS.valid, { shared: true });
  await expectStatus(await publicComputer.follow(() => form.submit.click()), 200);
  await expectLearnPage(page, RIVERSIDE);

  const shared = await onlySessionCookie(publicComputer);
  assert.equal(shared.expires, -1, `on a shared computer the session cookie must end with the browser; it expires at ${shared.expires}`);
  const idle = await idleScript(page);
  assert.equal(idle.tags, 1, 'a shared computer\'s pages should include <script src="/static/idle.js">');
  assert.ok(idle.loaded, 'the browser should have loaded /static/idle.js');
  assert.match(String(idle.idleSeconds), /^[1-9]\d*$/, `<body data-idle-seconds> should be a positive number of seconds, it is ${idle.idleSeconds}`);
  const script = await publicComputer.context.request.get('/static/idle.js');
  await expectStatus(script, 200);
  assert.match(script.headers()['content-type'] ?? '', /javascript/, '/static/idle.js should be served as JavaScript');
  assert.ok(
    normalise(await page.locator('main').textContent()).includes('This is a shared computer'),
    'the learn page should remind the patron that this is a shared computer',
  );
  // Every page of the visit keeps the idle sign-out, not just the first.
  await openMyData(publicComputer, RIVERSIDE);
  assert.equal((await idleScript(page)).tags, 1, 'My data on a shared computer should include the idle script too');
  await signOutPatron(publicComputer);

  const ownDevice = await newVisitor();
  await signInWithCard(ownDevice, RIVERSIDE, PATRONS.valid, { shared: false });
  const kept = await onlySessionCookie(ownDevice);
  assert.ok(
    kept.expires > Date.now() / 1000 + 60,
    `on the patron's own device the session cookie should have an expiry; it has ${kept.expires}`,
  );
  const noIdle = await idleScript(ownDevice.page);
  assert.equal(noIdle.tags, 0, 'the patron\'s own device needs no idle sign-out script');
  assert.equal(noIdle.idleSeconds, null, 'the patron\'s own device has no data-idle-seconds');
  await signOutPatron(ownDevice);
});

lyceumTest('after a patron signs in, opens My data and signs out, no file in the data directory holds their card number or PIN', async ({ newVisitor, server }) => {
  // Scenario: a patron's whole visit, then every byte the server keeps on disk is searched for the card and the PIN.
  const visitor = await newVisitor();
  await signInWithCard(visitor, RIVERSIDE, PATRONS.valid);
  await openMyData(visitor, RIVERSIDE);
  await signOutPatron(visitor);

  const files = await filesUnder(server.dataDir);
  const names = files.map((f) => path.relative(server.dataDir, f));
  assert.ok(names.includes('lyceum.db'), `the data directory should hold lyceum.db; it holds ${names.join(', ')}`);
  // The card number as typed, and the PIN as the SIP2 request carries it (field AD).
  const secrets = [PATRONS.valid.card, `AD${PATRONS.valid.pin}`];
  const found = [];
  let sawLibraryName = false;
  for (const file of files) {
    const bytes = await readFile(file);
    for (const secret of secrets) {
      if (bytes.includes(Buffer.from(secret, 'utf8'))) found.push(`${secret} in ${path.relative(server.dataDir, file)}`);
    }
    if (bytes.includes(Buffer.from(RIVERSIDE.name, 'utf8'))) sawLibraryName = true;
  }
  // The search must be able to find plain text at all: the library's name is stored as it is.
  assert.ok(sawLibraryName, `the search should find "${RIVERSIDE.name}" somewhere in ${names.join(', ')}`);
  assert.deepEqual(found, [], `the card number or PIN was written to disk: ${found.join('; ')}`);
  for (const secret of secrets) {
    assert.ok(!server.stderr().includes(secret), `the server's log should not contain ${secret}`);
  }
});
