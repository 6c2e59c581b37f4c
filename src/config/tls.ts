import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from './defaults.js';
import { exclusive, fsProblem, usageError } from '../errors.js';
import type { PushOptions, TlsYaml } from './options.js';
import { Secret } from '../secret.js';

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

/** Where one PEM comes from, named as the user wrote it: `--ca-file /x`, `endpoints[0].tls_config.ca_file /x`, `….ca_pem`. */
interface PemSource {
  label: string;
  fromFlag: boolean;
  path?: string;
  inline?: string;
}

/** Flags override the YAML block field by field (a --ca-file wins over ca_pem and ca_file alike). */
export function resolveTls(yaml: TlsYaml | undefined, cli: PushOptions | undefined, where: string): TlsConfig {
  const y: TlsYaml = { ...yaml };
  if (cli?.insecureSkipVerify !== undefined) y.insecure_skip_verify = cli.insecureSkipVerify;
  if (cli?.serverName !== undefined) y.server_name = cli.serverName;
  if (cli?.tlsMinVersion !== undefined) y.min_version = cli.tlsMinVersion;

  exclusive(y.ca_pem, y.ca_file, `${where}.ca_pem`, 'ca_file', 'TLS_CONFIG');
  exclusive(y.cert_pem, y.cert_file, `${where}.cert_pem`, 'cert_file', 'TLS_CONFIG');
  exclusive(y.key_pem, y.key_file, `${where}.key_pem`, 'key_file', 'TLS_CONFIG');
  const source = (flag: string | undefined, flagName: string, file: string | undefined, pem: string | undefined, key: string): PemSource | undefined => {
    if (flag !== undefined) return { label: `${flagName} ${flag}`, fromFlag: true, path: flag };
    if (file !== undefined) return { label: `${where}.${key}_file ${file}`, fromFlag: false, path: file };
    if (pem !== undefined) return { label: `${where}.${key}_pem`, fromFlag: false, inline: pem };
    return undefined;
  };
  const caSource = source(cli?.caFile, '--ca-file', y.ca_file, y.ca_pem, 'ca');
  const certSource = source(cli?.certFile, '--cert-file', y.cert_file, y.cert_pem, 'cert');
  const keySource = source(cli?.keyFile, '--key-file', y.key_file, y.key_pem, 'key');
  if ((certSource === undefined) !== (keySource === undefined)) {
    const given = (certSource ?? keySource) as PemSource;
    const [missing, why] = certSource ? ['key', 'a client certificate needs its private key'] : ['cert', 'a private key needs its client certificate'];
    throw usageError(`${given.label} needs ${given.fromFlag ? `--${missing}-file` : `${missing}_file or ${missing}_pem`} (${why})`, 'TLS_CONFIG');
  }

  const minName = (y.min_version ?? DEFAULTS.tlsMinVersion).toUpperCase();
  const minVersion = VERSIONS[minName as keyof typeof VERSIONS];
  if (!minVersion)
    throw usageError(`${cli?.tlsMinVersion !== undefined ? '--tls-min-version' : `${where}.min_version`}: "${y.min_version}" is not one of ${Object.keys(VERSIONS).join(', ')}`, 'TLS_CONFIG');

  const ca = caSource && readPem(caSource);
  if (caSource && ca !== undefined) parseCertificates(ca, caSource, 'CA certificate');
  const cert = certSource && readPem(certSource);
  const keyText = keySource && readPem(keySource);
  if (certSource && keySource && cert !== undefined && keyText !== undefined) {
    const [leaf] = parseCertificates(cert, certSource, 'certificate');
    let key: KeyObject;
    try {
      key = createPrivateKey(keyText);
    } catch {
      throw usageError(`${keySource.label}: not a PEM private key (or it is encrypted, which is not supported)`, 'TLS_CONFIG');
    }
    if (leaf && !leaf.checkPrivateKey(key)) throw usageError(`${keySource.label}: the key does not match the certificate ${certSource.path ?? certSource.label}`, 'TLS_CONFIG');
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

function readPem(source: PemSource): string {
  if (source.path === undefined) return source.inline ?? '';
  try {
    return readFileSync(source.path, 'utf8');
  } catch (err) {
    throw usageError(`${source.label}: ${fsProblem(err)}`, 'TLS_CONFIG');
  }
}

/** Never quotes the text: a private key passed where a certificate belongs must not be printed. */
function parseCertificates(pem: string, source: PemSource, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no certificate');
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    throw usageError(`${source.label}: not a PEM ${what}`, 'TLS_CONFIG');
  }
}
