// A tiny OpenID provider for the tests (node:http, nothing else): discovery,
// an authorization page with one "Continue" button, and a token endpoint that
// checks the code, PKCE (S256), the client id and the client secret, and
// answers with an unsigned ID token (Lyceum takes the ID token from the
// token endpoint's direct response and does not check a signature).
//
// It records what Lyceum asked for (`authorizations`: each /authorize query),
// what it gave out (`tokens`), and every request it refused (`refusals`), so a
// test can assert the scope asked and that nothing was refused on the way.
//
// Its one HTML page has the skeleton every page of the suite is checked for
// (skip link, header with the main navigation, main, footer), so the harness's
// axe check of every page visited holds on it too.

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export const OIDC_CLIENT = { id: 'lyceum', secret: 's3cret' };
export const OIDC_SUBJECT = 'pairwise-123';
export const PROVIDER_NAME = 'Northside';

const CODE_LIFETIME_MS = 60_000;

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req) {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk;
  return body;
}

function sendJson(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

function sendHtml(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,">
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
header, main, footer { padding: 1rem 2rem; }
header { background: #1f3a5f; color: #fff; }
header a { color: #fff; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; color: #1a1a1a; }
button { font: inherit; padding: 0.5rem 1rem; background: #1f3a5f; color: #fff; border: 0; }
:focus { outline: 3px solid #f5a623; outline-offset: 2px; }
</style></head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header><nav aria-label="Main"><ul><li><a href="/">${escapeHtml(PROVIDER_NAME)} accounts</a></li></ul></nav></header>
<main id="main" tabindex="-1">
${body}
</main>
<footer><p>The test identity provider of the Lyceum browser suite.</p></footer>
</body>
</html>`);
}

/** The query parameters /authorize requires, checked; returns the problems found. */
function checkAuthorize(q) {
  const problems = [];
  if (q.get('response_type') !== 'code') problems.push(`response_type is ${q.get('response_type')}, not code`);
  if (q.get('client_id') !== OIDC_CLIENT.id) problems.push(`client_id is ${q.get('client_id')}`);
  for (const name of ['redirect_uri', 'state', 'nonce', 'code_challenge']) {
    if (!q.get(name)) problems.push(`${name} is missing`);
  }
  if (q.get('code_challenge_method') !== 'S256') problems.push(`code_challenge_method is ${q.get('code_challenge_method')}, not S256`);
  return problems;
}

export class OidcProvider {
  constructor() {
    this.port = undefined;
    this.server = undefined;
    this.codes = new Map();
    this.authorizations = [];
    this.tokens = [];
    this.refusals = [];
  }

  /** The issuer: http://127.0.0.1:PORT, no trailing slash. */
  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  get running() {
    return !!this.server;
  }

  /** Starts on a free port the first time, on the same port after a stop. */
  async start() {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.refusals.push(`${req.method} ${req.url}: ${err.message}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.end();
      });
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port ?? 0, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    this.port = server.address().port;
    this.server = server;
  }

  /** Stops listening and drops open connections: the provider is then down. */
  async stop() {
    const { server } = this;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  refuse(res, status, what, error) {
    this.refusals.push(what);
    sendJson(res, status, { error, error_description: what });
  }

  async handle(req, res) {
    const url = new URL(req.url, this.base);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer: this.base,
        authorization_endpoint: `${this.base}/authorize`,
        token_endpoint: `${this.base}/token`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (route === 'GET /authorize') return this.authorizePage(url.searchParams, res);
    if (route === 'POST /authorize/approve') {
      const form = new URLSearchParams(await readBody(req));
      return this.approve(form, res);
    }
    if (route === 'POST /token') return this.token(req, res);
    this.refuse(res, 404, `${route}: no such endpoint`, 'not_found');
  }

  authorizePage(q, res) {
    this.authorizations.push(Object.fromEntries(q));
    const problems = checkAuthorize(q);
    if (problems.length > 0) {
      this.refusals.push(`GET /authorize: ${problems.join('; ')}`);
      return sendHtml(res, 400, 'Sign-in request refused', `<h1>Sign-in request refused</h1><p>${escapeHtml(problems.join('; '))}</p>`);
    }
    const hidden = [...q]
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('\n  ');
    sendHtml(
      res,
      200,
      `Sign in at ${PROVIDER_NAME}`,
      `<h1>Sign in at ${PROVIDER_NAME}</h1>
<p>You are already signed in to your ${PROVIDER_NAME} library account. Continue to go back to Lyceum.</p>
<form method="post" action="/authorize/approve">
  ${hidden}
  <button type="submit">Continue</button>
</form>`,
    );
  }

  approve(form, res) {
    const problems = checkAuthorize(form);
    if (problems.length > 0) return this.refuse(res, 400, `POST /authorize/approve: ${problems.join('; ')}`, 'invalid_request');
    const code = b64url(randomBytes(24));
    this.codes.set(code, {
      clientId: form.get('client_id'),
      redirectUri: form.get('redirect_uri'),
      nonce: form.get('nonce'),
      challenge: form.get('code_challenge'),
      scope: form.get('scope'),
      expires: Date.now() + CODE_LIFETIME_MS,
    });
    const back = new URL(form.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', form.get('state'));
    res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  async token(req, res) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type !== 'application/x-www-form-urlencoded') {
      return this.refuse(res, 400, `POST /token: content-type is ${type}`, 'invalid_request');
    }
    const form = new URLSearchParams(await readBody(req));
    // Client authentication: client_secret_post, or client_secret_basic.
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id);
      clientSecret = decodeURIComponent(secret ?? '');
    }
    if (clientId !== OIDC_CLIENT.id || clientSecret !== OIDC_CLIENT.secret) {
      return this.refuse(res, 401, `POST /token: client ${clientId} with a wrong or missing secret`, 'invalid_client');
    }
    if (form.get('grant_type') !== 'authorization_code') {
      return this.refuse(res, 400, `POST /token: grant_type is ${form.get('grant_type')}`, 'unsupported_grant_type');
    }
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code); // A code is good once.
    if (!issued || issued.expires < Date.now()) {
      return this.refuse(res, 400, 'POST /token: unknown, used or expired code', 'invalid_grant');
    }
    if (issued.clientId !== clientId) return this.refuse(res, 400, 'POST /token: the code was issued to another client', 'invalid_grant');
    if (form.get('redirect_uri') !== issued.redirectUri) {
      return this.refuse(res, 400, `POST /token: redirect_uri ${form.get('redirect_uri')} is not ${issued.redirectUri}`, 'invalid_grant');
    }
    const verifier = form.get('code_verifier') ?? '';
    if (b64url(createHash('sha256').update(verifier, 'ascii').digest()) !== issued.challenge) {
      return this.refuse(res, 400, 'POST /token: the code_verifier does not match the code_challenge', 'invalid_grant');
    }
    const claims = {
      iss: this.base,
      sub: OIDC_SUBJECT,
      aud: OIDC_CLIENT.id,
      exp: Math.floor(Date.now() / 1000) + 300,
      iat: Math.floor(Date.now() / 1000),
      nonce: issued.nonce,
    };
    const idToken = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.sig`;
    this.tokens.push({ claims, scope: issued.scope });
    sendJson(res, 200, { id_token: idToken, token_type: 'Bearer', access_token: 'x', expires_in: 300 });
  }
}
