import { Command, Option } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import type { CliOptions } from '../config/options.js';
import { ENV } from '../config/options.js';
import { VERSION } from '../version.js';
import type { InspectOptions } from './inspect-command.js';

export interface CliActions {
  push(inputs: string[], opts: CliOptions): Promise<void>;
  receive(opts: ReceiveOptions): Promise<void>;
  inspect(files: string[], opts: InspectOptions): Promise<void>;
}

export interface ReceiveOptions {
  port: string;
  host: string;
  out?: string;
  quiet?: boolean;
}

/** Where commander writes help, version and its own usage errors. */
export interface ProgramOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Only what the user typed: defaults and environment are applied, in order, by resolveConfig. */
function given(cmd: Command): CliOptions {
  return Object.fromEntries(Object.entries(cmd.opts()).filter(([key]) => cmd.getOptionValueSource(key) === 'cli')) as CliOptions;
}

/**
 * The command line and nothing else: every flag, its help and its default display. Usage mistakes throw
 * a CommanderError (after commander has written its message to `output`) instead of exiting.
 */
export function buildProgram(actions: CliActions, output?: ProgramOutput): Command {
  const program = new Command('pyro-push')
    .description('Push pprof profiles to Grafana Pyroscope (the command-line pyroscope.write).')
    .version(VERSION, '-V, --version')
    .argument('[profiles...]', 'profile files (pprof, collapsed stacks, JFR), directories, glob patterns, http(s):// URLs, or - for stdin')
    .showHelpAfterError('(run pyro-push --help for usage)')
    // `flush` takes the same flags as a push: after its name they are its own, not the root command's.
    .enablePositionalOptions();

  pushFlags((title, options) => {
    for (const o of options) program.addOption(o.helpGroup(title));
  });

  program.action(async (inputs: string[], _opts, cmd: Command) => actions.push(inputs, given(cmd)));

  const flush = program
    .command('flush')
    .description('send only what waits in --spool-dir (to the endpoints of --url or --config), then exit')
    .action(async (_opts, cmd: Command) => actions.push([], { ...given(cmd), flushOnly: true }));
  pushFlags((title, options) => {
    for (const o of options) flush.addOption(o.helpGroup(title));
  });

  program
    .command('receive')
    .description('run a local receiver (Push API and /ingest) that prints (and optionally saves) what arrives')
    .option('--port <port>', 'port to listen on (0 = any free port)', String(DEFAULTS.receivePort))
    .option('--host <host>', 'address to listen on', DEFAULTS.receiveHost)
    .option('--out <dir>', 'also write each profile to this directory')
    .option('-q, --quiet', 'do not print a line per profile')
    .action(async (opts: ReceiveOptions) => actions.receive(opts));

  program
    .command('inspect')
    .description('show what each profile is and what the server would make of it; sends nothing')
    .argument('<files...>', 'pprof files (gzipped or raw), directories of them, or - for stdin')
    .option('-l, --label <name=value>', 'series label, as for a push; repeatable', collect)
    .option('--service-name <name>', 'the service_name label')
    .option('--profile-name <name>', '__name__ where the sample types do not tell it, as for a push')
    .option('--force-profile-name', '--profile-name replaces the type every profile shows')
    .option('--strict-label-names', 'only [A-Za-z0-9_.] label names, as servers before v2 require')
    .option('--strict', "count the server's default limits as refusals, as a push with --strict does")
    .option('--override-timestamp', 'as if time_nanos were now: no ingestion-window check')
    .option('--format <format>', 'pprof, collapsed or jfr, as for a push; told by content when absent')
    .option('--sample-rate <hz>', 'collapsed stacks were sampled at this rate, as for a push')
    .option('--json', 'one JSON document on stdout')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .action(async (files: string[], opts: InspectOptions) => actions.inspect(files, opts));

  for (const command of [program, ...program.commands]) {
    command.exitOverride();
    if (output) command.configureOutput(output);
  }
  return program;
}

/** Every push flag by help group: the root command and `flush` take the same ones. */
function pushFlags(group: (title: string, options: Option[]) => void): void {
  group('Endpoints:', [
    new Option('-u, --url <url>', `Pyroscope base URL; repeat for several endpoints (env ${ENV.url})`).argParser(collect),
    new Option('-c, --config <file>', 'config: YAML with Alloy pyroscope.write names, or an Alloy file (.alloy, .river) itself'),
    new Option('--component <label>', 'the pyroscope.write "LABEL" to read from an Alloy --config file that has several'),
    new Option('--protocol <name>', 'push (the Connect Push API, as Alloy) or ingest (the legacy /ingest API)').default(DEFAULTS.protocol),
    new Option('--tenant-id <id>', `sets X-Scope-OrgID (env ${ENV.tenantId})`),
    new Option('-H, --header <header>', "extra request header 'Name: value'; repeatable").argParser(collect),
  ]);
  group('Live services:', [
    new Option('--scrape <base>', "fetch Go's pprof endpoints under this URL (http://app:6060); http(s):// inputs are fetched too"),
    new Option('--profiles <list>', 'which of cpu, heap, allocs, goroutine, mutex, block').default(DEFAULTS.scrapeProfiles),
    new Option('--seconds <n>', 'how long the CPU profile is collected').default(String(DEFAULTS.scrapeSeconds)),
    new Option('--scrape-ca-file <file>', 'CA certificates (PEM) to trust for the scraped service'),
    new Option('--scrape-insecure-skip-verify', "do not verify the scraped service's certificate"),
  ]);
  group('Inputs:', [
    new Option('--format <format>', 'pprof, collapsed (folded stacks) or jfr; told by content when absent'),
    new Option('--sample-rate <hz>', 'collapsed stacks were sampled at this rate: their counts become CPU time (process_cpu)'),
  ]);
  group('Labels:', [
    new Option('-l, --label <name=value>', 'series label; repeatable; an empty value removes a config label').argParser(collect),
    new Option('--service-name <name>', 'the service_name label'),
    new Option('--profile-name <name>', '__name__ (process_cpu, memory, mutex, …); derived from the sample types when absent'),
    new Option('--force-profile-name', '--profile-name replaces the type every profile shows, not only the ones it cannot be told for'),
    new Option('--strict-label-names', 'only [A-Za-z0-9_.] label names, as servers before v2 require'),
  ]);
  group('Delivery:', [
    new Option('--timeout <duration>', 'time for one attempt (remote_timeout)').default(DEFAULTS.remoteTimeout),
    new Option('--min-backoff <duration>', 'first wait between attempts').default(DEFAULTS.minBackoff),
    new Option('--max-backoff <duration>', 'longest wait between attempts').default(DEFAULTS.maxBackoff),
    new Option('--max-attempts <n>', 'attempts in total (max_backoff_retries); 0 = until --deadline').default(String(DEFAULTS.maxAttempts)),
    new Option('--no-retry-on-429', 'do not retry 429 Too Many Requests'),
    new Option('--deadline <duration>', 'overall time limit for the run; 0s = none').default(DEFAULTS.deadline),
    new Option('--concurrency <n>', 'profiles in flight (and connections, over HTTP/1.1) per endpoint').default(String(DEFAULTS.concurrency)),
    new Option('--override-timestamp', "set the profile's time_nanos to now (re-encodes it)"),
    new Option('--strict', "refuse profiles over the server's default limits instead of warning"),
  ]);
  group('Authentication:', [
    new Option('--username <name>', `basic auth user (env ${ENV.username})`),
    new Option('--password <password>', `basic auth password (env ${ENV.password}; prefer --password-file)`),
    new Option('--password-file <file>', 'basic auth password from a file, re-read on every request'),
    new Option('--bearer-token <token>', `bearer token (env ${ENV.bearerToken}; prefer --bearer-token-file)`),
    new Option('--bearer-token-file <file>', 'bearer token from a file, re-read on every request'),
    new Option('--oauth2-client-id <id>', 'OAuth2 client-credentials client id'),
    new Option('--oauth2-client-secret-file <file>', 'OAuth2 client secret from a file'),
    new Option('--oauth2-token-url <url>', 'OAuth2 token endpoint'),
    new Option('--oauth2-scope <scope>', 'OAuth2 scope; repeatable').argParser(collect),
    new Option('--oauth2-endpoint-param <key=value>', 'extra token request parameter; repeatable').argParser(collect),
  ]);
  group('TLS and connection:', [
    new Option('--ca-file <file>', 'CA certificates (PEM) to trust'),
    new Option('--cert-file <file>', 'client certificate (PEM) for mTLS'),
    new Option('--key-file <file>', 'client key (PEM) for mTLS'),
    new Option('--server-name <name>', 'TLS server name to verify (SNI)'),
    new Option('--tls-min-version <version>', 'TLS10, TLS11, TLS12 or TLS13').default(DEFAULTS.tlsMinVersion),
    new Option('--insecure-skip-verify', 'do not verify the server certificate (warns)'),
    new Option('--proxy-url <url>', 'HTTP(S) proxy, credentials allowed in the URL'),
    new Option('--proxy-bypass <hosts>', 'comma-separated hosts that skip --proxy-url (no_proxy)'),
    new Option('--proxy-from-environment', 'use HTTP_PROXY, HTTPS_PROXY and NO_PROXY'),
    new Option('--proxy-connect-header <header>', "header for the proxy CONNECT 'Name: value'; repeatable").argParser(collect),
    new Option('--http2', 'negotiate HTTP/2 over TLS (HTTP/1.1 keep-alive by default: faster in bulk)'),
    new Option('--no-http2', 'HTTP/1.1 only, even where a config file says enable_http2: true'),
    new Option('--no-follow-redirects', `report a 3xx instead of following it (up to ${DEFAULTS.maxRedirects} hops)`),
  ]);
  // Habits from other tools: profilecli's names work, curl's are answered with ours.
  group('Other tools\' names:', [
    new Option('--extra-labels <name=value>', "profilecli's name for --label").argParser(collect),
    new Option('--token <token>', "profilecli's name for --bearer-token"),
    new Option('-k, --insecure', "curl's; here: --insecure-skip-verify").hideHelp(),
    new Option('--cacert <file>', "curl's; here: --ca-file").hideHelp(),
    new Option('--user <user:password>', "curl's; here: --username and --password").hideHelp(),
  ]);
  group('Output:', [
    new Option('--dry-run', 'validate everything and print what would be sent; send nothing'),
    new Option('--json', 'one JSON document on stdout'),
    new Option('-q, --quiet', 'print only errors'),
    new Option('-v, --verbose', 'print request and response detail (secrets as <secret>)'),
    new Option('--no-color', 'no colour (NO_COLOR is honoured too)'),
  ]);
  group('Unattended runs:', [
    new Option('--spool-dir <dir>', 'write what is not delivered here; every run (and flush) first re-sends it, oldest first'),
    new Option('--spool-max-bytes <size>', 'drop (and report) the oldest spooled profiles above this size').default(DEFAULTS.spoolMaxBytes),
    new Option('--spool-max-age <duration>', 'drop (and report) spooled profiles older than this; 0s = never').default(DEFAULTS.spoolMaxAge),
    new Option('--skip-invalid', 'report invalid inputs and send the valid ones (exit 2 if any was skipped)'),
    new Option('--remove-sent', 'remove each input file once delivered to every endpoint (or spooled for the rest)'),
    new Option('--move-sent <dir>', 'move each input file there once delivered to every endpoint (or spooled for the rest)'),
    new Option('-r, --recursive', 'read directories with their subdirectories'),
  ]);
}
