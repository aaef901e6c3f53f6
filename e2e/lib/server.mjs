// Starts and stops the Lyceum binary under test.
//
// Each test file gets its own server on a random loopback port with a fresh
// data directory, so every file begins with an empty database and no operator
// account. The server tells us it is ready by printing exactly one line,
// `listening on http://127.0.0.1:PORT`, on stdout; we wait for that line rather
// than polling the port, so a server that binds but never finishes start-up is
// reported as such.

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

/**
 * Starts `lyceum serve` on 127.0.0.1 with a fresh data directory.
 * Resolves once the server has printed its ready line.
 * @returns {Promise<{url: string, dataDir: string, stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startServer() {
  const bin = lyceumBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `Lyceum binary not found at ${bin}. Build it with \`cargo build -p lyceum\`, ` +
        'or point LYCEUM_BIN (or CARGO_TARGET_DIR) at it.',
    );
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lyceum-e2e-'));
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
async function stopChild(child, exited) {
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
