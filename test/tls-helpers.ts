import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { type ReceivedProfile, type ReceiverOptions, createPushHandler } from '../src/receiver/receiver.js';
import { tempDir } from './helpers.js';

/** A certificate and its key: paths for the CLI, PEM text for servers. */
export interface KeyPair {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

export interface Pki {
  dir: string;
  /** The private CA that signed the server certificates (path). */
  ca: string;
  caPem: string;
  /** SAN IP:127.0.0.1 and DNS:localhost. */
  server: KeyPair;
  /** Same names as `server`, valid only in 2020. */
  expired: KeyPair;
  /** SAN DNS:other.example only. */
  otherHost: KeyPair;
  /** A second CA, the one an mTLS server trusts for client certificates. */
  clientCa: string;
  clientCaPem: string;
  client: KeyPair;
  /** Every line of every private key's body: runCli fails a test if the CLI prints any of them. */
  keySecrets: string[];
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

// EC keys: a P-256 key is generated in a millisecond, an RSA one in tens.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** `openssl ca` rather than `x509 -req`: it is the only OpenSSL 3.0 command that can backdate a certificate. */
const CA_CONFIG = `[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
`;

/** A fresh PKI in a temp dir, made with the openssl binary at test time (nothing is checked in). */
export function createPki(): Pki {
  const dir = tempDir('pyro-push-pki-');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');

  const makeCa = (name: string) => {
    openssl(dir, ['req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=pyro-push test ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return join(dir, `${name}.crt`);
  };
  const day = 24 * 3600 * 1000;
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const leaf = (name: string, ca: string, ext: string, dates = [stamp(Date.now() - day), stamp(Date.now() + 2 * day)]): KeyPair => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['req', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(dir, ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`,
      '-extfile', `${name}.ext`, '-startdate', dates[0] as string, '-enddate', dates[1] as string]);
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    return { cert, key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  };

  const ca = makeCa('ca');
  const clientCa = makeCa('client-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
  const pki = {
    dir,
    ca,
    caPem: readFileSync(ca, 'utf8'),
    server: leaf('server', 'ca', serverExt),
    expired: leaf('expired', 'ca', serverExt, ['20200101000000Z', '20200102000000Z']),
    otherHost: leaf('other', 'ca', 'subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth\n'),
    clientCa,
    clientCaPem: readFileSync(clientCa, 'utf8'),
    client: leaf('client', 'client-ca', 'extendedKeyUsage=clientAuth\n'),
  };
  const keyPems = [pki.server, pki.expired, pki.otherHost, pki.client].map((p) => p.keyPem);
  for (const name of ['ca', 'client-ca']) keyPems.push(readFileSync(join(dir, `${name}.key`), 'utf8'));
  return { ...pki, keySecrets: keyPems.flatMap((pem) => pem.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'))) };
}

export interface TlsReceiverOptions extends ReceiverOptions {
  pair: KeyPair;
  /** Require a client certificate signed by this CA (PEM). */
  clientCaPem?: string;
  maxVersion?: SecureVersion;
  /** node:https, HTTP/1.1 only; the default is node:http2 with allowHTTP1, as Pyroscope serves. */
  http1Only?: boolean;
}

export interface TlsReceiver {
  url: string;
  port: number;
  received: ReceivedProfile[];
  requests(): number;
  /** Handshakes the server refused, with the reason it gave. */
  tlsErrors: string[];
  close(): Promise<void>;
}

/** The Push API receiver over TLS on 127.0.0.1, any free port. */
export async function startTlsReceiver(opts: TlsReceiverOptions): Promise<TlsReceiver> {
  const { handler, received, requests } = createPushHandler(opts);
  const tls = {
    cert: opts.pair.certPem,
    key: opts.pair.keyPem,
    ...(opts.maxVersion && { maxVersion: opts.maxVersion }),
    ...(opts.clientCaPem && { ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: true }),
  };
  const server = opts.http1Only
    ? createHttpsServer(tls, (req, res) => void handler(req, res))
    : createSecureServer({ ...tls, allowHTTP1: true }, (req, res) => void handler(req, res));
  const sockets = new Set<Socket>();
  const tlsErrors: string[] = [];
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => tlsErrors.push(err.code ?? err.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    received,
    requests,
    tlsErrors,
    close: () =>
      new Promise<void>((resolve) => {
        // An http2 server's close() waits for every session to end: end them.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
