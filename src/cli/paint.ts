import kleur from 'kleur';

export type Paint = (style: 'green' | 'red' | 'yellow' | 'dim' | 'bold', text: string) => string;

/** Colour only where the stream is a terminal and the user has not said NO_COLOR or --no-color. */
export const paintWith =
  (enabled: boolean): Paint =>
  (style, text) =>
    enabled ? kleur[style](text) : text;

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
