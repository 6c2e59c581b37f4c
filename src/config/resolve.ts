import { usageError } from '../errors.js';
import { type Labels, NAME_LABEL, SERVICE_LABEL, labelsFromFlags } from '../profile/labels.js';
import type { PlanSettings } from '../profile/plan.js';
import { type Auth, resolveAuth } from './auth.js';
import { DEFAULTS } from './defaults.js';
import { formatDuration, parseDuration } from './duration.js';
import { parseSize } from './size.js';
import { type Headers, setHeader } from './headers.js';
import { type ConfigYaml, type Duration, ENV, type EndpointYaml, type Env, type PushOptions } from './options.js';
import { type ProxyConfig, resolveProxy } from './proxy.js';
import { type TlsConfig, resolveTls } from './tls.js';
import { parseHttpUrl } from './url.js';

export interface RetryPolicy {
  /** Attempts in total, Alloy's `max_backoff_retries`; 0 = until the deadline. */
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  retryOn429: boolean;
}

/** The ways of sending a profile: the Connect Push API, or the legacy HTTP `/ingest` API. */
export const PROTOCOL_NAMES = ['push', 'ingest'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** One validated endpoint: everything needed to send, nothing left to parse. */
export interface Endpoint {
  name: string;
  protocol: ProtocolName;
  /** Base URL without a trailing slash; the procedure path is appended to it. */
  url: string;
  remoteTimeoutMs: number;
  retry: RetryPolicy;
  headers: Headers;
  auth?: Auth;
  tls: TlsConfig;
  proxy: ProxyConfig;
  followRedirects: boolean;
  enableHttp2: boolean;
}

/** The resolved, validated run: flags > environment > YAML > DEFAULTS, already applied. */
export interface RunConfig extends PlanSettings {
  endpoints: Endpoint[];
  /** Labels laid over every profile's own (Alloy's external_labels); an empty value deletes. */
  externalLabels: Labels;
  legacyLabelNames: boolean;
  strict: boolean;
  overrideTimestamp: boolean;
  concurrency: number;
  /** 0 = none. */
  deadlineMs: number;
  /** After an interrupt, how long requests in flight may still take. */
  interruptGraceMs: number;
  dryRun: boolean;
  spool?: SpoolConfig;
  skipInvalid: boolean;
  /** What becomes of an input file once it is delivered everywhere (or spooled for the rest). */
  afterSent?: { remove: true } | { moveTo: string };
  recursive: boolean;
  flushOnly: boolean;
  /** --format and --sample-rate: how inputs are read. */
  read: { format?: 'pprof' | 'collapsed' | 'jfr'; sampleRateHz?: number };
  /** --scrape and its settings; URL inputs (http(s)://…) use the same TLS settings. */
  scrape: ScrapeSettings;
}

export interface ScrapeSettings {
  base?: string;
  profiles: string[];
  seconds: number;
  caFile?: string;
  insecureSkipVerify: boolean;
}

export interface SpoolConfig {
  dir: string;
  maxBytes: number;
  /** 0 = no limit. */
  maxAgeMs: number;
}

export interface Resolved {
  config: RunConfig;
  warnings: string[];
}

const TENANT = /^[A-Za-z0-9!\-_.*'()]{1,150}$/;

/** `yaml` is the already-read --config file (config-file.ts), so that yaml is loaded only when one is given. */
export function resolveConfig(cli: PushOptions, rawEnv: Env, yaml: ConfigYaml = {}): Resolved {
  const warnings: string[] = [...(yaml.notes ?? [])];
  const env = withoutEmpty(rawEnv, warnings);

  // The endpoint list comes whole from one source: --url, else PYROSCOPE_URL, else the config file.
  const given = cli.url === undefined ? [] : [cli.url].flat();
  const urls = given.length ? { from: '--url', list: given } : env[ENV.url] !== undefined ? { from: ENV.url, list: [env[ENV.url] as string] } : undefined;
  if (urls && yaml.endpoints?.length)
    warnings.push(`${urls.from} replaces the ${yaml.endpoints.length} endpoint(s) of ${cli.config}; their settings are not used`);
  const endpointYamls: Array<[EndpointYaml, string]> = urls
    ? urls.list.map((url) => [{ url }, urls.from])
    : (yaml.endpoints ?? []).map((e, i) => [e, `endpoints[${i}]`]);
  if (endpointYamls.length === 0)
    throw usageError(`no endpoint: pass --url, set ${ENV.url}, or list endpoints in a --config file`);

  const endpoints = endpointYamls.map(([e, where]) => resolveEndpoint(e, cli, env, where, warnings));
  const names = new Set<string>();
  for (const e of endpoints) {
    if (names.has(e.name)) throw usageError(`endpoint "${e.name}" is listed twice; give each endpoint its own name or URL`, 'CONFIG');
    names.add(e.name);
    if (e.tls.insecureSkipVerify) warnings.push(`${e.name}: TLS certificate verification is off (insecure_skip_verify); anyone on the path can read and change what is sent`);
  }

  const labelSettings = planSettingsFrom(cli, yaml.external_labels ?? {}, warnings);

  const concurrency = wholeNumber(cli.concurrency ?? DEFAULTS.concurrency, '--concurrency', 1);
  const deadlineMs = parseDuration(cli.deadline ?? DEFAULTS.deadline, '--deadline');
  if (deadlineMs === 0 && endpoints.some((e) => e.retry.maxAttempts === 0))
    throw usageError('--max-attempts 0 (max_backoff_retries: 0) retries until --deadline: set --deadline too, e.g. --deadline 10m');

  const spool = resolveSpool(cli, yaml);
  if (cli.flushOnly && !spool) throw usageError('flush sends what waits in a spool: pass --spool-dir (or spool_dir in --config)');
  if (cli.removeSent && cli.moveSent !== undefined) throw usageError('--remove-sent and --move-sent are both given; choose one');
  if (cli.moveSent === '') throw usageError('--move-sent needs a folder');
  return {
    config: {
      endpoints,
      ...labelSettings,
      concurrency,
      deadlineMs,
      interruptGraceMs: parseDuration(DEFAULTS.interruptGrace, 'interrupt grace'),
      dryRun: cli.dryRun ?? false,
      ...(spool && { spool }),
      skipInvalid: cli.skipInvalid ?? false,
      ...(cli.removeSent ? { afterSent: { remove: true } as const } : cli.moveSent !== undefined ? { afterSent: { moveTo: cli.moveSent } } : {}),
      recursive: cli.recursive ?? false,
      scrape: {
        ...(cli.scrape !== undefined && { base: cli.scrape }),
        profiles: cli.scrapeProfiles ?? DEFAULTS.scrapeProfiles.split(','),
        seconds: wholeNumber(cli.scrapeSeconds ?? DEFAULTS.scrapeSeconds, '--seconds', 1),
        ...(cli.scrapeCaFile !== undefined && { caFile: cli.scrapeCaFile }),
        insecureSkipVerify: cli.scrapeInsecureSkipVerify ?? false,
      },
      read: { ...(cli.format !== undefined && { format: cli.format }), ...(cli.sampleRate !== undefined && { sampleRateHz: cli.sampleRate }) },
      flushOnly: cli.flushOnly ?? false,
    },
    warnings,
  };
}

/**
 * What labelling a profile needs from the options: the config file's external labels with the label
 * flags over them, --service-name, --profile-name and the label checks. `pyro-push inspect` shares it.
 */
export function planSettingsFrom(cli: PushOptions, configLabels: Labels, warnings: string[]): PlanSettings {
  const externalLabels: Labels = { ...configLabels };
  const pairs: Array<[string, string]> = Object.entries(cli.labels ?? {});
  for (const [flag, value] of [['--service-name', cli.serviceName], ['--profile-name', cli.profileName]] as const)
    if (value === '') throw usageError(`${flag} is empty; give a value or leave the flag out`, 'LABEL');
  if (cli.serviceName !== undefined) pairs.push([SERVICE_LABEL, cli.serviceName]);
  // Checked for a clash with -l __name__=…, then applied per profile (plan.ts): it does not override a type the profile shows.
  labelsFromFlags(cli.profileName === undefined ? pairs : [...pairs, [NAME_LABEL, cli.profileName]]);
  for (const [name, value] of pairs)
    if (value === '' && !Object.hasOwn(externalLabels, name)) warnings.push(`label ${name} is empty and removes nothing (no config label ${name}); it is not sent`);
  Object.assign(externalLabels, labelsFromFlags(pairs));
  if (cli.forceProfileName && cli.profileName === undefined) throw usageError('--force-profile-name needs --profile-name', 'LABEL');
  return {
    externalLabels,
    legacyLabelNames: cli.strictLabelNames ?? false,
    strict: cli.strict ?? false,
    overrideTimestamp: cli.overrideTimestamp ?? false,
    ...(cli.profileName !== undefined && { profileName: { value: cli.profileName, force: cli.forceProfileName ?? false } }),
  };
}

/** --spool-dir over the config file's spool_dir; bounds likewise, named where they came from. */
function resolveSpool(cli: PushOptions, yaml: ConfigYaml): SpoolConfig | undefined {
  const dir = cli.spoolDir ?? yaml.spool_dir;
  if (dir === undefined) {
    if (cli.spoolMaxBytes !== undefined || cli.spoolMaxAge !== undefined) throw usageError('--spool-max-bytes and --spool-max-age need --spool-dir');
    return undefined;
  }
  if (dir === '') throw usageError(`${cli.spoolDir !== undefined ? '--spool-dir' : 'spool_dir'} is empty; give a folder`);
  const [bytes, bytesWhat] = cli.spoolMaxBytes !== undefined ? [cli.spoolMaxBytes, '--spool-max-bytes'] : [yaml.spool_max_bytes ?? DEFAULTS.spoolMaxBytes, yaml.spool_max_bytes !== undefined ? 'spool_max_bytes' : '--spool-max-bytes'];
  const [age, ageWhat] = cli.spoolMaxAge !== undefined ? [cli.spoolMaxAge, '--spool-max-age'] : [yaml.spool_max_age ?? DEFAULTS.spoolMaxAge, yaml.spool_max_age !== undefined ? 'spool_max_age' : '--spool-max-age'];
  return { dir, maxBytes: parseSize(bytes, bytesWhat), maxAgeMs: parseDuration(age, ageWhat) };
}

function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers.get(name)?.value;
  return typeof v === 'string' ? v : undefined;
}

function resolveEndpoint(y: EndpointYaml, cli: PushOptions, env: Env, where: string, warnings: string[]): Endpoint {
  const url = endpointUrl(y.url, where);
  /** Endpoints from --url or PYROSCOPE_URL: messages name flags, not a YAML entry. */
  const fromFlags = where === '--url' || where === ENV.url;
  const duration = (flag: Duration | undefined, flagName: string, value: string | undefined, key: string, fallback: string) =>
    flag !== undefined ? parseDuration(flag, flagName) : parseDuration(value ?? fallback, value !== undefined ? `${where}.${key}` : flagName);
  const remoteTimeoutMs = duration(cli.timeout, '--timeout', y.remote_timeout, 'remote_timeout', DEFAULTS.remoteTimeout);
  if (remoteTimeoutMs === 0) throw usageError(`${where}: the timeout must be above 0s`);
  const retry: RetryPolicy = {
    maxAttempts: wholeNumber(cli.maxAttempts ?? y.max_backoff_retries ?? DEFAULTS.maxAttempts, cli.maxAttempts !== undefined ? '--max-attempts' : `${where}.max_backoff_retries`, 0),
    minBackoffMs: duration(cli.minBackoff, '--min-backoff', y.min_backoff_period, 'min_backoff_period', DEFAULTS.minBackoff),
    maxBackoffMs: duration(cli.maxBackoff, '--max-backoff', y.max_backoff_period, 'max_backoff_period', DEFAULTS.maxBackoff),
    retryOn429: cli.retryOn429 ?? y.retry_on_http_429 ?? DEFAULTS.retryOn429,
  };
  if (retry.minBackoffMs > retry.maxBackoffMs)
    throw usageError(`${fromFlags ? '' : `${where}: `}the minimum backoff (${formatDuration(retry.minBackoffMs)}) is above the maximum (${formatDuration(retry.maxBackoffMs)}); raise ${fromFlags ? '--max-backoff' : 'max_backoff_period'} or lower ${fromFlags ? '--min-backoff' : 'min_backoff_period'}`);

  const headers: Headers = new Map();
  for (const [name, value] of Object.entries(y.headers ?? {})) setHeader(headers, name, value, `${where}.headers`);
  for (const [name, value] of Object.entries(y.http_headers ?? {})) {
    if (headers.has(name.toLowerCase())) throw usageError(`${where}.http_headers: ${name} is also in headers; set it in one of them`, 'CONFIG');
    setHeader(headers, name, value, `${where}.http_headers`);
  }
  const envTenant = env[ENV.tenantId];
  if (envTenant !== undefined) setHeader(headers, 'X-Scope-OrgID', envTenant, ENV.tenantId);
  for (const [name, value] of Object.entries(cli.headers ?? {})) setHeader(headers, name, value, '--header');
  const flagTenant = headerValue(headers, 'x-scope-orgid');
  if (cli.tenantId !== undefined && Object.keys(cli.headers ?? {}).some((h) => h.toLowerCase() === 'x-scope-orgid') && flagTenant !== cli.tenantId)
    warnings.push(`-H X-Scope-OrgID: ${flagTenant} is replaced by --tenant-id ${cli.tenantId}`);
  if (cli.tenantId !== undefined) setHeader(headers, 'X-Scope-OrgID', cli.tenantId, '--tenant-id');
  if (headers.has('user-agent')) warnings.push(`${where}: the User-Agent header given replaces pyro-push's own`);
  const tenant = headers.get('x-scope-orgid')?.value;
  if (typeof tenant === 'string' && !TENANT.test(tenant))
    throw usageError(`tenant "${tenant}": use at most 150 of A-Z a-z 0-9 ! - _ . * ' ( )`);

  const auth = resolveAuth(cli, env, y, where);
  // Alloy lets a header win over the auth settings; here the two are a mistake to fix, not a guess.
  if (auth && headers.has('authorization'))
    throw usageError(`${where}: an Authorization header (-H or headers) and ${auth.kind === 'oauth2' ? 'oauth2' : auth.kind === 'basic' ? 'basic auth' : 'a token'} both set Authorization; use one`, 'CONFIG');
  const [protocol, protocolWhat] = cli.protocol !== undefined ? [cli.protocol, '--protocol'] : [y.protocol ?? DEFAULTS.protocol, `${where}.protocol`];
  if (!(PROTOCOL_NAMES as readonly string[]).includes(protocol)) throw usageError(`${protocolWhat}: "${protocol}" is not one of ${PROTOCOL_NAMES.join(', ')}`, 'CONFIG');
  return {
    name: y.name ?? url,
    protocol: protocol as ProtocolName,
    url,
    remoteTimeoutMs,
    retry,
    headers,
    ...(auth && { auth }),
    tls: resolveTls(y.tls_config, cli, `${where}.tls_config`),
    proxy: resolveProxy(y, cli, where),
    followRedirects: cli.followRedirects ?? y.follow_redirects ?? DEFAULTS.followRedirects,
    enableHttp2: cli.http2 ?? y.enable_http2 ?? DEFAULTS.enableHttp2,
  };
}

function endpointUrl(text: string | undefined, where: string): string {
  if (!text) throw usageError(`${where}: url is required`, 'CONFIG');
  // curl's `-u user:password`: here -u is --url. Nothing of the value is printed: it may be a password.
  // (host:port is a URL without its scheme, said as such below.)
  if (where === '--url' && !text.includes('://') && text.includes(':') && !/^[\w.-]+:\d+(\/.*)?$/.test(text))
    throw usageError('--url (-u): the value is not an http(s) URL; -u is --url here, not curl\'s -u user:password: use --username and --password', 'CONFIG');
  const url = parseHttpUrl(text, where, { credentialsBelong: '--username/--password (or basic_auth)', refuseQuery: true, example: 'http://localhost:4040' });
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** An empty variable is what CI gives for a missing secret: say so, and treat it as unset. */
function withoutEmpty(env: Env, warnings: string[]): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of Object.values(ENV))
    if (out[name] === '') {
      warnings.push(`${name} is set but empty; ignored`);
      delete out[name];
    }
  return out;
}

/** A count from a flag ("3"), the library (3) or YAML (3): a whole number no less than `min`. */
export function wholeNumber(value: string | number, what: string, min: number): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw usageError(`${what}: expected a whole number ≥ ${min}, got "${value}"`);
  return n;
}
