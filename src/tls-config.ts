import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from './defaults.js';
import { usageError } from './errors.js';
import type { CliOptions, TlsYaml } from './options.js';
import { Secret } from './secret.js';
import { exclusive } from './auth.js';

const VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
export type TlsVersion = (typeof VERSIONS)[keyof typeof VERSIONS];

/** Validated TLS settings: PEM text already read and parsed, so a bad file fails before any request. */
export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: Secret;
  insecureSkipVerify: boolean;
  serverName?: string;
  minVersion: TlsVersion;
}

/** Flags override the YAML block field by field (a --ca-file replaces ca_pem and ca_file alike). */
export function resolveTls(yaml: TlsYaml | undefined, cli: CliOptions | undefined, where: string): TlsConfig {
  const y: TlsYaml = { ...yaml };
  if (cli?.caFile !== undefined) [y.ca_file, y.ca_pem] = [cli.caFile, undefined];
  if (cli?.certFile !== undefined) [y.cert_file, y.cert_pem] = [cli.certFile, undefined];
  if (cli?.keyFile !== undefined) [y.key_file, y.key_pem] = [cli.keyFile, undefined];
  if (cli?.insecureSkipVerify !== undefined) y.insecure_skip_verify = cli.insecureSkipVerify;
  if (cli?.serverName !== undefined) y.server_name = cli.serverName;
  if (cli?.tlsMinVersion !== undefined) y.min_version = cli.tlsMinVersion;

  exclusive(y.ca_pem, y.ca_file, `${where}.ca_pem`, 'ca_file', 'TLS_CONFIG');
  exclusive(y.cert_pem, y.cert_file, `${where}.cert_pem`, 'cert_file', 'TLS_CONFIG');
  exclusive(y.key_pem, y.key_file, `${where}.key_pem`, 'key_file', 'TLS_CONFIG');
  const hasCert = (y.cert_pem ?? y.cert_file) !== undefined;
  const hasKey = (y.key_pem ?? y.key_file) !== undefined;
  if (hasCert !== hasKey)
    throw usageError(`${where}: a client certificate needs its key and a key needs its certificate (set both ${hasCert ? 'key_file' : 'cert_file'} / --${hasCert ? 'key' : 'cert'}-file)`, 'TLS_CONFIG');

  const minName = (y.min_version ?? DEFAULTS.tlsMinVersion).toUpperCase();
  const minVersion = VERSIONS[minName as keyof typeof VERSIONS];
  if (!minVersion) throw usageError(`${where}.min_version: "${y.min_version}" is not one of ${Object.keys(VERSIONS).join(', ')}`, 'TLS_CONFIG');

  const ca = y.ca_file !== undefined ? readPem(y.ca_file, 'CA file') : y.ca_pem;
  if (ca !== undefined) parseCertificates(ca, y.ca_file ?? `${where}.ca_pem`, 'CA');
  const cert = y.cert_file !== undefined ? readPem(y.cert_file, 'certificate file') : y.cert_pem;
  const keyText = y.key_file !== undefined ? readPem(y.key_file, 'key file') : y.key_pem;
  if (cert !== undefined && keyText !== undefined) {
    const certName = y.cert_file ?? `${where}.cert_pem`;
    const keyName = y.key_file ?? `${where}.key_pem`;
    const [leaf] = parseCertificates(cert, certName, 'certificate');
    let key: KeyObject;
    try {
      key = createPrivateKey(keyText);
    } catch {
      throw usageError(`${keyName}: not a PEM private key (or it is encrypted, which is not supported)`, 'TLS_CONFIG');
    }
    if (leaf && !leaf.checkPrivateKey(key)) throw usageError(`${keyName}: the key does not match the certificate ${certName}`, 'TLS_CONFIG');
  }
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(keyText !== undefined && { key: Secret.of(keyText) }),
    insecureSkipVerify: y.insecure_skip_verify ?? false,
    ...(y.server_name !== undefined && { serverName: y.server_name }),
    minVersion,
  };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot be read'}`, 'TLS_CONFIG');
  }
}

function parseCertificates(pem: string, name: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no certificate');
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    throw usageError(`${name}: not a PEM ${what} certificate`, 'TLS_CONFIG');
  }
}
