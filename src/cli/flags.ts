import { parseHeaderFlag } from '../config/headers.js';
import type { CliOptions, PushOptions, TlsMinVersion } from '../config/options.js';
import { wholeNumber } from '../config/resolve.js';
import { usageError } from '../errors.js';
import { parseSampleRate } from '../profile/collapsed.js';
import { parseFormat } from '../profile/formats.js';
import { labelsFromFlags, parseLabelFlag } from '../profile/labels.js';

/**
 * Flags as typed in, to the library's typed options: repeated `name=value` and `Name: value` flags become
 * maps, counts become numbers. Every mistake names its flag. Durations stay text: resolving them names
 * the flag or YAML key they came from.
 */
export function toPushOptions(cli: CliOptions): PushOptions {
  const { label, extraLabels, token, insecure, cacert, user, profiles, seconds, header, maxAttempts, concurrency, proxyConnectHeader, oauth2Scope, oauth2EndpointParam, tlsMinVersion, format, sampleRate, json, quiet, verbose, color, ...same } = cli;
  // curl's flags mean something else or nothing here: said with our name, never guessed.
  if (insecure) throw usageError("-k/--insecure is curl's: here it is --insecure-skip-verify");
  if (cacert !== undefined) throw usageError("--cacert is curl's: here it is --ca-file");
  if (user !== undefined) throw usageError("--user is curl's: here it is --username with --password (or --password-file)");
  if (token !== undefined && same.bearerToken !== undefined) throw usageError('--token and --bearer-token are both given; they are the same flag (--token is profilecli\'s name)');
  const labels = [...(label ?? []), ...(extraLabels ?? [])];
  return {
    ...same,
    ...(token !== undefined && { bearerToken: token }),
    ...(labels.length > 0 && { labels: labelsFromFlags(labels.map(parseLabelFlag)) }),
    ...(header !== undefined && { headers: pairs(header.map((h) => parseHeaderFlag(h))) }),
    ...(maxAttempts !== undefined && { maxAttempts: wholeNumber(maxAttempts, '--max-attempts', 0) }),
    ...(concurrency !== undefined && { concurrency: wholeNumber(concurrency, '--concurrency', 1) }),
    ...(tlsMinVersion !== undefined && { tlsMinVersion: tlsMinVersion as TlsMinVersion }),
    ...(proxyConnectHeader !== undefined && { proxyConnectHeaders: pairs(proxyConnectHeader.map((h) => parseHeaderFlag(h, '--proxy-connect-header'))) }),
    ...(oauth2Scope !== undefined && { oauth2Scopes: oauth2Scope }),
    ...(format !== undefined && { format: parseFormat(format) }),
    ...(profiles !== undefined && { scrapeProfiles: profiles.split(',').map((p) => p.trim()) }),
    ...(seconds !== undefined && { scrapeSeconds: wholeNumber(seconds, '--seconds', 1) }),
    ...(sampleRate !== undefined && { sampleRate: sampleRateFlag(sampleRate) }),
    ...(oauth2EndpointParam !== undefined && { oauth2EndpointParams: pairs(oauth2EndpointParam.map(endpointParam)) }),
  };
}

/** What the flags say that is legal but likely not meant: `-l 'env = ci'` keeps its spaces. */
export function flagWarnings(cli: CliOptions): string[] {
  return [...(cli.label ?? []), ...(cli.extraLabels ?? [])]
    .filter((l) => /\s=|=\s/.test(l))
    .map((l) => `--label ${JSON.stringify(l)}: the spaces around "=" are part of the name and value (${JSON.stringify(l.slice(0, l.indexOf('=')))} = ${JSON.stringify(l.slice(l.indexOf('=') + 1))}); write it without them`);
}

/** In the order given; a later flag of the same name wins, as a header set twice does. */
function pairs(list: Array<[string, string]>): Record<string, string> {
  return Object.fromEntries(list);
}

function endpointParam(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`--oauth2-endpoint-param "${text}": expected key=value`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function sampleRateFlag(text: string): number {
  try {
    return parseSampleRate(text);
  } catch (err) {
    throw usageError(`--sample-rate: ${(err as Error).message}`, 'USAGE', err);
  }
}
