// Patron sign-in through the library's own sign-in page (OpenID Connect):
// the operator points the library at its provider from the settings page and
// switches "Patron sign-in" to it; a patron then presses "Sign in with your
// library account", continues on the provider's page and comes back signed in
// as a guest. Lyceum asks for the `openid` scope only, proves the code with
// PKCE and its client secret, and says plainly when the provider is down.
//
// The server has an operator and Northside Library, made on the command line;
// the test OpenID provider (lib/oidc-provider.mjs) runs beside it. Lyceum
// reuses a provider's discovery document once fetched, so the "provider is
// down" test runs before any sign-in has fetched it.

import assert from 'node:assert/strict';
import { expectHeading, expectPath, expectStatus, normalise, signIn } from '../lib/flows.mjs';
import { NORTHSIDE, OPERATOR, oidcLibrarySuite } from '../lib/library.mjs';
import { OIDC_CLIENT, PROVIDER_NAME } from '../lib/oidc-provider.mjs';
import {
  expectLearnPage,
  expectNoPatronSession,
  expectOidcLibraryPage,
  expectProblem,
  onlySessionCookie,
  openMyData,
  signOutPatron,
} from '../lib/patrons.mjs';
import {
  expectGeneralSettingsSection,
  expectLibrarySettingsPage,
  expectNotice,
  expectOidcSection,
  openLibrarySettings,
} from '../lib/staff.mjs';

const { lyceumTest, provider } = oidcLibrarySuite();
const OIDC_OPTION = 'Our own sign-in page (OpenID Connect)';

lyceumTest('the operator points the library at its OpenID Connect provider and switches patron sign-in to it, from the settings page', async ({ newVisitor }) => {
  // Scenario: the operator opens Northside's settings, saves the provider's issuer, client id and secret, then chooses it under "Patron sign-in".
  const visitor = await newVisitor();
  const { page } = visitor;
  await signIn(visitor, OPERATOR);
  await openLibrarySettings(visitor, NORTHSIDE);
  const oidc = await expectOidcSection(page, NORTHSIDE);
  await oidc.fields.issuer.fill(provider.base);
  await oidc.fields.client_id.fill(OIDC_CLIENT.id);
  await oidc.fields.client_secret.fill(OIDC_CLIENT.secret);
  await expectStatus(await visitor.follow(() => oidc.submit.click()), 200);
  await expectLibrarySettingsPage(page, NORTHSIDE);
  await expectNotice(page, 'OpenID Connect provider saved.');
  const saved = await expectOidcSection(page, NORTHSIDE);
  assert.equal(await saved.fields.issuer.inputValue(), provider.base, 'the saved issuer should be shown');
  assert.equal(await saved.fields.client_id.inputValue(), OIDC_CLIENT.id, 'the saved client id should be shown');
  assert.equal(await saved.fields.client_secret.inputValue(), '', 'the client secret must never be sent back to the browser');
  assert.ok(!(await page.content()).includes(OIDC_CLIENT.secret), 'the client secret must not appear anywhere in the page');

  const general = await expectGeneralSettingsSection(page, NORTHSIDE);
  await general.authMethod.selectOption({ label: OIDC_OPTION });
  await expectStatus(await visitor.follow(() => general.submit.click()), 200);
  await expectLibrarySettingsPage(page, NORTHSIDE);
  await expectNotice(page, 'Settings saved.');
  assert.equal(await page.locator('main .error-summary').count(), 0, 'saving the settings should raise no problem');
  const now = await expectGeneralSettingsSection(page, NORTHSIDE);
  assert.equal(await now.authMethod.inputValue(), 'oidc', `"Patron sign-in" should now be "${OIDC_OPTION}"`);
  const audit = normalise(await page.locator('main section').filter({ hasText: 'Recent changes' }).textContent());
  assert.ok(audit.includes('Changed the OpenID Connect provider'), `"Recent changes" should record the provider change; it says "${audit}"`);
});

lyceumTest('when the library\'s sign-in service does not answer, the patron is told so on the library page with 503', async ({ newVisitor }) => {
  // Scenario: the provider is down when a patron presses "Sign in with your library account".
  const visitor = await newVisitor();
  const { page } = visitor;
  await provider.stop();
  try {
    await expectStatus(await visitor.goto(`/libraries/${NORTHSIDE.slug}`), 200);
    const form = await expectOidcLibraryPage(page, NORTHSIDE);
    await expectStatus(await visitor.follow(() => form.submit.click()), 503);
    // The library's own page with its button, not a bare error page.
    await expectOidcLibraryPage(page, NORTHSIDE, { at: `/libraries/${NORTHSIDE.slug}/oidc/start` });
    await expectProblem(page, 'Temporarily unavailable', ['sign-in service is not answering']);
    await expectNoPatronSession(visitor);
  } finally {
    await provider.start();
  }
  assert.deepEqual(provider.authorizations, [], 'nobody reached the provider while it was down');
});

lyceumTest('"Sign in with your library account" takes the patron to their library\'s sign-in page in a browser that enforces Lyceum\'s own security policy', async ({ newVisitor }) => {
  // Scenario: a patron on the library's page presses the button; the browser should follow Lyceum's redirect to the provider.
  const visitor = await newVisitor();
  const { page } = visitor;
  await expectStatus(await visitor.goto(`/libraries/${NORTHSIDE.slug}`), 200);
  const form = await expectOidcLibraryPage(page, NORTHSIDE);
  // Browsers apply the page's form-action to where a submission is
  // redirected: the library page must name its provider's origin.
  await expectStatus(await visitor.follow(() => form.submit.click()), 200);
  assert.equal(new URL(page.url()).origin, provider.base, `the patron should be at the provider, not at ${page.url()}`);
  await expectHeading(page, `Sign in at ${PROVIDER_NAME}`);
});

lyceumTest('from the sign-in start address, a patron signs in at their library\'s provider, Lyceum asking for the openid scope only, and sees My data', async ({ newVisitor, server }) => {
  // Scenario: a patron's browser goes where the button's form sends it (shared computer: yes), they press Continue at Northside, and come back signed in.
  const visitor = await newVisitor();
  const { page } = visitor;
  const askedBefore = provider.authorizations.length;
  const tokensBefore = provider.tokens.length;
  // The address the form of "Sign in with your library account" sends the browser to, opened directly (see the test before).
  await expectStatus(await visitor.goto(`/libraries/${NORTHSIDE.slug}/oidc/start?shared_computer=yes`), 200);
  assert.equal(new URL(page.url()).origin, provider.base, `the patron should be at the provider, not at ${page.url()}`);
  await expectPath(page, '/authorize');
  await expectHeading(page, `Sign in at ${PROVIDER_NAME}`);
  assert.equal(provider.authorizations.length, askedBefore + 1, 'Lyceum should have sent the patron to the provider once');
  const asked = provider.authorizations.at(-1);
  assert.equal(asked.scope, 'openid', `Lyceum should ask for the openid scope only, it asked for "${asked.scope}"`);
  assert.equal(asked.client_id, OIDC_CLIENT.id);
  assert.equal(asked.code_challenge_method, 'S256', 'Lyceum should use PKCE with S256');
  assert.equal(asked.redirect_uri, `${server.url}/libraries/${NORTHSIDE.slug}/oidc/callback`, 'the return address');

  const proceed = page.locator('main').getByRole('button', { name: 'Continue', exact: true });
  await expectStatus(await visitor.follow(() => proceed.click()), 200);
  await expectLearnPage(page, NORTHSIDE);
  assert.deepEqual(provider.refusals, [], 'the provider should have refused nothing (code, PKCE verifier, client secret)');
  assert.equal(provider.tokens.length, tokensBefore + 1, 'Lyceum should have exchanged the code for tokens once');
  assert.equal(provider.tokens.at(-1).scope, 'openid', 'the tokens were issued for the openid scope only');
  assert.ok(
    normalise(await page.locator('main').textContent()).includes('This is a shared computer'),
    'the "shared computer" choice should survive the trip through the provider',
  );
  const cookie = await onlySessionCookie(visitor);
  assert.equal(cookie.expires, -1, `on a shared computer the session cookie must end with the browser; it expires at ${cookie.expires}`);

  await openMyData(visitor, NORTHSIDE);
  await signOutPatron(visitor);
  await expectNoPatronSession(visitor);
});
