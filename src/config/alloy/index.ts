/**
 * `--config agent.alloy`: the `pyroscope.write` component of an Alloy (or Grafana Agent flow / River)
 * file, read as pyro-push's `ConfigYaml`. Other components are ignored with one note; `--component LABEL`
 * picks one `pyroscope.write` among several. Every mistake is one line, `file:line:col: message`, exit 2.
 */
import { readFileSync } from 'node:fs';
import { fsProblem, usageError } from '../../errors.js';
import { type ConfigYaml, ENV, type Env } from '../options.js';
import { type Block, parseAlloy } from './parser.js';
import { mapPyroscopeWrite } from './pyroscope-write.js';

export { isAlloyConfig, isAlloyConfigFile } from './detect.js';

export interface AlloyConfig {
  config: ConfigYaml;
  /** Warnings to show: what was ignored. */
  notes: string[];
  /** The variables the file read with env()/sys.env(), in the order first read. */
  envRead: string[];
}

/**
 * The environment for resolving the file's settings: without pyro-push's own variables (PYROSCOPE_URL,
 * PYROSCOPE_PASSWORD, …) that the file itself read. The file already put them where it wanted them; its
 * `password = sys.env("PYROSCOPE_PASSWORD")` must not also become the environment layer's basic auth
 * (which would then ask for PYROSCOPE_USERNAME), nor its `sys.env("PYROSCOPE_URL")` replace its endpoints.
 */
export function envForResolve(env: Env, envRead: readonly string[]): Env {
  const own = new Set<string>(Object.values(ENV));
  const out: Record<string, string | undefined> = { ...env };
  for (const name of envRead) if (own.has(name)) delete out[name];
  return out;
}

const COMPONENT = 'pyroscope.write';

export function loadAlloyConfig(path: string, env: Env, component?: string): AlloyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`--config ${path}: ${fsProblem(err)}`, 'CONFIG');
  }
  return parseAlloyConfig(path, text, env, component);
}

/** `loadAlloyConfig` on text already read; `path` names the file in messages. */
export function parseAlloyConfig(path: string, text: string, env: Env, component?: string): AlloyConfig {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const at = (offset: number) => {
    const line = lineOf(offset);
    // Columns count characters from 1 (a BOM is not one).
    const start = lineStarts[line - 1] as number;
    return `${path}:${line}:${[...text.slice(start, offset)].length + 1 - (start === 0 && text.charCodeAt(0) === 0xfeff && offset > 0 ? 1 : 0)}`;
  };
  const fail = (offset: number, message: string): never => {
    throw usageError(`${at(offset)}: ${message}`, 'CONFIG');
  };

  const statements = parseAlloy(text, fail);
  const writes: Block[] = [];
  for (const s of statements) {
    if (s.kind !== 'block' || s.name !== COMPONENT) continue;
    if (s.label === undefined || s.label === '') fail(s.offset, `${COMPONENT} needs a label, e.g. ${COMPONENT} "default" {`);
    const twin = writes.find((w) => w.label === s.label);
    if (twin) fail(s.offset, `${COMPONENT} "${s.label}" is declared twice (first on line ${lineOf(twin.offset)})`);
    writes.push(s);
  }
  const labels = writes.map((w) => `"${w.label}"`).join(', ');
  let chosen: Block | undefined;
  if (component !== undefined) {
    chosen = writes.find((w) => w.label === component);
    if (!chosen) throw usageError(`${path}: --component ${component}: no ${COMPONENT} "${component}" in the file (${writes.length ? `it has ${labels}` : `it has no ${COMPONENT}`})`, 'CONFIG');
  } else if (writes.length === 1) chosen = writes[0];
  else if (writes.length === 0) throw usageError(`${path}: no ${COMPONENT} block; pyro-push reads its endpoints from one (${COMPONENT} "default" { endpoint { url = "…" } })`, 'CONFIG');
  else throw usageError(`${path}: ${writes.length} ${COMPONENT} components (${labels}); choose one with --component <label>`, 'CONFIG');
  const block = chosen as Block;

  const notes: string[] = [];
  const envRead = new Set<string>();
  const ignored = statements.filter((s) => s !== block).map((s) => (s.kind === 'attribute' ? `${s.name} =` : s.label !== undefined ? `${s.name} "${s.label}"` : s.name));
  if (ignored.length > 0) notes.push(`${path}: only ${COMPONENT} "${block.label}" is read; ignored: ${ignored.join(', ')}`);
  const config = mapPyroscopeWrite(block, { env, fail, at, lineOf, notes, envRead });
  return { config, notes, envRead: [...envRead] };
}
