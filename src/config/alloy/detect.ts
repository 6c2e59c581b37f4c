/**
 * Telling an Alloy file from a YAML one, without loading either reader: by extension (`.alloy`, and
 * `.river` from Grafana Agent's flow mode) or by a labelled component block opening a line.
 */
import { readFileSync } from 'node:fs';

/** `pyroscope.write "staging" {`, `local.file "x" {` at the start of a line. */
const COMPONENT_LINE = /^[ \t]*[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)+[ \t]+"[^"\n]*"[ \t]*\{/mu;
const EXTENSION = /\.(alloy|river)$/i;

export function isAlloyConfig(path: string, text: string): boolean {
  return EXTENSION.test(path) || COMPONENT_LINE.test(text);
}

/** The same, reading the file; an unreadable file is left to the reader chosen to report. */
export function isAlloyConfigFile(path: string): boolean {
  if (EXTENSION.test(path)) return true;
  try {
    return COMPONENT_LINE.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}
