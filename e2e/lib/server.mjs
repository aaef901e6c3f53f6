// Starts and stops the Lyceum binary under test.
//
// Each test file gets its own server on a random loopback port with a fresh
// data directory, so every file begins with an empty database and no operator
// account. The server tells us it is ready by printing exactly one line,
// `listening on http://127.0.0.1:PORT`, on stdout; we wait for that line rather
// than polling the port, so a server that binds but never finishes start-up is
// reported as such.
//
// A file that needs more than an empty instance (a library, an operator made
// on the command line) passes `setup(dataDir)`, which runs before `serve`;
// `runLyceum` runs the binary's other commands against that data directory.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_LINE = /^listening on (http:\/\/127\.0\.0\.1:\d+)\/?\s*$/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
// Enough of stderr to explain a failed start without flooding the report.
const STDERR_KEEP_CHARS = 20_000;

/** The binary to test: $LYCEUM_BIN, else `debug/lyceum` in the cargo target dir. */
export function lyceumBinary() {
  if (process.env.LYCEUM_BIN) return path.resolve(process.env.LYCEUM_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  return path.join(targetDir, 'debug', 'lyceum');
}

/** The binary, or a clear error when it has not been built. */
function existingBinary() {
  const bin = lyceumBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `Lyceum binary not found at ${bin}. Build it with \`cargo build -p lyceum\`, ` +
        'or point LYCEUM_BIN (or CARGO_TARGET_DIR) at it.',
    );
  }
  return bin;
}

/**
 * Runs one command of the binary (`admin ...`, `dev ...`) against `dataDir`
 * and resolves with its stdout; `input` is written to its standard input
 * (the commands read passwords from there). Rejects with the command and its
 * output when it exits non-zero.
 */
export async function runLyceum(dataDir, args, { input = '' } = {}) {
  const bin = existingBinary();
  const fullArgs = ['--data-dir', dataDir, ...args];
  const child = spawn(bin, fullArgs, {
    cwd: dataDir,
    env: { ...process.env, LYCEUM_LOG: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.stdin.end(input);
  const { code, signal } = await new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': it comes after stdout and stderr are drained.
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  if (code !== 0) {
    throw new Error(
      `\`lyceum ${fullArgs.join(' ')}\` failed (code ${code}, signal ${signal})\n` +
        `stdout:\n${stdout.trimEnd() || '(nothing)'}\nstderr:\n${stderr.trimEnd() || '(nothing)'}`,
    );
  }
  return stdout;
}

/**
 * Starts `lyceum serve` on 127.0.0.1 with a fresh data directory, after
 * `setup(dataDir)` when given. Resolves once the server has printed its
 * ready line.
 * @param {{setup?: (dataDir: string) => Promise<void>}} [options]
 * @returns {Promise<{url: string, dataDir: string, stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ setup } = {}) {
  const bin = existingBinary();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lyceum-e2e-'));
  if (setup) {
    try {
      await setup(dataDir);
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  const child = spawn(bin, args, {
    cwd: dataDir,
    env: { ...process.env, LYCEUM_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
    if (process.env.LYCEUM_E2E_VERBOSE) process.stderr.write(chunk);
  });

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // If the test process dies without running its teardown, take the server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stdoutLines = [];
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const describe = (why) =>
        new Error(
          `${why}\ncommand: ${bin} ${args.join(' ')}\n` +
            `stdout:\n${stdoutLines.join('\n') || '(nothing)'}\n` +
            `stderr:\n${stderr.trimEnd() || '(nothing)'}`,
        );
      const timer = setTimeout(
        () => reject(describe(`Lyceum did not print its ready line within ${START_TIMEOUT_MS / 1000} s.`)),
        START_TIMEOUT_MS,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(describe(`Could not start Lyceum: ${err.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(describe(`Lyceum exited before it was ready (code ${code}, signal ${signal}).`));
      });
      // Keep reading stdout for the server's whole life so its pipe never fills.
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (stdoutLines.length < 200) stdoutLines.push(line);
        const match = READY_LINE.exec(line);
        if (match && url === undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
  } catch (err) {
    await stopChild(child, exited);
    process.removeListener('exit', killOnExit);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  let stopped = false;
  return {
    url,
    dataDir,
    stderr: () => stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child, exited);
      process.removeListener('exit', killOnExit);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then wait for the exit; SIGKILL if it does not come in time. */
export async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timedOut = Symbol('timed out');
  let timer;
  const result = await Promise.race([
    exited,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(timedOut), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (result === timedOut) {
    process.stderr.write(`lyceum (pid ${child.pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS / 1000} s; killing it\n`);
    child.kill('SIGKILL');
    await exited;
  }
}
