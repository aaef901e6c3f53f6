// The privacy notice says which version it is and since when, and links to
// the privacy changelog, which keeps every version and what each changed.
// On a fresh instance with nothing announced, the notice is version 1, the
// changelog announces nothing, and nobody sees a banner.
//
// The server has the operator, made on the command line, and no lyceum.toml.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import { expectStatus, person, signUp } from '../lib/flows.mjs';
import { createOperator } from '../lib/library.mjs';
import {
  dateInWords,
  expectNoNoticeBanner,
  expectPrivacyChangelog,
  expectPrivacyNotice,
} from '../lib/privacy.mjs';
import { followMainLink } from '../lib/staff.mjs';

const lyceumTest = lyceumSuite({ setup: createOperator });

/** Follows the footer's link to the privacy notice. */
async function followFooterToNotice(visitor) {
  const link = visitor.page.locator('footer').getByRole('link', { name: 'How Lyceum uses personal data', exact: true });
  assert.equal(await link.count(), 1, `the footer should link to the privacy notice on ${visitor.page.url()}`);
  await expectStatus(await visitor.follow(() => link.click()), 200);
}

lyceumTest('the notice says it is version 1 and links to the changelog, which announces nothing and calls version 1 the first', async ({ newVisitor }) => {
  // Scenario: a visitor of a fresh instance opens the privacy notice from the footer, then "See every change".
  const visitor = await newVisitor();
  const { page } = visitor;
  const today = dateInWords();
  await visitor.goto('/');
  await followFooterToNotice(visitor);
  const notice = await expectPrivacyNotice(page);
  assert.equal(notice.version, 1, 'a fresh instance\'s notice is version 1');
  assert.ok([today, dateInWords()].includes(notice.since), `version 1 should be in effect since today (${today}), not ${notice.since}`);
  assert.deepEqual(notice.upcoming, [], 'nothing is announced, so the notice should have no "Coming changes" box');
  assert.equal(notice.recipientsSaid, 'This instance sends personal data to no one outside it.');
  await expectNoNoticeBanner(page);

  await expectStatus(await followMainLink(visitor, 'See every change', '/privacy/changes'), 200);
  const changelog = await expectPrivacyChangelog(page);
  assert.deepEqual(changelog.upcoming, [], 'nothing is announced on a fresh instance');
  assert.equal(changelog.versions.length, 1, `there should be one version; the changelog lists ${JSON.stringify(changelog.versions)}`);
  const [first] = changelog.versions;
  assert.match(first.heading, /^Version 1, in effect from \d{1,2} \w+ \d{4} \d\d:\d\d UTC$/);
  assert.ok(first.heading.includes(notice.since), `version 1 should be in effect from ${notice.since}: "${first.heading}"`);
  assert.equal(first.body, 'The first version.');
  await expectNoNoticeBanner(page);

  await expectStatus(await followMainLink(visitor, 'The privacy notice', '/privacy'), 200);
  assert.equal((await expectPrivacyNotice(page)).version, 1);
});

lyceumTest('reading the notice again, signed in, makes no new version and shows no banner', async ({ newVisitor }) => {
  // Scenario: a member signs up and opens the notice and the changelog; nothing changed, so nothing is new.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, person('nia', 'Nia Member'));
  await expectNoNoticeBanner(page);
  await followFooterToNotice(visitor);
  const notice = await expectPrivacyNotice(page);
  assert.equal(notice.version, 1, 'an unchanged notice stays version 1');
  await expectNoNoticeBanner(page);
  await expectStatus(await followMainLink(visitor, 'See every change', '/privacy/changes'), 200);
  const changelog = await expectPrivacyChangelog(page);
  assert.deepEqual(changelog.upcoming, []);
  assert.deepEqual(changelog.versions.map((v) => v.body), ['The first version.'], 'still one version');
  await expectNoNoticeBanner(page);
});
