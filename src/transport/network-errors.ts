import { formatDuration } from '../config/duration.js';
import { isTransientStatus, statusText } from './status.js';

interface ErrorLike {
  name?: string;
  code?: unknown;
  message?: string;
  cause?: ErrorLike;
  reason?: string;
  /** ERR_TLS_CERT_ALTNAME_INVALID: the name checked and the certificate it was checked against. */
  host?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
}

/** Why no HTTP answer came, in words a person can act on, and whether trying again can help. */
export interface NetworkProblem {
  code: string;
  message: string;
  /** TLS and name errors will fail the same way again. */
  retryable: boolean;
}

export interface FailureContext {
  /** The attempt's own timeout, when it had one: what "timed out" is said against. */
  timeoutMs: number | undefined;
  https: boolean;
  hasClientCert: boolean;
  /** A CA was configured (--ca-file, ca_pem): then "use --ca-file" is the wrong hint. */
  hasCa?: boolean;
  /** The proxy the request went through, as it may be shown: a refusal is then the proxy's. */
  proxy?: string;
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);
const CLIENT_CERT = new Set(['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const PROXY_STATUS = /Proxy response \((\d+)\)/;

/**
 * Turns what undici, node:tls and node:net throw into a cause a person can act on
 * ("self-signed certificate in chain (use --ca-file)", not "other side closed").
 */
export function classifyNetworkError(raw: unknown, ctx: FailureContext): NetworkProblem {
  const err = (raw ?? {}) as ErrorLike;
  const inner = err.cause ?? {};
  // DOMException (an aborted or timed-out signal) has a numeric legacy `code`: only string codes name a cause.
  const code = [err.code, inner.code, err.name].find((c): c is string => typeof c === 'string' && c !== '') ?? 'ERROR';
  const fail = (message: string, retryable: boolean): NetworkProblem => ({ code, message, retryable });

  if (err.name === 'TimeoutError' || TIMEOUTS.has(code)) return fail(ctx.timeoutMs === undefined ? 'timed out' : `timed out after ${formatDuration(ctx.timeoutMs)}`, true);
  if (code === 'CERT_HAS_EXPIRED') return fail('certificate has expired', false);
  if (code === 'CERT_NOT_YET_VALID') return fail('certificate is not yet valid (is the clock right?)', false);
  const caHint = ctx.hasCa ? 'is the configured CA (--ca-file, tls_config) the one that signed it?' : 'use --ca-file';
  if (code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return fail(`self-signed certificate in chain (${caHint})`, false);
  if (UNTRUSTED.has(code)) return fail(`certificate not trusted: ${err.message ?? code} (${caHint})`, false);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return fail(nameMismatch(err), false);
  if (code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' || code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE')
    return fail('the server does not support the minimum TLS version (lower --tls-min-version / tls_config.min_version?)', false);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return fail('the server does not speak TLS here (http:// instead of https://?)', false);
  if (CLIENT_CERT.has(code)) return fail(`client certificate required or rejected (${ctx.hasClientCert ? 'is --cert-file signed by a CA the server trusts?' : 'use --cert-file and --key-file'})`, false);
  const proxyStatus = code === 'UND_ERR_ABORTED' ? PROXY_STATUS.exec(err.message ?? '')?.[1] : undefined;
  if (proxyStatus !== undefined) {
    const status = Number(proxyStatus);
    const hint = status === 407 || status === 401 ? ' (check the proxy credentials)' : status >= 500 ? ' (the proxy could not reach the server?)' : '';
    // A proxy that cannot reach the server answers 502/503/504: that can pass; a 407 cannot.
    return fail(`proxy refused: ${status} ${statusText(status)}`.trimEnd() + hint, isTransientStatus(status));
  }
  if (code === 'UND_ERR_PRX_TLS') return fail(`proxy TLS: ${inner.message ?? err.message}`, false);
  if (code === 'ENOTFOUND') return fail(`host not found (${inner.message ?? err.message})${ctx.proxy ? ` (through the proxy ${ctx.proxy})` : ''}`, false);
  // Through a proxy, the connection pyro-push makes is to the proxy: a refusal is the proxy's.
  if (code === 'ECONNREFUSED') return fail(ctx.proxy ? `connection refused by the proxy ${ctx.proxy} (is it running?)` : 'connection refused', true);
  // undici refusing what we asked of it will refuse it again.
  if (code === 'UND_ERR_INVALID_ARG') return fail(err.message ?? code, false);
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
    // A server that refuses a client certificate without saying why just closes the connection.
    const hint = ctx.https ? (ctx.hasClientCert ? ' (client certificate rejected?)' : ' (if the server requires a client certificate, use --cert-file and --key-file)') : '';
    return fail(`connection closed by the server${hint}`, true);
  }
  return fail(err.message ?? String(raw), true);
}

/** Node's own reason ("IP: 127.0.0.1 is not in the cert's list: ") leaves out what the certificate is for. */
function nameMismatch(err: ErrorLike): string {
  const names = err.cert?.subjectaltname ?? (err.cert?.subject?.CN !== undefined ? `CN=${err.cert.subject.CN}` : undefined);
  const detail = names !== undefined && err.host !== undefined ? `the certificate is for ${names}, not ${err.host}` : (err.reason ?? err.message ?? '').replace(/:\s*$/, '');
  return `host name mismatch: ${detail} (use one of its names in the URL, or --server-name / tls_config.server_name)`;
}
