/**
 * A `pyroscope.write` block, checked against the component's arguments as Alloy declares them
 * (internal/component/pyroscope/write/write.go and common/config/types.go), mapped to pyro-push's
 * `ConfigYaml`: the same names, so every endpoint setting keeps its meaning. Durations stay text (checked
 * here so a mistake names its line); `http_headers` and `proxy_connect_header` lists of values become one
 * comma-separated value, as HTTP joins repeated fields.
 */
import { PyroPushError } from '../../errors.js';
import { parseDuration } from '../duration.js';
import type { ConfigYaml, EndpointYaml } from '../options.js';
import { type Value, evaluate, typeName } from './evaluate.js';
import type { Block } from './parser.js';
import type { Fail } from './scanner.js';
import type { Env } from '../options.js';
import { closest } from '../closest.js';

type AttrType = 'string' | 'bool' | 'int' | 'duration' | 'tlsVersion' | 'stringMap' | 'stringList' | 'headerLists';
interface Schema {
  attrs: Record<string, AttrType>;
  blocks?: Record<string, Schema>;
  /** Blocks that may be given several times (a list). */
  repeated?: string[];
  /** Arguments Alloy has that pyro-push has no use for: a note, not an error. */
  ignored?: Record<string, string>;
}

const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];
const TLS: Schema = {
  attrs: {
    ca_pem: 'string',
    ca_file: 'string',
    cert_pem: 'string',
    cert_file: 'string',
    key_pem: 'string',
    key_file: 'string',
    server_name: 'string',
    insecure_skip_verify: 'bool',
    min_version: 'tlsVersion',
  },
};
const PROXY: Record<string, AttrType> = { proxy_url: 'string', no_proxy: 'string', proxy_from_environment: 'bool', proxy_connect_header: 'headerLists' };
const ENDPOINT: Schema = {
  attrs: {
    url: 'string',
    name: 'string',
    remote_timeout: 'duration',
    headers: 'stringMap',
    http_headers: 'headerLists',
    min_backoff_period: 'duration',
    max_backoff_period: 'duration',
    max_backoff_retries: 'int',
    retry_on_http_429: 'bool',
    bearer_token: 'string',
    bearer_token_file: 'string',
    follow_redirects: 'bool',
    enable_http2: 'bool',
    ...PROXY,
  },
  blocks: {
    basic_auth: { attrs: { username: 'string', password: 'string', password_file: 'string' } },
    authorization: { attrs: { type: 'string', credentials: 'string', credentials_file: 'string' } },
    oauth2: {
      attrs: { client_id: 'string', client_secret: 'string', client_secret_file: 'string', token_url: 'string', scopes: 'stringList', endpoint_params: 'stringMap', ...PROXY },
      blocks: { tls_config: TLS },
    },
    tls_config: TLS,
  },
  ignored: { debug_info_upload_timeout: 'pyro-push uploads no debug info' },
};
const TRACING: Schema = { attrs: { jaeger_propagator: 'bool', trace_context_propagator: 'bool' } };
const WRITE: Schema = {
  attrs: { external_labels: 'stringMap' },
  blocks: { endpoint: ENDPOINT, tracing: TRACING },
  repeated: ['endpoint'],
  ignored: { tracing: 'pyro-push sends no trace context' },
};
const AUTH_KEYS = ['basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file'] as const;

export interface MapContext {
  env: Env;
  fail: Fail;
  /** `file:line:col` of an offset, for notes. */
  at: (offset: number) => string;
  lineOf: (offset: number) => number;
  notes: string[];
  /** Every variable the block read with env()/sys.env(). */
  envRead: Set<string>;
}

/** The chosen block's endpoints and external labels. */
export function mapPyroscopeWrite(block: Block, ctx: MapContext): ConfigYaml {
  const raw = decode(block, WRITE, '', ctx);
  const endpointBlocks = block.body.filter((s): s is Block => s.kind === 'block' && s.name === 'endpoint');
  const endpoints = ((raw.endpoint as Array<Record<string, unknown>> | undefined) ?? []).map((e, i) => toEndpoint(e, endpointBlocks[i] as Block, ctx));
  return {
    endpoints,
    ...(raw.external_labels !== undefined && { external_labels: raw.external_labels as Record<string, string> }),
  };
}

function toEndpoint(raw: Record<string, unknown>, block: Block, ctx: MapContext): EndpointYaml {
  const { http_headers: httpHeaders, ...rest } = raw as EndpointYaml & { http_headers?: Record<string, string> };
  const e: EndpointYaml = rest;
  if (e.url === undefined) ctx.fail(block.offset, 'endpoint: url is required');
  const auths = AUTH_KEYS.filter((k) => e[k] !== undefined);
  if (auths.length > 1) ctx.fail(block.offset, `endpoint: set at most one of ${AUTH_KEYS.join(', ')} (this one has ${auths.join(' and ')})`);
  if (httpHeaders) {
    const headers = { ...e.headers };
    const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    for (const [name, value] of Object.entries(httpHeaders)) {
      if (lower.has(name.toLowerCase())) ctx.fail(attrOffset(block, 'http_headers'), `endpoint.http_headers: ${name} is also in headers; set it in one of them`);
      headers[name] = value;
    }
    e.headers = headers;
  }
  return e;
}

function attrOffset(block: Block, name: string): number {
  return block.body.find((s) => s.name === name)?.offset ?? block.offset;
}

function decode(block: Block, schema: Schema, path: string, ctx: MapContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const firstLine = new Map<string, number>();
  const known = [...Object.keys(schema.attrs), ...Object.keys(schema.blocks ?? {}), ...Object.keys(schema.ignored ?? {})];
  for (const s of block.body) {
    const key = path ? `${path}.${s.name}` : s.name;
    const kind = s.kind === 'block' ? 'block' : 'attribute';
    const isBlock = schema.blocks?.[s.name] !== undefined;
    const isAttr = schema.attrs[s.name] !== undefined || (!isBlock && schema.ignored?.[s.name] !== undefined);
    if (!isBlock && !isAttr) {
      const near = closest(s.name, known);
      ctx.fail(s.offset, `${key}: unknown ${kind}${near ? ` (did you mean "${near}"?)` : ''}`);
    }
    if (s.kind === 'attribute' && isBlock) ctx.fail(s.offset, `${key} is a block: write ${s.name} { … } without "="`);
    if (s.kind === 'block' && !isBlock) ctx.fail(s.offset, `${key} is an attribute: write ${s.name} = …`);
    if (s.kind === 'block' && s.label !== undefined) ctx.fail(s.labelOffset as number, `${key} takes no label`);
    const repeated = schema.repeated?.includes(s.name) ?? false;
    if (!repeated) {
      const first = firstLine.get(s.name);
      if (first !== undefined) ctx.fail(s.offset, `${key} is set twice (first on line ${first})`);
      firstLine.set(s.name, ctx.lineOf(s.offset));
    }
    const ignoredWhy = schema.ignored?.[s.name];
    if (ignoredWhy !== undefined) {
      // Still checked, so a typo inside is reported; then left out.
      if (s.kind === 'block') decode(s, schema.blocks?.[s.name] as Schema, key, ctx);
      ctx.notes.push(`${ctx.at(s.offset)}: ${key} is ignored: ${ignoredWhy}`);
      continue;
    }
    if (s.kind === 'block') {
      const value = decode(s, schema.blocks?.[s.name] as Schema, key, ctx);
      if (repeated) ((out[s.name] ??= []) as unknown[]).push(value);
      else out[s.name] = value;
      continue;
    }
    const value = evaluate(s.value, ctx.env, ctx.fail, (name) => ctx.envRead.add(name));
    if (value.type === 'null') continue; // Alloy: null leaves an optional argument unset
    out[s.name] = convert(value, schema.attrs[s.name] as AttrType, key, ctx);
  }
  return out;
}

function convert(v: Value, type: AttrType, key: string, ctx: MapContext): unknown {
  const fail = (message: string, at: Value = v): never => ctx.fail(at.offset, `${key}: ${message}`);
  switch (type) {
    case 'string':
      return text(v, key, ctx);
    case 'bool':
      return v.type === 'bool' ? v.value : fail(`expected true or false, got ${typeName(v)}`);
    case 'int': {
      // Alloy converts a string of digits to a number.
      const n = v.type === 'number' ? v.value : v.type === 'string' && /^\d+$/.test(v.value) ? Number(v.value) : NaN;
      return Number.isInteger(n) && n >= 0 ? n : fail(`expected a whole number ≥ 0, got ${v.type === 'number' ? v.value : typeName(v)}`);
    }
    case 'duration': {
      if (v.type !== 'string') return fail(`expected a duration string such as "10s", got ${typeName(v)}`);
      const s = text(v, key, ctx);
      try {
        parseDuration(s, key);
      } catch (err) {
        if (err instanceof PyroPushError) fail(err.message.startsWith(`${key}: `) ? err.message.slice(key.length + 2) : err.message);
        throw err;
      }
      return s;
    }
    case 'tlsVersion': {
      const s = text(v, key, ctx);
      return TLS_VERSIONS.includes(s) ? s : fail(`"${s}" is not one of ${TLS_VERSIONS.join(', ')}`);
    }
    case 'stringList':
      return v.type === 'list' ? v.items.map((item, i) => text(item, `${key}[${i}]`, ctx)) : fail(`expected a list of strings, got ${typeName(v)}`);
    case 'stringMap':
    case 'headerLists': {
      if (v.type !== 'object') return fail(`expected an object such as { "name" = "value" }, got ${typeName(v)}`);
      const out: Record<string, string> = {};
      for (const f of v.fields) {
        const fieldKey = `${key}.${f.name}`;
        if (type === 'headerLists' && f.value.type === 'list') {
          if (f.value.items.length === 0) ctx.fail(f.value.offset, `${fieldKey}: the list of values is empty`);
          out[f.name] = f.value.items.map((item, i) => text(item, `${fieldKey}[${i}]`, ctx)).join(', ');
        } else out[f.name] = text(f.value, fieldKey, ctx);
      }
      return out;
    }
  }
}

/** A string; a number becomes its text, as Alloy converts it. */
function text(v: Value, key: string, ctx: MapContext): string {
  if (v.type === 'number') return String(v.value);
  if (v.type !== 'string') return ctx.fail(v.offset, `${key}: expected a string, got ${typeName(v)}`);
  if (v.unset !== undefined) ctx.fail(v.offset, `${key}: ${v.unset} is not set in the environment; set it, or give a default with coalesce(${v.unset}, "…")`);
  return v.value;
}
