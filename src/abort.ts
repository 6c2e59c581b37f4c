/**
 * Calls `fn` when `signal` aborts (once), through one listener per signal: a bulk run has hundreds of
 * attempts and requests in flight under one signal, and an EventTarget listener each would cost ~3 µs to
 * add and remove on Node 20 (and past ten, Node's "possible EventTarget memory leak" warning). Returns the
 * way to stop listening. An aborted signal does not call it: the caller looks at `aborted` first.
 */
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  let callbacks = watchers.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    watchers.set(signal, (callbacks = set));
    signal.addEventListener('abort', () => set.forEach((f) => f()), { once: true });
  }
  const set = callbacks;
  set.add(fn);
  return () => void set.delete(fn);
}

const watchers = new WeakMap<AbortSignal, Set<() => void>>();
