// A second person joins: sign-up (and its 12-character rule), the session
// cookie, sign-out, sign-in, and the one answer for bad credentials.
//
// The tests run in order and tell one story on one server: the operator sets
// Lyceum up, then Bea signs up, signs out and signs in again.

import assert from 'node:assert/strict';
import { lyceumSuite, SESSION_COOKIE } from '../lib/harness.mjs';
import {
  BAD_CREDENTIALS_MESSAGE,
  expectErrorSummary,
  expectFieldError,
  expectHeading,
  expectPath,
  expectSignInPage,
  expectSignUpPage,
  expectSignedInAs,
  expectSignedOut,
  expectSignedOutNav,
  expectStatus,
  person,
  setUpOperator,
  signIn,
  signOut,
  signUp,
  skipBrowserValidation,
  submitSignIn,
} from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');
const bea = person('bea', 'Bea Learner');

lyceumTest('the operator sets Lyceum up', async ({ newVisitor }) => {
  await setUpOperator(await newVisitor(), operator);
});

lyceumTest('a signed-out visitor finds sign-in and sign-up on the home page', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const response = await visitor.goto('/');
  await expectStatus(response, 200);
  await expectPath(visitor.page, '/');
  await expectHeading(visitor.page, /Lyceum/);
  await expectSignedOutNav(visitor.page);
});

lyceumTest('sign-up refuses a password shorter than 12 characters and says so', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;
  await visitor.goto('/signup');
  const { fields, submit } = await expectSignUpPage(page);
  await fields.email.fill(bea.email);
  await fields.display_name.fill(bea.displayName);
  await fields.password.fill('too short');
  await skipBrowserValidation(page);
  const response = await visitor.follow(() => submit.click());
  await expectStatus(response, 422);
  await expectPath(page, '/signup');
  await expectHeading(page, 'Create your account');
  await expectErrorSummary(page, [/12/]);
  await expectFieldError(page, 'password', /12/);
  // Nothing was created, so nobody is signed in.
  await expectSignedOut(visitor);
});

lyceumTest('a newcomer signs up, lands on their account page, and holds only the session cookie', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signUp(visitor, bea);

  const cookies = await visitor.context.cookies();
  assert.equal(cookies.length, 1, `expected exactly one cookie, got: ${cookies.map((c) => c.name).join(', ')}`);
  const [cookie] = cookies;
  assert.equal(cookie.name, SESSION_COOKIE);
  assert.equal(cookie.httpOnly, true, `${SESSION_COOKIE} must be HttpOnly`);
  assert.equal(cookie.sameSite, 'Lax', `${SESSION_COOKIE} must be SameSite=Lax`);
});

lyceumTest('signing out returns to the home page and ends the session', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await signIn(visitor, bea);
  await signOut(visitor);
  await expectHeading(visitor.page, /Lyceum/);
  await expectSignedOut(visitor);
});

lyceumTest('a member signs in and reaches their account page', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  await visitor.goto('/');
  const response = await submitSignIn(visitor, bea);
  await expectStatus(response, 200);
  await expectSignedInAs(visitor.page, bea);
  assert.equal((await visitor.context.cookies()).length, 1, 'signing in still leaves exactly one cookie');
});

lyceumTest('a wrong password and an unknown email get the same 401 answer', async ({ newVisitor }) => {
  const visitor = await newVisitor();
  const { page } = visitor;

  const wrongPassword = await submitSignIn(visitor, { email: bea.email, password: 'not the right password at all' });
  await expectStatus(wrongPassword, 401);
  await expectSignInPage(page);
  const wrongPasswordSummary = await expectErrorSummary(page, [BAD_CREDENTIALS_MESSAGE]);

  const unknownEmail = await submitSignIn(visitor, { email: 'nobody@example.test', password: bea.password });
  await expectStatus(unknownEmail, 401);
  await expectSignInPage(page);
  const unknownEmailSummary = await expectErrorSummary(page, [BAD_CREDENTIALS_MESSAGE]);

  assert.equal(unknownEmailSummary, wrongPasswordSummary, 'the two failures must not be told apart');
  await expectSignedOut(visitor);
});
