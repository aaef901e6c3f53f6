// A recipient the operator announces before it takes effect: its lyceum.toml
// names Example SMS Gateway from 1 January 2099. Until then nothing is sent
// to it, so the notice stays version 1, but the change is announced: on the
// changelog, in a "Coming changes" box on the notice, and in a banner on
// every page for people who are signed in (and only for them).
//
// The server has the operator, made on the command line, and a lyceum.toml
// in its data directory announcing the recipient.

import assert from 'node:assert/strict';
import { expectPath, expectStatus, mainNav, person, signUp } from '../lib/flows.mjs';
import {
  announcedRecipientsSuite,
  expectNoNoticeBanner,
  expectNoticeBanner,
  expectPrivacyChangelog,
  expectPrivacyDashboard,
  expectPrivacyNotice,
  SMS_GATEWAY,
} from '../lib/privacy.mjs';
import { followMainLink } from '../lib/staff.mjs';

const lyceumTest = announcedRecipientsSuite([SMS_GATEWAY]);
const WHAT_CHANGES = `${SMS_GATEWAY.name} (${SMS_GATEWAY.country}) will receive personal data: ${SMS_GATEWAY.purpose}`;
// The notice and the changelog announce it in the same words.
const ANNOUNCED = `From ${SMS_GATEWAY.fromInWords}: ${WHAT_CHANGES}. Until then nothing is sent to them.`;

lyceumTest('a signed-in member sees on every page that the notice changes on 1 January 2099, and the changelog says what changes', async ({ newVisitor }) => {
  // Scenario: a member signs up, walks through their pages, follows the banner, then opens the notice.
  const visitor = await newVisitor();
  const { page } = visitor;
  await signUp(visitor, person('mo', 'Mo Member'));
  await expectNoticeBanner(page, SMS_GATEWAY.fromInWords);
  for (const name of ['Your choices', 'Security']) {
    const link = mainNav(page).getByRole('link', { name, exact: true });
    await expectStatus(await visitor.follow(() => link.click()), 200);
    await expectNoticeBanner(page, SMS_GATEWAY.fromInWords);
  }
  await expectStatus(await visitor.goto('/me'), 200);
  await expectStatus(await followMainLink(visitor, 'What we hold about you, and why', '/me/privacy'), 200);
  await expectPrivacyDashboard(page);
  const bannerLink = await expectNoticeBanner(page, SMS_GATEWAY.fromInWords);

  await expectStatus(await visitor.follow(() => bannerLink.click()), 200);
  const changelog = await expectPrivacyChangelog(page);
  await expectNoticeBanner(page, SMS_GATEWAY.fromInWords);
  assert.deepEqual(changelog.upcoming, [ANNOUNCED]);
  // Not in effect yet, so the notice itself has not changed.
  assert.deepEqual(changelog.versions.map((v) => v.body), ['The first version.']);

  await expectStatus(await followMainLink(visitor, 'The privacy notice', '/privacy'), 200);
  const notice = await expectPrivacyNotice(page);
  await expectNoticeBanner(page, SMS_GATEWAY.fromInWords);
  assert.equal(notice.version, 1, 'a recipient not yet in effect does not change the notice\'s version');
  assert.deepEqual(notice.upcoming, [ANNOUNCED], 'the notice should announce the change in its "Coming changes" box');
  assert.equal(
    notice.recipientsSaid,
    'This instance sends personal data to no one outside it.',
    `until ${SMS_GATEWAY.fromInWords}, ${SMS_GATEWAY.name} is not a recipient`,
  );
});

lyceumTest('a visitor who is not signed in sees no banner, but the notice and the changelog announce the change to them too', async ({ newVisitor }) => {
  // Scenario: someone who has no account opens the home page, the sign-in page, the notice and the changelog.
  const visitor = await newVisitor();
  const { page } = visitor;
  for (const path of ['/', '/signin', '/privacy']) {
    await expectStatus(await visitor.goto(path), 200);
    await expectPath(page, path);
    await expectNoNoticeBanner(page);
  }
  const notice = await expectPrivacyNotice(page);
  assert.deepEqual(notice.upcoming, [ANNOUNCED]);
  await expectStatus(await followMainLink(visitor, 'See every change', '/privacy/changes'), 200);
  const changelog = await expectPrivacyChangelog(page);
  assert.deepEqual(changelog.upcoming, [ANNOUNCED]);
  await expectNoNoticeBanner(page);
});
