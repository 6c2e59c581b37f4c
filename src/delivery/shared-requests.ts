import { randomUUID } from 'node:crypto';
import type { PlannedProfile } from '../profile/plan.js';
import { withTimestamp } from '../profile/pprof.js';
import type { PreparedRequest, Protocol } from '../protocol/protocol.js';
import type { SendInput } from '../sources/inputs.js';

/*
 * Each profile's request, shared by the endpoints of a run: read (or taken as kept), checked and encoded
 * once per protocol, kept within bounds for the endpoints that have not reached it yet.
 */

/** Idle requests kept for endpoints that have not sent them yet; past these, they are read again when needed. */
export const SHARED_IDLE_MAX = { entries: 1024, bytes: 32 * 1024 * 1024 };

/** One profile's bytes and its request per protocol, for every endpoint that sends it. */
interface SharedEntry {
  /** Endpoints that have not finished with it yet. */
  pending: number;
  /** Endpoints working on it now. */
  users: number;
  load?: Promise<Uint8Array>;
  bytes?: Uint8Array;
  /** The bytes as sent (--override-timestamp rewrites them), the time and the id, fixed at the first request. */
  sent?: { bytes: Uint8Array; nowMs: number; id: string };
  /** By protocol name (a run has one or two). */
  byProtocol: Record<string, PreparedRequest>;
  idle: boolean;
}

/** What one endpoint's task holds of a profile's shared request. */
export interface RequestHandle {
  /** The profile's bytes, read (and hash-checked) by the first endpoint that needs them. */
  bytes(signal: AbortSignal): Promise<Uint8Array>;
  /** The bytes if some endpoint has read them and they are still held. */
  loaded(): Uint8Array | undefined;
  /** The protocol's request, prepared once for every endpoint that speaks it. */
  prepared(protocol: Protocol, bytes: Uint8Array, job: PlannedProfile<SendInput>, overrideTimestamp: boolean, nowMs: number): PreparedRequest;
  /** This endpoint is done with the profile: the last one lets it go. */
  done(): void;
}

/**
 * Each profile read, checked and encoded once per run, shared by the endpoints that send it. What no
 * endpoint is using is kept (bounded by SHARED_IDLE_MAX) for the endpoints that have not reached it; one
 * that would go past the bounds is dropped and read again by the endpoint that needs it later, so a slow
 * endpoint never makes memory grow with the number of inputs.
 */
export class SharedRequests {
  readonly #entries = new Map<number, SharedEntry>();
  #idleEntries = 0;
  #idleBytes = 0;

  constructor(
    private readonly pending: number[],
    private readonly read: (input: SendInput, signal?: AbortSignal) => Promise<Uint8Array>,
  ) {}

  take(i: number, job: PlannedProfile<SendInput>): RequestHandle {
    let entry = this.#entries.get(i);
    if (!entry) this.#entries.set(i, (entry = { pending: this.pending[i] ?? 1, users: 0, byProtocol: {}, idle: false }));
    const e = entry;
    e.users++;
    if (e.idle) this.#unidle(e);
    let released = false;
    return {
      bytes: (signal) => {
        if (!e.load) {
          e.load = this.read(job.input, signal);
          e.load.then(
            (bytes) => void (e.bytes = bytes),
            () => undefined,
          );
        }
        return e.load;
      },
      loaded: () => e.bytes,
      prepared: (protocol, bytes, job, overrideTimestamp, nowMs) => {
        let prepared = e.byProtocol[protocol.name];
        if (!prepared) {
          e.sent ??= { bytes: bytesToSend(bytes, job, overrideTimestamp, nowMs), nowMs, id: randomUUID() };
          prepared = prepareRequest(protocol, job, e.sent.bytes, overrideTimestamp, e.sent.nowMs, e.sent.id);
          e.byProtocol[protocol.name] = prepared;
        }
        return prepared;
      },
      done: () => {
        if (released) return;
        released = true;
        e.users--;
        e.pending--;
        if (e.pending <= 0) this.#entries.delete(i);
        else if (e.users === 0) this.#park(i, e);
      },
    };
  }

  /** Kept for the endpoints still to come if within bounds; else let go, to be read again. */
  #park(i: number, e: SharedEntry): void {
    const size = sizeOf(e);
    if (e.bytes && this.#idleEntries < SHARED_IDLE_MAX.entries && this.#idleBytes + size <= SHARED_IDLE_MAX.bytes) {
      e.idle = true;
      this.#idleEntries++;
      this.#idleBytes += size;
      return;
    }
    // Not read, failed, or no room: the next endpoint starts afresh.
    this.#entries.set(i, { pending: e.pending, users: 0, byProtocol: {}, idle: false });
  }

  #unidle(e: SharedEntry): void {
    e.idle = false;
    this.#idleEntries--;
    this.#idleBytes -= sizeOf(e);
  }
}

function sizeOf(e: SharedEntry): number {
  let size = e.bytes?.byteLength ?? 0;
  if (e.sent && e.sent.bytes !== e.bytes) size += e.sent.bytes.byteLength;
  for (const p of Object.values(e.byProtocol)) if (p.body !== e.sent?.bytes) size += p.body.byteLength;
  return size;
}

/** The bytes to send: --override-timestamp rewrites the profile's time (a JFR recording is sent as recorded: /ingest moves its time range instead). */
function bytesToSend(read: Uint8Array, job: PlannedProfile<SendInput>, overrideTimestamp: boolean, nowMs: number): Uint8Array {
  return overrideTimestamp && job.input.format !== 'jfr' ? withTimestamp(read, job.input.gzipped, nowMs) : read;
}

function prepareRequest(protocol: Protocol, job: PlannedProfile<SendInput>, sent: Uint8Array, overrideTimestamp: boolean, nowMs: number, id: string): PreparedRequest {
  // The facts of the bytes sent: /ingest puts the profile's time in its query too.
  const facts = overrideTimestamp ? { ...job.input, timeNanos: BigInt(nowMs) * 1_000_000n } : job.input;
  return protocol.prepare({ labels: job.labels, bytes: sent, id, facts, nowMs, format: job.input.format === 'jfr' ? 'jfr' : 'pprof', overrideTimestamp });
}
