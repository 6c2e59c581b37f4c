/**
 * `npm run bench`'s TLS receiver: the Push API receiver over TLS (node:http2 with allowHTTP1, as
 * Pyroscope serves), with a throw-away PKI made by openssl (test/tls-helpers.ts). Prints one line,
 * `<url> <ca file>`, on stdout, then serves until killed.
 */
import { createPki, startTlsReceiver } from '../test/tls-helpers.js';

const pki = createPki();
const receiver = await startTlsReceiver({ pair: pki.server });
// Keep nothing: the bench sends thousands of profiles.
setInterval(() => receiver.received.splice(0), 1000).unref();
process.stdout.write(`${receiver.url} ${pki.ca}\n`);
process.on('SIGTERM', () => void receiver.close().then(() => process.exit(0)));
