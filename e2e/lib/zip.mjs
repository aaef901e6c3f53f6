// The export archives Lyceum hands out ("Download your data"): ZIP files of
// stored (uncompressed) entries, written by crates/store/src/zip.rs. This is
// a reader for exactly that: it walks the central directory, refuses any
// entry that is compressed, and checks every CRC, so a test reads the files
// a person would get out of the archive, not bytes that merely look right.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { expectNoAxeViolations } from './a11y.mjs';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The files of a stored-entry ZIP archive, as a Map from name to Buffer, in
 * the archive's order. Fails the test when the bytes are not such an archive.
 */
export function readStoredZip(bytes) {
  assert.ok(bytes.length >= 22, `a ZIP archive is at least 22 bytes long; this one is ${bytes.length}`);
  // Lyceum writes no archive comment, so the end record is the last 22 bytes.
  const eocd = bytes.length - 22;
  assert.equal(bytes.readUInt32LE(eocd), END_OF_CENTRAL_DIRECTORY, 'the archive should end with the ZIP end-of-central-directory record');
  const entries = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  const files = new Map();
  for (let i = 0; i < entries; i++) {
    assert.equal(bytes.readUInt32LE(at), CENTRAL_FILE_HEADER, `entry ${i + 1} of the central directory is damaged`);
    const method = bytes.readUInt16LE(at + 10);
    const crc = bytes.readUInt32LE(at + 16);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const offset = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(method, STORED, `${name} should be stored without compression (method 0), it uses method ${method}`);
    assert.equal(bytes.readUInt32LE(offset), LOCAL_FILE_HEADER, `${name}'s local header is missing`);
    const start = offset + 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28);
    const data = bytes.subarray(start, start + size);
    assert.equal(data.length, size, `${name} is cut short`);
    assert.equal(crc32(data), crc, `${name}'s CRC does not match its bytes`);
    assert.ok(!files.has(name), `the archive holds ${name} twice`);
    files.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/**
 * Clicks `link` (a "Download your data" link with the `download` attribute),
 * waits for the browser's download and reads it. Returns the name the browser
 * would save it under, the raw bytes and the archive's files.
 */
export async function downloadArchive(page, link) {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const failure = await download.failure();
  assert.equal(failure, null, `the download of ${download.url()} failed: ${failure}`);
  const bytes = await readFile(await download.path());
  return { filename: download.suggestedFilename(), bytes, files: readStoredZip(bytes) };
}

/** A JSON file of the archive, parsed. */
export function jsonFile(files, name) {
  assert.ok(files.has(name), `the archive should contain ${name}; it holds ${[...files.keys()].join(', ')}`);
  try {
    return JSON.parse(files.get(name).toString('utf8'));
  } catch (err) {
    assert.fail(`${name} in the archive is not JSON: ${err.message}`);
  }
}

/**
 * Opens the archive's `index.html` the way a person would read it offline
 * (in a page of its own, beside the visitor's) and runs axe on it. Returns
 * the page's text, for the test to read.
 */
export async function expectReadableIndex(visitor, files) {
  return expectReadablePage(visitor, files, 'index.html');
}

/** The same for any HTML page of the archive (`pages/posts-1.html`). */
export async function expectReadablePage(visitor, files, name) {
  assert.ok(files.has(name), `the archive should contain ${name}; it holds ${[...files.keys()].join(', ')}`);
  const page = await visitor.context.newPage();
  try {
    await page.setContent(files.get(name).toString('utf8'), { waitUntil: 'load' });
    assert.equal(await page.locator('html').getAttribute('lang'), 'en', `${name} should say its language`);
    assert.equal(await page.locator('h1').count(), 1, `${name} should have one h1`);
    await expectNoAxeViolations(page);
    return (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
  } finally {
    await page.close();
  }
}
