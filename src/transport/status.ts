import { STATUS_CODES } from 'node:http';

/** An HTTP status that may turn out otherwise on a later try: 408, 429 and 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}
