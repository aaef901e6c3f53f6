// A mail relay for tests: a minimal SMTP server on loopback that keeps the
// messages it is given, so a test can read the email Lyceum sent (a
// password-reset link, say). It speaks just enough SMTP for lettre without
// TLS: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

import net from 'node:net';

/** Decodes a quoted-printable body (soft line breaks and =XX). */
function fromQuotedPrintable(text) {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Splits one received message into headers (lower-case names) and a decoded body. */
function parse(raw) {
  const at = raw.indexOf('\r\n\r\n');
  const head = at < 0 ? raw : raw.slice(0, at);
  let body = at < 0 ? '' : raw.slice(at + 4);
  const headers = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (encoding === 'quoted-printable') body = fromQuotedPrintable(body);
  if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

/**
 * Starts the relay. Resolves with its port, the messages received so far
 * (`{from, to, headers, body}`), `waitFor(predicate)` and `close()`.
 */
export async function startSmtpSink() {
  const messages = [];
  const waiting = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let envelope = { from: '', to: [] };
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 sink ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const raw = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buffer = buffer.slice(end + 5);
          inData = false;
          const message = { ...envelope, ...parse(raw) };
          messages.push(message);
          for (const w of waiting.splice(0)) w();
          envelope = { from: '', to: [] };
          reply('250 OK queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 sink');
        else if (verb === 'MAIL') {
          envelope.from = line.slice(10).trim();
          reply('250 OK');
        } else if (verb === 'RCPT') {
          envelope.to.push(line.slice(8).trim());
          reply('250 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 Bye');
          socket.end();
          return;
        } else reply('502 Command not implemented');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    messages,
    /** Resolves with the first message that `predicate` accepts, waiting up to `ms`. */
    async waitFor(predicate, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`no such email within ${ms} ms; received: ${JSON.stringify(messages.map((m) => m.headers.subject))}`);
        }
        await new Promise((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, Math.min(left, 250));
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
