import { usageError } from '../errors.js';
import type { ConfigYaml, Env, PushOptions } from './options.js';

/**
 * --config: an Alloy file (told by extension or content) or YAML, each reader loaded only when used.
 * The environment returned is the one to resolve with: without pyro-push's own variables that an Alloy
 * file read itself (`sys.env("PYROSCOPE_PASSWORD")`), so that they are not applied twice.
 */
export async function readConfigFile(options: PushOptions, env: Env): Promise<{ yaml: ConfigYaml; notes: string[]; env: Env }> {
  const path = options.config;
  if (path === undefined) {
    if (options.component !== undefined) throw usageError('--component picks a pyroscope.write block of an Alloy config: give the file with --config', 'CONFIG');
    return { yaml: {}, notes: [], env };
  }
  if ((await import('./alloy/detect.js')).isAlloyConfigFile(path)) {
    const alloy = await import('./alloy/index.js');
    const { config, notes, envRead } = alloy.loadAlloyConfig(path, env, options.component);
    return { yaml: config, notes, env: alloy.envForResolve(env, envRead) };
  }
  if (options.component !== undefined) throw usageError(`--component ${options.component}: ${path} is read as YAML, which has no components; --component is for Alloy files (.alloy)`, 'CONFIG');
  return { yaml: (await import('./yaml-file.js')).loadConfigFile(path, env), notes: [], env };
}
