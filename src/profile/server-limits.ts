/**
 * The server's default limits (PROTOCOL.md §2–3; grafana/pyroscope pkg/validation), checked before
 * sending and enforced by `pyro-push receive`.
 */
export const SERVER_LIMITS = {
  maxProfileBytes: 4 * 1024 * 1024,
  /** The ingestion rate limiter's burst: a bigger profile gets 429 on every try. */
  rateLimitBurstBytes: 2 * 1024 * 1024,
  /** The ingestion rate limit per second (distributor.ingestion-rate-limit-mb), as its 429 message names it. */
  rateLimitBytes: 4 * 1024 * 1024,
  maxSamples: 16_000,
  /** Labels on one sample (max_profile_stacktrace_sample_labels). */
  maxSampleLabels: 100,
  maxLabelNames: 30,
  maxLabelNameBytes: 1024,
  maxLabelValueBytes: 2048,
  ingestionWindowPastMs: 60 * 60 * 1000,
  ingestionWindowFutureMs: 10 * 60 * 1000,
} as const;
