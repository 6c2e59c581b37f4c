/**
 * Input option types: what a user wrote, unvalidated, as each source gives it (flags, library options,
 * YAML, environment). `resolve.ts` turns them into the resolved types.
 */

/** The settings a flag and the library name alike. */
interface CommonOptions {
  /** `push` (default) or `ingest`, for the endpoints given by `url`. */
  protocol?: string;
  /** A config file: YAML with Alloy `pyroscope.write` names, or an Alloy file itself (`.alloy`, `.river`). */
  config?: string;
  /** In an Alloy config with several `pyroscope.write` components, the label of the one to use. */
  component?: string;
  serviceName?: string;
  profileName?: string;
  /** --profile-name replaces even a type the sample types show, in every profile of the run. */
  forceProfileName?: boolean;
  tenantId?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  bearerToken?: string;
  bearerTokenFile?: string;
  retryOn429?: boolean;
  overrideTimestamp?: boolean;
  strict?: boolean;
  strictLabelNames?: boolean;
  dryRun?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
  serverName?: string;
  proxyUrl?: string;
  /** Comma-separated hosts that skip the proxy (no_proxy). */
  proxyBypass?: string;
  proxyFromEnvironment?: boolean;
  http2?: boolean;
  followRedirects?: boolean;
  oauth2ClientId?: string;
  oauth2ClientSecretFile?: string;
  oauth2TokenUrl?: string;
  /** Undelivered profiles are written here and re-sent, oldest first, by the next run. */
  spoolDir?: string;
  /** Invalid inputs are reported and left out instead of stopping the run. */
  skipInvalid?: boolean;
  /** An input file delivered to every endpoint (or spooled for the rest) is removed. */
  removeSent?: boolean;
  /** …or moved into this folder. */
  moveSent?: string;
  /** Directories are read with their subdirectories. */
  recursive?: boolean;
  /** Send only what waits in the spool (`pyro-push flush`). */
  flushOnly?: boolean;
}

/** A duration as Go writes it (`'10s'`, `'1m30s'`) or a number of milliseconds. */
export type Duration = string | number;
export type TlsMinVersion = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

/** The library's options (`push(inputs, options)`): typed values; the CLI converts its flags into these. */
export interface PushOptions extends CommonOptions {
  /** One endpoint or several; replaces the config file's endpoints. */
  url?: string | string[];
  /** Series labels; an empty value removes a config file's external label. */
  labels?: Record<string, string>;
  headers?: Record<string, string>;
  timeout?: Duration;
  minBackoff?: Duration;
  maxBackoff?: Duration;
  /** Attempts in total; 0 = until `deadline`. */
  maxAttempts?: number;
  /** The whole run's time limit; 0 = none. */
  deadline?: Duration;
  concurrency?: number;
  tlsMinVersion?: TlsMinVersion;
  proxyConnectHeaders?: Record<string, string>;
  oauth2Scopes?: string[];
  oauth2EndpointParams?: Record<string, string>;
  /** Fetch Go's standard pprof endpoints under this base URL (`http://app:6060`). */
  scrape?: string;
  /** Which of them: cpu, heap, allocs, goroutine, mutex, block. */
  scrapeProfiles?: string[];
  /** How long the CPU profile is collected. */
  scrapeSeconds?: number;
  scrapeCaFile?: string;
  scrapeInsecureSkipVerify?: boolean;
  /** What the inputs are; told by content when absent. */
  format?: 'pprof' | 'collapsed' | 'jfr';
  /** Collapsed stacks were sampled at this rate (Hz): their counts become CPU time. */
  sampleRate?: number;
  /** `'512MiB'`, `'1GB'` or a number of bytes. */
  spoolMaxBytes?: string | number;
  spoolMaxAge?: Duration;
}

/** Flags as commander hands them over; only flags given on the command line are present. */
export interface CliOptions extends CommonOptions {
  url?: string[];
  label?: string[];
  header?: string[];
  timeout?: string;
  minBackoff?: string;
  maxBackoff?: string;
  maxAttempts?: string;
  deadline?: string;
  concurrency?: string;
  tlsMinVersion?: string;
  proxyConnectHeader?: string[];
  oauth2Scope?: string[];
  oauth2EndpointParam?: string[];
  spoolMaxBytes?: string;
  spoolMaxAge?: string;
  profiles?: string;
  seconds?: string;
  /** profilecli's names. */
  extraLabels?: string[];
  token?: string;
  /** curl's names: answered with ours, never guessed. */
  insecure?: boolean;
  cacert?: string;
  user?: string;
  format?: string;
  sampleRate?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** `tls_config` block, Alloy / prometheus/common names. */
export interface TlsYaml {
  ca_pem?: string;
  ca_file?: string;
  cert_pem?: string;
  cert_file?: string;
  key_pem?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
  server_name?: string;
  min_version?: string;
}

export interface ProxyYaml {
  proxy_url?: string;
  no_proxy?: string;
  proxy_from_environment?: boolean;
  proxy_connect_header?: Record<string, string>;
}

export interface OAuth2Yaml extends ProxyYaml {
  client_id?: string;
  client_secret?: string;
  client_secret_file?: string;
  token_url?: string;
  scopes?: string[];
  endpoint_params?: Record<string, string>;
  tls_config?: TlsYaml;
}

/** One `endpoints:` entry: a `pyroscope.write` endpoint block, line by line. */
export interface EndpointYaml extends ProxyYaml {
  url?: string;
  /** pyro-push's own: `push` (the Connect Push API, as Alloy) or `ingest` (the legacy HTTP API). */
  protocol?: string;
  name?: string;
  remote_timeout?: string;
  headers?: Record<string, string>;
  /** Alloy's newer name: a header's values, joined with ", " (YAML: a value or a list). */
  http_headers?: Record<string, string>;
  min_backoff_period?: string;
  max_backoff_period?: string;
  max_backoff_retries?: number;
  retry_on_http_429?: boolean;
  basic_auth?: { username?: string; password?: string; password_file?: string };
  bearer_token?: string;
  bearer_token_file?: string;
  authorization?: { type?: string; credentials?: string; credentials_file?: string };
  oauth2?: OAuth2Yaml;
  tls_config?: TlsYaml;
  follow_redirects?: boolean;
  enable_http2?: boolean;
}

export interface ConfigYaml {
  endpoints?: EndpointYaml[];
  external_labels?: Record<string, string>;
  /** pyro-push's own: where undelivered profiles wait for a later run (no Alloy equivalent). */
  spool_dir?: string;
  spool_max_bytes?: string;
  spool_max_age?: string;
  /** What the reader accepted and ignores, said as warnings. */
  notes?: string[];
}

/** The environment variables pyro-push reads, so that secrets need not be on the command line. */
export const ENV = {
  url: 'PYROSCOPE_URL',
  tenantId: 'PYROSCOPE_TENANT_ID',
  username: 'PYROSCOPE_USERNAME',
  password: 'PYROSCOPE_PASSWORD',
  bearerToken: 'PYROSCOPE_BEARER_TOKEN',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;
