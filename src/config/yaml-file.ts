import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { fsProblem, usageError } from '../errors.js';
import { closest } from './closest.js';
import { parseDuration } from './duration.js';
import type { ConfigYaml, Env } from './options.js';

/** A leaf type, or a nested block described by its own keys. */
/**
 * `duration` is a string checked as a Go duration here, where the file's line is known; `headerLists` maps
 * a header name to a value or a list of values (Alloy's newer `http_headers`), joined as HTTP does with
 * ", "; `ignored` is a key Alloy has and pyro-push has no use for: accepted, and said once.
 */
type Shape = 'string' | 'bool' | 'int' | 'duration' | 'stringMap' | 'stringList' | 'headerLists' | 'ignored' | Block | ListOf;
interface Block {
  [key: string]: Shape;
}
class ListOf {
  constructor(readonly item: Block) {}
}

const TLS: Block = {
  ca_pem: 'string',
  ca_file: 'string',
  cert_pem: 'string',
  cert_file: 'string',
  key_pem: 'string',
  key_file: 'string',
  insecure_skip_verify: 'bool',
  server_name: 'string',
  min_version: 'string',
};
const PROXY: Block = {
  proxy_url: 'string',
  no_proxy: 'string',
  proxy_from_environment: 'bool',
  proxy_connect_header: 'headerLists',
};
const ENDPOINT: Block = {
  url: 'string',
  protocol: 'string',
  name: 'string',
  remote_timeout: 'duration',
  headers: 'stringMap',
  http_headers: 'headerLists',
  min_backoff_period: 'duration',
  max_backoff_period: 'duration',
  max_backoff_retries: 'int',
  retry_on_http_429: 'bool',
  basic_auth: { username: 'string', password: 'string', password_file: 'string' },
  bearer_token: 'string',
  bearer_token_file: 'string',
  authorization: { type: 'string', credentials: 'string', credentials_file: 'string' },
  oauth2: {
    client_id: 'string',
    client_secret: 'string',
    client_secret_file: 'string',
    token_url: 'string',
    scopes: 'stringList',
    endpoint_params: 'stringMap',
    tls_config: TLS,
    ...PROXY,
  },
  tls_config: TLS,
  follow_redirects: 'bool',
  enable_http2: 'bool',
  ...PROXY,
};
/** `<<` is YAML 1.1 only; `yaml` reads it as a plain key, so it is refused by name wherever it appears. */
const MERGE_KEY = 'merge keys are not supported; repeat the keys (aliases like *name work)';
const ROOT: Block = { endpoints: new ListOf(ENDPOINT), external_labels: 'stringMap', spool_dir: 'string', spool_max_bytes: 'string', spool_max_age: 'duration', tracing: 'ignored' };
/** What an ignored key is said with. */
const IGNORED: Record<string, string> = { tracing: 'pyro-push sends no trace context' };

/** Keys of one block of which at most one may be set: said with the file and line of the second. */
const EXCLUSIVE: Array<[string, string]> = [
  ['password', 'password_file'],
  ['credentials', 'credentials_file'],
  ['client_secret', 'client_secret_file'],
  ['bearer_token', 'bearer_token_file'],
  ['ca_pem', 'ca_file'],
  ['cert_pem', 'cert_file'],
  ['key_pem', 'key_file'],
];

/**
 * Reads a YAML config with Alloy's `pyroscope.write` names. Every mistake is one line with the file,
 * line and key: unknown keys name the closest valid one, wrong types say what was expected, and
 * `${VAR}` in a string must name a set variable (`$$` is a literal `$`).
 */
export function loadConfigFile(path: string, env: Env): ConfigYaml {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`--config ${path}: ${fsProblem(err)}`, 'CONFIG');
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const where = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    return offset === undefined ? path : `${path}:${lines.linePos(offset).line}`;
  };
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw usageError(`${path}${line ? `:${line}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`, 'CONFIG');
  }
  if (doc.contents === null) return {};

  const notes: string[] = [];
  const fail = (node: Node | null | undefined, key: string, message: string): never => {
    throw usageError(`${where(node)}: ${key}: ${message}`, 'CONFIG');
  };
  const expand = (node: Node, key: string, value: string) =>
    value.replace(/\$\$|\$\{([^}]*)\}/g, (match, name: string | undefined) => {
      if (match === '$$') return '$';
      const v = env[name ?? ''];
      if (v === undefined) fail(node, key, `\${${name}} is not set in the environment`);
      return v as string;
    });

  // An alias (*name) stands for its anchor's node; a merge key (<<) is not part of YAML 1.2 and is refused below.
  const deref = (node: Node | null): Node | null => (isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? null) : node);
  const convert = (raw: Node | null, shape: Shape, key: string): unknown => {
    const node = deref(raw);
    if (node === null) return fail(raw, key, 'has no value');
    if (shape instanceof ListOf) {
      if (!isSeq(node)) return fail(node, key, 'expected a list');
      return node.items.map((item, i) => convert(item as Node, shape.item, `${key}[${i}]`));
    }
    if (typeof shape === 'object') {
      if (!isMap(node)) return fail(node, key, 'expected a mapping of keys');
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        const keyPath = key ? `${key}.${name}` : name;
        if (name === '<<') fail(pair.key as Node, keyPath, MERGE_KEY);
        const sub = (shape as Block)[name];
        if (sub === undefined) {
          const near = closest(name, Object.keys(shape));
          fail(pair.key as Node, keyPath, `unknown key${near ? ` (did you mean "${near}"?)` : ''}`);
        }
        if (sub === 'ignored') {
          notes.push(`${where(pair.key as Node)}: ${keyPath} is ignored (${IGNORED[name] ?? 'not used by pyro-push'})`);
          continue;
        }
        out[name] = convert(pair.value as Node, sub as Shape, keyPath);
        const other = EXCLUSIVE.find((p) => p.includes(name))?.find((k) => k !== name);
        if (other !== undefined && Object.hasOwn(out, other)) fail(pair.key as Node, keyPath, `${other} is set too; use one of ${other} and ${name}`);
      }
      return out;
    }
    if (shape === 'headerLists') {
      if (!isMap(node)) return fail(node, key, 'expected a mapping of header names to a value or a list of values');
      const out: Record<string, string> = {};
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        const value = deref(pair.value as Node);
        const values = isSeq(value) ? value.items.map((item, i) => scalar(item as Node, 'string', `${key}.${name}[${i}]`) as string) : [scalar(value, 'string', `${key}.${name}`) as string];
        out[name] = values.join(', ');
      }
      return out;
    }
    if (shape === 'stringMap' || shape === 'stringList') {
      const wantMap = shape === 'stringMap';
      if (wantMap ? !isMap(node) : !isSeq(node)) return fail(node, key, wantMap ? 'expected a mapping of names to strings' : 'expected a list of strings');
      if (isSeq(node)) return node.items.map((item, i) => scalar(item as Node, 'string', `${key}[${i}]`));
      const out: Record<string, string> = {};
      for (const pair of isMap(node) ? node.items : []) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        if (name === '<<') fail(pair.key as Node, `${key}.${name}`, MERGE_KEY);
        out[name] = scalar(pair.value as Node, 'string', `${key}.${name}`) as string;
      }
      return out;
    }
    // Ignored keys are skipped where their block is read, above.
    return shape === 'ignored' ? undefined : scalar(node, shape, key);
  };
  const scalar = (raw: Node | null, shape: 'string' | 'bool' | 'int' | 'duration', key: string): unknown => {
    const node = deref(raw);
    if (!isScalar(node)) return fail(raw, key, `expected ${article(shape)}`);
    const v = node.value;
    if (shape === 'bool') return typeof v === 'boolean' ? v : fail(node, key, `expected true or false, got ${JSON.stringify(v)}`);
    if (shape === 'int') return Number.isInteger(v) && (v as number) >= 0 ? v : fail(node, key, `expected a whole number ≥ 0, got ${JSON.stringify(v)}`);
    if (shape === 'duration') {
      const text = typeof v === 'number' || typeof v === 'string' ? expand(node, key, String(v)) : fail(node, key, `expected a duration, got ${JSON.stringify(v)}`);
      try {
        parseDuration(text, key);
      } catch (err) {
        fail(node, key, (err as Error).message.slice(key.length + 2));
      }
      return text;
    }
    // Numbers are accepted as strings (a port, a numeric tenant), booleans are not: `yes` was likely a mistake.
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') return fail(node, key, `expected a string, got ${JSON.stringify(v)}`);
    return expand(node, key, v);
  };
  const config = convert(doc.contents as Node, ROOT, '') as ConfigYaml;
  return notes.length > 0 ? { ...config, notes } : config;
}

function article(shape: string): string {
  return shape === 'int' ? 'a whole number' : shape === 'bool' ? 'true or false' : shape === 'duration' ? 'a duration' : 'a string';
}
