// A Lyceum instance with a library in it: an operator and Riverside Public
// Library made on the command line, the library checking cards over SIP2
// against the binary's own SIP2 test server (`lyceum dev sip2-server`).
//
// The SIP2 test server is a child process like the Lyceum server. It prints
// `listening on 127.0.0.1:PORT` on stdout when ready; it is started on a free
// port, and a restart (after a test stopped it to play a card check that is
// down) binds the same port again, so the library's settings stay right.
//
// `oidcLibrarySuite()` is the other instance with a library: the operator and
// Northside Library, with the test OpenID provider (oidc-provider.mjs) beside
// it, which the tests point the library at from its settings page.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lyceumSuite } from './harness.mjs';
import { OidcProvider } from './oidc-provider.mjs';
import { lyceumBinary, runLyceum, stopChild } from './server.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIP2_READY_LINE = /^listening on 127\.0\.0\.1:(\d+)\s*$/;
const SIP2_START_TIMEOUT_MS = 15_000;
const STDERR_KEEP_CHARS = 20_000;

/** The patrons the SIP2 test server knows (crates/sip2/patrons.example.toml). */
export const PATRONS_FILE = path.join(REPO_ROOT, 'crates', 'sip2', 'patrons.example.toml');

/** The self-check login in that file, which the library's settings must match. */
export const SIP2_LOGIN = { user: 'lyceum', password: 'sip-secret', institution: 'DEMO' };

/** The cards in that file, and two that it does not have. */
export const PATRONS = {
  valid: { card: '20000001', pin: '1234' },
  expired: { card: '20000002', pin: '1234' },
  blocked: { card: '20000003', pin: '1234' },
  lost: { card: '20000004', pin: '1234' },
  wrongPin: { card: '20000001', pin: '9999' },
  unknown: { card: '29999999', pin: '1234' },
};

export const RIVERSIDE = { slug: 'riverside', name: 'Riverside Public Library', town: 'Riverside' };

/** The operator, made with `lyceum admin create-operator`. */
export const OPERATOR = {
  email: 'op@example.org',
  displayName: 'Operator',
  password: 'operator correct horse battery staple',
};

/** `lyceum dev sip2-server` with the example patrons, on 127.0.0.1. */
export class Sip2TestServer {
  constructor() {
    this.port = undefined;
    this.child = undefined;
    this.exited = undefined;
    this.stderrText = '';
    this.killOnExit = undefined;
  }

  get running() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  stderr() {
    return this.stderrText;
  }

  /** Starts the server: on a free port the first time, on the same port after a stop. */
  async start() {
    if (this.running) return;
    const bin = lyceumBinary();
    const args = ['dev', 'sip2-server', '--patrons', PATRONS_FILE, '--bind', `127.0.0.1:${this.port ?? 0}`];
    const child = spawn(bin, args, {
      env: { ...process.env, LYCEUM_LOG: 'warn', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.killOnExit = () => child.kill('SIGKILL');
    process.once('exit', this.killOnExit);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderrText = (this.stderrText + chunk).slice(-STDERR_KEEP_CHARS);
    });

    const stdoutLines = [];
    try {
      const port = await new Promise((resolve, reject) => {
        const describe = (why) =>
          new Error(
            `${why}\ncommand: ${bin} ${args.join(' ')}\n` +
              `stdout:\n${stdoutLines.join('\n') || '(nothing)'}\n` +
              `stderr:\n${this.stderrText.trimEnd() || '(nothing)'}`,
          );
        const timer = setTimeout(
          () => reject(describe(`The SIP2 test server did not say it was listening within ${SIP2_START_TIMEOUT_MS / 1000} s.`)),
          SIP2_START_TIMEOUT_MS,
        );
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(describe(`Could not start the SIP2 test server: ${err.message}`));
        });
        this.exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(describe(`The SIP2 test server exited before it was ready (code ${code}, signal ${signal}).`));
        });
        // Keep reading stdout for the server's whole life so its pipe never fills.
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (stdoutLines.length < 200) stdoutLines.push(line);
          const match = SIP2_READY_LINE.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      this.port = port;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops the server (the library's card check is then down). */
  async stop() {
    if (!this.child) return;
    const { child, exited } = this;
    this.child = undefined;
    await stopChild(child, exited);
    process.removeListener('exit', this.killOnExit);
  }
}

/** On the command line, before `serve`: the operator (OPERATOR), so nobody is sent to /setup. */
export async function createOperator(dataDir) {
  await runLyceum(
    dataDir,
    ['admin', 'create-operator', '--email', OPERATOR.email, '--name', OPERATOR.displayName],
    { input: `${OPERATOR.password}\n` },
  );
}

/** On the command line, before `serve`: the operator and `library` (card sign-in not switched on yet). */
export async function createOperatorAndLibrary(dataDir, library) {
  await createOperator(dataDir);
  await runLyceum(dataDir, [
    'admin', 'create-library',
    '--slug', library.slug,
    '--name', library.name,
    '--town', library.town,
  ]);
}

/**
 * On the command line, before `serve`: the operator, Riverside Public
 * Library, and its SIP2 connection to the test server on `sip2Port`.
 */
export async function setUpLibraryInstance(dataDir, sip2Port) {
  await createOperatorAndLibrary(dataDir, RIVERSIDE);
  await runLyceum(
    dataDir,
    [
      'admin', 'set-sip2',
      '--library', RIVERSIDE.slug,
      '--host', '127.0.0.1',
      '--port', String(sip2Port),
      '--login-user', SIP2_LOGIN.user,
      '--login-password-stdin',
      '--institution', SIP2_LOGIN.institution,
    ],
    { input: `${SIP2_LOGIN.password}\n` },
  );
}

/**
 * Like lyceumSuite, for a file whose server has Riverside Public Library and
 * its running SIP2 test server. Returns `{ lyceumTest, sip2 }`; a test may
 * `sip2.stop()` and `sip2.start()` it again.
 */
export function librarySuite() {
  const sip2 = new Sip2TestServer();
  const lyceumTest = lyceumSuite({
    setup: async (dataDir) => {
      await sip2.start();
      await setUpLibraryInstance(dataDir, sip2.port);
    },
  });
  after(async () => {
    await sip2.stop();
  });
  return { lyceumTest, sip2 };
}

/** The library of the OpenID Connect files: its patrons sign in on their library's own page. */
export const NORTHSIDE = { slug: 'northside', name: 'Northside Library', town: 'Northside' };

/**
 * Like lyceumSuite, for a file whose server has the operator and Northside
 * Library (made on the command line, card sign-in not switched on), and the
 * test OpenID provider running on a free port; the tests set the library up
 * to use it. Returns `{ lyceumTest, provider }`; a test may
 * `provider.stop()` and `provider.start()` it again (same port).
 */
export function oidcLibrarySuite() {
  const provider = new OidcProvider();
  const lyceumTest = lyceumSuite({
    setup: async (dataDir) => {
      await provider.start();
      await createOperatorAndLibrary(dataDir, NORTHSIDE);
    },
  });
  after(async () => {
    await provider.stop();
  });
  return { lyceumTest, provider };
}
