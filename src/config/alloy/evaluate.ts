/**
 * Evaluates the expressions a config file's values are written with: literals, lists, objects,
 * parentheses, `+` (strings or numbers), unary `-` and `!`, and the standard-library calls that read
 * the environment — `sys.env("X")`, `env("X")` (deprecated upstream, same meaning), `coalesce(…)`,
 * `convert.nonsensitive(…)`/`nonsensitive(…)`. A reference to another component's export, or anything
 * else pyro-push does not evaluate, is a mistake naming where it is and what to write instead.
 */
import type { Env } from '../options.js';
import type { Fail } from './scanner.js';
import type { Expr } from './parser.js';

export type Value =
  | { type: 'string'; value: string; offset: number; /** set when it is `sys.env("X")` of an unset X */ unset?: string }
  | { type: 'number'; value: number; offset: number }
  | { type: 'bool'; value: boolean; offset: number }
  | { type: 'null'; offset: number }
  | { type: 'list'; items: Value[]; offset: number }
  | { type: 'object'; fields: Array<{ name: string; offset: number; value: Value }>; offset: number };

/** Alloy's standard library, by its top-level names (syntax/internal/stdlib). */
const STDLIB = new Set([
  'constants', 'coalesce', 'json_path', 'sys', 'convert', 'array', 'encoding', 'string', 'file',
  'env', 'nonsensitive', 'concat', 'json_decode', 'yaml_decode', 'base64_decode', 'format', 'join',
  'replace', 'split', 'to_lower', 'to_upper', 'trim', 'trim_prefix', 'trim_suffix', 'trim_space',
]);
const EVALUATED = 'pyro-push evaluates values, lists, objects, +, sys.env(), env(), coalesce() and convert.nonsensitive()';

export function typeName(v: Value): string {
  return { string: 'a string', number: 'a number', bool: 'a bool', null: 'null', list: 'a list', object: 'an object' }[v.type];
}

/** `a.b.c` for an identifier with field accesses, else undefined. */
function pathOf(e: Expr): string | undefined {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'access') {
    const base = pathOf(e.value);
    return base === undefined ? undefined : `${base}.${e.name}`;
  }
  return undefined;
}

/** `onRead` hears every variable env()/sys.env() read. */
export function evaluate(e: Expr, env: Env, fail: Fail, onRead?: (name: string) => void): Value {
  const ev = (x: Expr) => evaluate(x, env, fail, onRead);
  switch (e.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return { type: e.kind, value: e.value, offset: e.offset } as Value;
    case 'null':
      return { type: 'null', offset: e.offset };
    case 'paren':
      return { ...ev(e.inner), offset: e.offset };
    case 'array':
      return { type: 'list', items: e.items.map(ev), offset: e.offset };
    case 'object': {
      const seen = new Set<string>();
      const fields = e.fields.map((f) => {
        if (seen.has(f.name)) fail(f.offset, `the key "${f.name}" is given twice`);
        seen.add(f.name);
        return { name: f.name, offset: f.offset, value: ev(f.value) };
      });
      return { type: 'object', fields, offset: e.offset };
    }
    case 'unary': {
      const v = ev(e.value);
      if (e.op === '-' && v.type === 'number') return { type: 'number', value: -v.value, offset: e.offset };
      if (e.op === '!' && v.type === 'bool') return { type: 'bool', value: !v.value, offset: e.offset };
      return fail(e.offset, `${e.op} cannot be applied to ${typeName(v)}`);
    }
    case 'binary': {
      if (e.op !== '+') return fail(e.opOffset, `the operator ${e.op} is not evaluated here (${EVALUATED}); write the value itself`);
      const [l, r] = [ev(e.left), ev(e.right)];
      if (l.type === 'string' && r.type === 'string') {
        const unset = l.unset ?? r.unset;
        return { type: 'string', value: l.value + r.value, offset: e.offset, ...(unset !== undefined && { unset }) };
      }
      if (l.type === 'number' && r.type === 'number') return { type: 'number', value: l.value + r.value, offset: e.offset };
      return fail(e.opOffset, `+ needs two strings or two numbers, got ${typeName(l)} and ${typeName(r)}`);
    }
    case 'call':
      return call(e, env, fail, onRead);
    case 'ident':
    case 'access':
    case 'index':
      return fail(e.offset, notEvaluated(e));
  }
}

function call(e: Extract<Expr, { kind: 'call' }>, env: Env, fail: Fail, onRead?: (name: string) => void): Value {
  const name = pathOf(e.callee);
  const args = () => e.args.map((a) => evaluate(a, env, fail, onRead));
  const oneString = (): Extract<Value, { type: 'string' }> => {
    const list = args();
    const [first] = list;
    if (list.length !== 1 || first?.type !== 'string') fail(e.offset, `${name}() takes one string, got ${list.length === 1 && first ? typeName(first) : `${list.length} arguments`}`);
    return first as Extract<Value, { type: 'string' }>;
  };
  switch (name) {
    case 'sys.env':
    case 'env': {
      const variable = oneString().value;
      onRead?.(variable);
      const value = env[variable];
      // Alloy gives "" for an unset variable; where a value is used, mapping refuses that one (see `unset`).
      return value === undefined ? { type: 'string', value: '', offset: e.offset, unset: `${name}("${variable}")` } : { type: 'string', value, offset: e.offset };
    }
    case 'convert.nonsensitive':
    case 'nonsensitive':
      return { ...oneString(), offset: e.offset };
    case 'coalesce': {
      // The first argument that is not null, "", 0, false or empty; else the last one (upstream's rule).
      const list = args();
      const found = list.find((v) => !isZero(v)) ?? list.at(-1);
      return found ? { ...found, offset: e.offset } : { type: 'null', offset: e.offset };
    }
  }
  return fail(e.offset, name === undefined ? `this call is not evaluated here (${EVALUATED}); write the value itself` : notEvaluated(e.callee, true));
}

function isZero(v: Value): boolean {
  switch (v.type) {
    case 'null':
      return true;
    case 'string':
    case 'number':
    case 'bool':
      return !v.value;
    case 'list':
      return v.items.length === 0;
    case 'object':
      return v.fields.length === 0;
  }
}

function notEvaluated(e: Expr, called = false): string {
  const path = pathOf(e.kind === 'index' ? e.value : e);
  if (path === undefined) return `this expression is not evaluated here (${EVALUATED}); write the value itself`;
  const root = path.split('.')[0] as string;
  if (STDLIB.has(root)) return `${path}${called ? '()' : ''} is not evaluated here (${EVALUATED}); write the value itself`;
  if (!path.includes('.')) return `identifier "${path}" does not exist (a string needs double quotes: "${path}")`;
  return `${path} refers to another component, which pyro-push does not run: write the value itself, read it with sys.env("NAME"), or use a *_file attribute (password_file, bearer_token_file, credentials_file)`;
}
