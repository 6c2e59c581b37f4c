import type { NetworkFailure } from './outcome.js';

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: ErrorLike;
  reason?: string;
}

export interface FailureContext {
  timeoutMs: number;
  https: boolean;
  hasClientCert: boolean;
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);
const CLIENT_CERT = new Set(['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Turns what undici, node:tls and node:net throw into a cause a person can act on
 * ("self-signed certificate in chain (use --ca-file)", not "other side closed").
 */
export function classifyNetworkError(raw: unknown, ctx: FailureContext): NetworkFailure {
  const err = raw as ErrorLike;
  const inner = err.cause ?? {};
  const code = err.code ?? inner.code ?? err.name ?? 'ERROR';
  const fail = (message: string, retryable: boolean): NetworkFailure => ({ ok: false, kind: 'network', code, message, retryable });
  const secs = `${ctx.timeoutMs / 1000}s`;

  if (err.name === 'TimeoutError' || TIMEOUTS.has(code)) return fail(`timed out after ${secs}`, true);
  if (code === 'CERT_HAS_EXPIRED') return fail('certificate has expired', false);
  if (code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return fail('self-signed certificate in chain (use --ca-file)', false);
  if (UNTRUSTED.has(code)) return fail(`certificate not trusted: ${err.message ?? code} (use --ca-file)`, false);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return fail(`host name mismatch: ${err.reason ?? err.message} (server_name?)`, false);
  if (code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' || code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE')
    return fail('the server does not support the minimum TLS version (tls min_version?)', false);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return fail('the server does not speak TLS here (http:// instead of https://?)', false);
  if (CLIENT_CERT.has(code)) return fail(`client certificate required or rejected (${ctx.hasClientCert ? 'is --cert-file signed by a CA the server trusts?' : 'use --cert-file and --key-file'})`, false);
  if (code === 'UND_ERR_ABORTED' && /Proxy response \((\d+)\)/.test(err.message ?? '')) {
    const status = /Proxy response \((\d+)\)/.exec(err.message ?? '')?.[1];
    return fail(`proxy refused: ${status}${status === '407' || status === '401' ? ' (check the proxy credentials)' : ''}`, false);
  }
  if (code === 'UND_ERR_PRX_TLS') return fail(`proxy TLS: ${inner.message ?? err.message}`, false);
  if (code === 'ENOTFOUND') return fail(`host not found (${inner.message ?? err.message})`, false);
  if (code === 'ECONNREFUSED') return fail('connection refused', true);
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
    // A TLS 1.3 server that wants a client certificate just closes the socket after the handshake.
    const hint = ctx.https ? (ctx.hasClientCert ? ' (client certificate rejected?)' : ' (if the server requires a client certificate, use --cert-file and --key-file)') : '';
    return fail(`connection closed by the server${hint}`, true);
  }
  return fail(err.message ?? String(raw), true);
}
