// "Forgot your password?" in a real browser: a member who forgot their
// password asks for a link on the sign-in page, reads the email at the
// mail relay, opens the link, chooses a new password (a weak one is refused
// first, with the field marked) and signs in with it; the old link does not
// work again. The mail relay is a small SMTP server in this process, named
// in lyceum.toml as a recipient like any other.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lyceumSuite } from '../lib/harness.mjs';
import { createOperator } from '../lib/library.mjs';
import {
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectPath,
  expectSignedInAs,
  labelledField,
  mainButton,
  person,
  signOut,
  signUp,
  skipBrowserValidation,
} from '../lib/flows.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const sink = await startSmtpSink();
after(() => sink.close());

const lyceumTest = lyceumSuite({
  setup: async (dataDir) => {
    await createOperator(dataDir);
    const toml = [
      '[[privacy.recipients]]',
      'key = "mail-relay"',
      'name = "Test Mail Relay"',
      'country = "Ireland"',
      'purpose = "Delivering security emails and password-reset links"',
      '',
      '[mail]',
      `smtp_url = "smtp://127.0.0.1:${sink.port}"`,
      'from = "Lyceum <lyceum@library.test>"',
      'relay = "mail-relay"',
    ].join('\n');
    await writeFile(path.join(dataDir, 'lyceum.toml'), `${toml}\n`);
  },
});

const dora = person('dora', 'Dora Forgetful');
const NEW_PASSWORD = 'a completely new passphrase';

lyceumTest('a member who forgot their password sets a new one through an emailed link', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, dora);
  await signOut(visitor);

  // From the sign-in page.
  await visitor.goto('/signin');
  await visitor.follow(() => visitor.page.getByRole('link', { name: 'Forgot your password?' }).click());
  await expectPath(visitor.page, '/password/forgot');
  await expectHeading(visitor.page, 'Forgot your password?');
  const email = await labelledField(visitor.page, 'email', 'Email address');
  await email.fill(dora.email);
  await visitor.follow(async () => (await mainButton(visitor.page, 'Send me a link')).click());
  await expectHeading(visitor.page, 'Check your email');
  assert.match(await visitor.page.locator('main').innerText(), /If an account uses that address/);

  // The email at the relay.
  const mail = await sink.waitFor((m) => m.headers.subject === 'Set a new Lyceum password');
  assert.ok(mail.to.some((to) => to.includes(dora.email)), `sent to ${dora.email}: ${mail.to}`);
  const link = mail.body.match(/https?:\/\/[^\s]+\/password\/reset\/([0-9a-f]{64})/);
  assert.ok(link, `the email has a reset link:\n${mail.body}`);
  const resetPath = `/password/reset/${link[1]}`;

  // A weak password is refused with the field marked; a good one is saved.
  await visitor.goto(resetPath);
  await expectHeading(visitor.page, 'Choose a new password');
  await skipBrowserValidation(visitor.page);
  const password = await labelledField(visitor.page, 'password', 'New password');
  await password.fill('short');
  await visitor.follow(async () => (await mainButton(visitor.page, 'Save the new password')).click());
  await expectErrorSummary(visitor.page);
  await expectFieldError(visitor.page, 'password', /12 characters/);
  await (await labelledField(visitor.page, 'password', 'New password')).fill(NEW_PASSWORD);
  await visitor.follow(async () => (await mainButton(visitor.page, 'Save the new password')).click());
  await expectPath(visitor.page, '/signin');
  assert.match(await visitor.page.locator('main').innerText(), /Your new password is saved/);

  // The new password signs in.
  await (await labelledField(visitor.page, 'email', 'Email address')).fill(dora.email);
  await (await labelledField(visitor.page, 'password', 'Password')).fill(NEW_PASSWORD);
  await visitor.follow(async () => (await mainButton(visitor.page, 'Sign in')).click());
  await expectSignedInAs(visitor.page, dora);

  // The owner is told, and the link is used up.
  await sink.waitFor((m) => m.headers.subject === 'Your Lyceum password was changed');
  const again = await newVisitor();
  const response = await again.goto(resetPath);
  assert.equal(response.status(), 404);
  await expectHeading(again.page, 'This link does not work any more');
});
