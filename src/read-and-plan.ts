import type { RunConfig } from './config/resolve.js';
import { protocolProblems } from './delivery/protocols.js';
import type { ProfileResult } from './delivery/result.js';
import { ProblemsError, PyroPushError, RunStopped, usageError } from './errors.js';
import type { Labels } from './profile/labels.js';
import { LabelMemo, NO_SERVICE_NAME, type PlannedProfile, planProfiles } from './profile/plan.js';
import type { InputNames } from './sources/find-inputs.js';
import { type InputProfile, ReadSession, STDIN, STDIN_NAME, type SendInput, type StdinSource, forSending, readInputNow } from './sources/inputs.js';

/** What reading the inputs needs from the caller: stdin, and where warnings go. */
export interface ReadHooks {
  stdin: StdinSource;
  onWarning?: (line: string) => void;
}

/** Inputs read and checked at once: 1000 small files validate in ~2/3 of the time one at a time takes. */
const READ_CONCURRENCY = 16;
/** The longest the event loop waits while inputs are read, for a signal or a timer (--deadline). */
export const EVENT_LOOP_TURN_MS = 10;

/**
 * Every input read and checked, then labelled; with --skip-invalid a bad input is a result, not a stop.
 * Each is planned as soon as it is read, and only what sending needs of it is kept (forSending): a bulk
 * run never holds every input's full facts at once.
 */
export async function readAndPlan({ names, listed }: InputNames, config: RunConfig, hooks: ReadHooks, signal: AbortSignal, nowMs: number, fetched: InputProfile[] = []) {
  const problems: string[] = [];
  const skipped = new Map<string, ProfileResult>();
  const skip = (name: string, reasons: string[]) => {
    skipped.set(name, { profile: name === STDIN ? STDIN_NAME : name, labels: {}, bytes: 0, endpoints: config.endpoints.map((e) => ({ endpoint: e.name, state: 'skipped', ok: false, attempts: 0, error: reasons.join('; ') })) });
  };
  const runSize = names.length + fetched.length;
  const sameLabels = labelSharing();
  const memo = new LabelMemo();
  // A profile with nothing to say is kept as it will be sent, with no wrapper: 20 000 of them are held at once.
  const planOne = (input: InputProfile): PlannedProfile<SendInput> | Planned => {
    const plan = planProfiles([input], config, nowMs, runSize, memo);
    const refused = [...plan.problems, ...protocolProblems(config.endpoints, plan.profiles)];
    const planned = plan.profiles.map((p) => ({ input: forSending(p.input), labels: sameLabels(p.labels) }));
    if (planned.length === 1 && refused.length === 0 && plan.warnings.length === 0) return planned[0] as PlannedProfile<SendInput>;
    return { planned, refused, warnings: plan.warnings };
  };
  // Read and checked READ_CONCURRENCY at a time; what they came to is taken in input order.
  const outcomes = new Array<PlannedProfile<SendInput> | Planned | { err: unknown; stopped: boolean } | undefined>(names.length);
  let next = 0;
  const session = new ReadSession({ listed });
  // A small file is read synchronously, and a run of them alone would never give the event loop a turn:
  // Ctrl-C and --deadline would wait for the last input (20 000 files: ~1 s) and then for what was
  // already sent. Every EVENT_LOOP_TURN_MS the loop gets one, all readers waiting for the same turn (one
  // each, in a row, was a turn every 16 × 10 ms).
  // Date.now, not performance.now: milliseconds do for a 10 ms turn, and the global `performance` loads
  // perf_hooks (~1 ms of a push) on first use.
  let turn = Date.now();
  let yielding: Promise<void> | undefined;
  const giveTurn = () =>
    (yielding ??= new Promise((resolve) =>
      setImmediate(() => {
        yielding = undefined;
        turn = Date.now();
        resolve();
      }),
    ));
  const reader = async () => {
    while (next < names.length && !signal.aborted) {
      const i = next++;
      let read: InputProfile | undefined;
      try {
        const reading = readInputNow(names[i] as string, hooks.stdin, signal, config.read, session);
        read = reading instanceof Promise ? await reading : reading;
      } catch (err) {
        outcomes[i] = { err, stopped: signal.aborted };
      }
      // Planning is not reading: what it throws is a bug, for the caller, not an input's problem.
      if (read) outcomes[i] = planOne(read);
      // A clock set back counts as a turn due: the loop must never wait for it to catch up.
      const now = Date.now();
      if (now - turn >= EVENT_LOOP_TURN_MS || now < turn) await giveTurn();
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, reader));
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    // Not begun: the run was stopped while earlier inputs were read; it is the one stopped, as one at a time.
    const outcome = outcomes[i] ?? { err: signal.reason, stopped: true };
    if (!('err' in outcome)) continue;
    const { err, stopped } = outcome;
    if (stopped) throw usageError(`${name === STDIN ? STDIN_NAME : name}: ${RunStopped.from(signal.reason).message} while it was being read; nothing was sent`, 'INPUT', err);
    if (!(err instanceof PyroPushError)) throw err;
    if (config.skipInvalid) skip(name, [err.message]);
    else problems.push(err.message);
  }
  if (problems.length > 0) throw new ProblemsError('INPUT', problems);

  const planned: PlannedProfile<SendInput>[] = [];
  const refused = new Set<string>();
  const warnings = new Set<string>();
  const fetchedPlans = fetched.map(planOne);
  for (let i = 0; i < runSize; i++) {
    const plan = i < names.length ? outcomes[i] : fetchedPlans[i - names.length];
    if (plan === undefined || 'err' in plan) continue;
    if (!('refused' in plan)) {
      planned.push(plan);
      continue;
    }
    plan.warnings.forEach((w) => warnings.add(w));
    // With --skip-invalid, one input's problem leaves the others in.
    if (plan.refused.length > 0 && config.skipInvalid) skip(names[i] ?? (fetched[i - names.length] as InputProfile).name, plan.refused);
    else if (plan.refused.length > 0) plan.refused.forEach((p) => refused.add(p));
    else planned.push(...plan.planned);
  }
  outcomes.length = 0;
  if (refused.size > 0) throw new ProblemsError('LABEL', [...refused]);
  if (config.skipInvalid && planned.length === 0 && runSize + skipped.size === 0) throw new ProblemsError('INPUT', ['no profiles given']);
  if (warnings.delete(NO_SERVICE_NAME)) warnings.add(NO_SERVICE_NAME);
  warnings.forEach((w) => hooks.onWarning?.(w));
  return { planned, skipped };
}

interface Planned {
  planned: PlannedProfile<SendInput>[];
  /** Why the server would refuse it (or --strict does): the run stops, or with --skip-invalid it is skipped. */
  refused: string[];
  warnings: string[];
}

/** Label sets kept for sharing; past them (a run where every profile has labels of its own) none are. */
const SHARED_LABEL_SETS_MAX = 1024;

/**
 * Profiles with the same labels (in bulk, most of them) share one labels object, which their results
 * carry too: one object instead of one a profile.
 */
function labelSharing(): (labels: Labels) => Labels {
  const seen = new Map<string, Labels>();
  return (labels) => {
    // Frozen here before, or by a LabelMemo, which hands the same object to every input of a kind.
    if (Object.isFrozen(labels)) return labels;
    const key = JSON.stringify(labels);
    const same = seen.get(key);
    if (same) return same;
    // Frozen: protocols cache what they make of a labels object (push-api.ts), so it never changes.
    Object.freeze(labels);
    if (seen.size < SHARED_LABEL_SETS_MAX) seen.set(key, labels);
    return labels;
  };
}
