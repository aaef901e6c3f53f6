// The harness every test file uses: one Lyceum server and one Chromium per
// file, and a fresh browser context (a "visitor", one person at one browser)
// per person in a test.
//
// Three promises are kept for every test without the test having to remember
// them:
// - every page a visitor loads is checked with axe and for the shared page
//   skeleton (a test that navigates around the helpers fails at the end and
//   names the pages nobody checked);
// - every Set-Cookie the server sends is `lyceum_session`, HttpOnly and
//   SameSite=Lax (SPEC.md: one strictly necessary session cookie);
// - the browser enforces Lyceum's Content-Security-Policy and blocks nothing
//   under it (a blocked form, script or style fails the test at the end).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { expectNoAxeViolations, expectPageSkeleton } from './a11y.mjs';
import { startServer } from './server.mjs';

export const SESSION_COOKIE = 'lyceum_session';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Declares the file's server and browser and returns `lyceumTest`, a drop-in
 * for `test` whose body receives `{ newVisitor, server }`. `options.setup`,
 * when given, prepares the data directory before the server starts (see
 * startServer).
 *
 * Visitors browse with Lyceum's Content-Security-Policy enforced, as a real
 * browser does (axe gets in without an inline script, see a11y.mjs).
 */
export function lyceumSuite(options = {}) {
  let server;
  let browser;

  before(async () => {
    server = await startServer(options);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  function lyceumTest(name, body) {
    test(name, async (t) => {
      const visitors = [];
      const newVisitor = async () => {
        const context = await browser.newContext({
          baseURL: server.url,
          locale: 'en-GB',
          viewport: { width: 1280, height: 800 },
        });
        const visitor = new Visitor(context, await context.newPage());
        visitors.push(visitor);
        return visitor;
      };
      let failed = true;
      try {
        await body({ newVisitor, server, t });
        failed = false;
      } catch (err) {
        if (err instanceof Error) err.message += await describeScene(visitors, server);
        throw err;
      } finally {
        const checks = [];
        for (const v of visitors) checks.push(...(await v.close()));
        // Only add the bookkeeping failures when the test itself passed, so the
        // first, real failure is the one reported.
        if (!failed) for (const check of checks) check();
      }
    });
  }

  return lyceumTest;
}

/** Where each visitor was and what the server said, to read beside a failure. */
async function describeScene(visitors, server) {
  let scene = '';
  for (const [i, v] of visitors.entries()) {
    const main = await v.page
      .locator('main')
      .innerText({ timeout: 1000 })
      .catch(() => '(no main)');
    scene += `\n\nvisitor ${i + 1} was at ${v.page.url()}; its main said:\n${main.replace(/\s+/g, ' ').slice(0, 400)}`;
  }
  const tail = server.stderr().trimEnd().split('\n').slice(-30).join('\n');
  if (tail) scene += `\n\nlast lines of the server's stderr:\n${tail}`;
  return scene;
}

/** One person at one browser: a context with a single page. */
export class Visitor {
  constructor(context, page) {
    this.context = context;
    this.page = page;
    this.documents = [];
    this.setCookies = [];
    this.pendingHeaderReads = [];
    this.cspViolations = [];

    page.on('load', () => this.documents.push({ url: page.url(), checked: false }));
    // Chromium reports what the Content-Security-Policy blocked on the console.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text())) {
        const said = `${page.url()}: ${message.text().trim()}`;
        this.cspViolations.push(said);
        this.onCspViolation?.(said);
      }
    });
    context.on('response', (response) => {
      this.pendingHeaderReads.push(
        response
          .headersArray()
          .then((headers) => {
            for (const h of headers) {
              if (h.name.toLowerCase() !== 'set-cookie') continue;
              for (const line of h.value.split('\n')) {
                if (line.trim()) this.setCookies.push({ url: response.url(), line: line.trim() });
              }
            }
          })
          .catch(() => {}),
      );
    });
  }

  /** GET a path, then check the page it lands on. Returns the final response. */
  async goto(path) {
    const response = await this.page.goto(path);
    await this.checkPage();
    return response;
  }

  /**
   * Runs an action that makes the main frame load a new document (clicking a
   * submit button, pressing Enter on a link), waits for that document, checks
   * it, and returns its response (the last one after any redirects). Fails at
   * once, rather than after a timeout, when the browser blocks the navigation
   * under Lyceum's Content-Security-Policy.
   */
  async follow(action) {
    const page = this.page;
    const response = page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.frame() === page.mainFrame() &&
        !(r.status() >= 300 && r.status() < 400),
    );
    const loaded = page.waitForEvent('load');
    const blocked = new Promise((_, reject) => {
      this.onCspViolation = (said) =>
        reject(new assert.AssertionError({ message: `the browser blocked the navigation under Lyceum's Content-Security-Policy: ${said}` }));
    });
    // Nobody will await the waiters if the action fails or is blocked; keep
    // their timeouts from surfacing as unhandled rejections.
    for (const waiter of [response, loaded, blocked]) waiter.catch(() => {});
    try {
      await action();
      const [final] = await Promise.race([Promise.all([response, loaded]), blocked]);
      await this.checkPage();
      return final;
    } finally {
      this.onCspViolation = undefined;
    }
  }

  /** axe and the page skeleton, on the current document. */
  async checkPage() {
    await this.page.waitForLoadState('load');
    await expectPageSkeleton(this.page);
    await expectNoAxeViolations(this.page);
    const current = this.documents.at(-1);
    if (current) current.checked = true;
  }

  /** Closes the context and returns the end-of-test checks for this visitor. */
  async close() {
    await this.context.close();
    await Promise.all(this.pendingHeaderReads);
    const unchecked = this.documents.filter((d) => !d.checked).map((d) => d.url);
    return [
      () =>
        assert.deepEqual(
          unchecked,
          [],
          'every page visited must be checked with axe (use visitor.goto / visitor.follow / visitor.checkPage)',
        ),
      () => {
        for (const { url, line } of this.setCookies) expectSessionCookieHeader(line, url);
      },
      () =>
        assert.deepEqual(
          this.cspViolations,
          [],
          'the browser blocked something under Lyceum\'s Content-Security-Policy',
        ),
    ];
  }
}

/** One Set-Cookie header line must set lyceum_session, HttpOnly, SameSite=Lax. */
export function expectSessionCookieHeader(line, url) {
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  const name = pair.slice(0, pair.indexOf('=')).trim();
  assert.equal(name, SESSION_COOKIE, `only the ${SESSION_COOKIE} cookie may be set; ${url} sent: ${line}`);
  const attrs = new Map(
    attributes.map((a) => {
      const eq = a.indexOf('=');
      return eq < 0 ? [a.toLowerCase(), ''] : [a.slice(0, eq).trim().toLowerCase(), a.slice(eq + 1).trim()];
    }),
  );
  // A header that only removes the cookie carries no session and need not repeat every attribute.
  const removes =
    attrs.get('max-age') === '0' || (attrs.has('expires') && Date.parse(attrs.get('expires')) < Date.now());
  if (removes) return;
  assert.ok(attrs.has('httponly'), `${SESSION_COOKIE} must be HttpOnly; ${url} sent: ${line}`);
  assert.equal(attrs.get('samesite')?.toLowerCase(), 'lax', `${SESSION_COOKIE} must be SameSite=Lax; ${url} sent: ${line}`);
}
