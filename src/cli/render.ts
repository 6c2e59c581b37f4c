import type { Endpoint, RunConfig } from '../config/resolve.js';
import { type EndpointResult, type ProfileResult, RESULT_STATES, countResults, exitCodeFor } from '../delivery/result.js';
import { EXIT, INTERNAL_ERROR, ProblemsError, PyroPushError } from '../errors.js';
import { protocolFor } from '../delivery/protocols.js';
import { formatDuration } from '../config/duration.js';
import { formatLabels } from '../profile/labels.js';
import type { PlannedProfile } from '../profile/plan.js';
import type { ProfileFacts } from '../profile/pprof.js';
import { SECRET_PLACEHOLDER, Secret } from '../secret.js';
import { type Paint, plural } from './paint.js';

/** What the plan shows of an input. */
type ShownInput = { name: string } & Pick<ProfileFacts, 'size' | 'gzipped'>;

/**
 * The lines an error prints: one per problem. With --verbose, what caused it too (the error underneath a
 * user's mistake, or a bug's stack).
 */
export function errorLines(error: unknown, verbose: boolean): string[] {
  if (error instanceof PyroPushError) {
    const lines = error instanceof ProblemsError ? error.problems.map((p) => `error: ${p}`) : [`error: ${error.message}`];
    return verbose ? [...lines, ...causeLines(error.cause)] : lines;
  }
  const e = error as Error;
  const head = `${INTERNAL_ERROR}: ${e?.message ?? String(error)}`;
  return verbose && e?.stack ? [head, e.stack, ...causeLines(e.cause)] : [head];
}

function causeLines(cause: unknown): string[] {
  const lines: string[] = [];
  for (let c = cause, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as Error).cause, depth++)
    lines.push(`  caused by: ${c instanceof Error ? `${c.name}: ${c.message}` : String(c)}`);
  return lines;
}


export function resultLine(name: string, r: EndpointResult, paint: Paint): string {
  switch (r.state) {
    case 'delivered':
      return `${paint('green', '✔')} ${name} → ${r.endpoint} ${paint('dim', `(${r.status}, ${plural(r.attempts, 'attempt')})`)}`;
    case 'spooled':
      return `${paint('yellow', '↻')} ${name} → ${r.endpoint}: spooled for a later run: ${r.error}`;
    case 'skipped':
      return `${paint('yellow', '–')} ${name} → ${r.endpoint}: skipped: ${r.error}`;
    default:
      return `${paint('red', '✖')} ${name} → ${r.endpoint}: ${r.error}`;
  }
}

/**
 * `pushed 3 profiles to 2 endpoints in 1.2s`, or what became of each push:
 * `2 of 6 pushes not delivered (3 profiles to 2 endpoints, 1.2s): 4 delivered, 1 spooled, 1 rejected`.
 */
export function summaryLine(results: ProfileResult[], elapsed: string, paint: Paint): string {
  const counts = countResults(results);
  const all = Object.values(counts).reduce((a, b) => a + b, 0);
  const endpoints = new Set(results.flatMap((p) => p.endpoints.map((e) => e.endpoint))).size;
  const what = `${plural(results.length, 'profile')} to ${plural(endpoints, 'endpoint')}`;
  if (counts.delivered === all) return paint('green', `pushed ${what} in ${elapsed}`);
  const parts = RESULT_STATES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s.replace('-', ' ')}`);
  return paint(counts.delivered + counts.spooled + counts.skipped === all ? 'yellow' : 'red', `${all - counts.delivered} of ${all} pushes not delivered (${what}, ${elapsed}): ${parts.join(', ')}`);
}

/** `--dry-run`: what each request would carry, secrets as `<secret>`. */
export function dryRunLines(config: RunConfig, profiles: PlannedProfile<ShownInput>[]): string[] {
  return [
    ...config.endpoints.map((e) => `endpoint ${e.name}: POST ${e.url}${protocolFor(e.protocol).path} ${describeEndpoint(e)}`),
    ...profiles.map((p) => `would push ${p.input.name} (${plural(p.input.size, 'byte')}${p.input.gzipped ? ', gzipped' : ''}) ${formatLabels(p.labels)}`),
  ];
}

function describeEndpoint(e: Endpoint): string {
  const headers = [...e.headers.values()].map(({ name, value }) => `${name}: ${value instanceof Secret ? SECRET_PLACEHOLDER : value}`);
  const auth = !e.auth ? 'none' : e.auth.kind === 'basic' ? `basic (${e.auth.username}, ${SECRET_PLACEHOLDER})` : e.auth.kind === 'oauth2' ? `oauth2 (${e.auth.oauth2.clientId} at ${e.auth.oauth2.tokenUrl})` : `${e.auth.type} ${SECRET_PLACEHOLDER}`;
  const proxy = e.proxy.mode === 'url' ? e.proxy.display : e.proxy.mode === 'environment' ? 'from environment' : 'none';
  return `timeout ${formatDuration(e.remoteTimeoutMs)}, attempts ${e.retry.maxAttempts}, auth ${auth}, proxy ${proxy}, headers {${headers.join(', ')}}`;
}

/** `--json`: one document on stdout; secrets are redacted by Secret's toJSON. */
export function jsonReport(config: RunConfig | undefined, results: ProfileResult[], profiles: PlannedProfile<ShownInput>[], warnings: string[], error?: unknown): string {
  const exitCode = error !== undefined ? exitCodeFor({ error }) : exitCodeFor({ results });
  return JSON.stringify(
    {
      ok: exitCode === EXIT.ok,
      exitCode,
      dryRun: config?.dryRun ?? false,
      ...(error !== undefined && {
        error: {
          code: error instanceof PyroPushError ? error.code : 'INTERNAL',
          messages: errorLines(error, false).map((l) => l.replace(/^error: /, '')),
        },
      }),
      endpoints: config?.endpoints.map((e) => ({ name: e.name, url: e.url })) ?? [],
      ...(error === undefined && !config?.dryRun && { counts: countResults(results) }),
      profiles: config?.dryRun
        ? profiles.map((p) => ({ profile: p.input.name, bytes: p.input.size, gzipped: p.input.gzipped, labels: p.labels }))
        : results.map((r) => ({
            profile: r.profile,
            bytes: r.bytes,
            labels: r.labels,
            ...(r.spoolEntry !== undefined && { spoolEntry: r.spoolEntry }),
            endpoints: r.endpoints.map((e) => ({ endpoint: e.endpoint, status: e.state, httpStatus: e.status ?? null, attempts: e.attempts, error: e.error ?? null })),
          })),
      warnings,
    },
    null,
    2,
  );
}

