/**
 * The lexical scanner of Alloy syntax (grafana/alloy `syntax/scanner`), for reading config files:
 * identifiers, numbers, strings (Go escapes) and raw strings (backticks), operators, `//` and `/* *\/`
 * comments (Alloy has no `#` comments), and the terminators a newline becomes after a value, `)`, `]`
 * or `}` — Alloy's statements end at a line break, like Go's. The first mistake stops scanning.
 */

export type TokenKind = 'IDENT' | 'NUMBER' | 'FLOAT' | 'STRING' | 'BOOL' | 'NULL' | 'OP' | 'TERMINATOR' | 'EOF';

export interface Token {
  kind: TokenKind;
  /** The source text: for STRING the literal with its quotes, for OP the operator. */
  text: string;
  /** A STRING's decoded value. */
  value?: string;
  /** Offset of the token's first character. */
  offset: number;
}

/** Reports a mistake at an offset and never returns. */
export type Fail = (offset: number, message: string) => never;

const IDENT = /[\p{L}_][\p{L}\p{Nd}_]*/uy;
const OPERATORS = ['||', '&&', '!=', '==', '<=', '>=', '!', '=', '<', '>', '+', '-', '*', '/', '%', '^', '{', '}', '(', ')', '[', ']', ',', '.'];
/** After these a newline ends the statement. */
const ENDS_VALUE = new Set(['}', ')', ']']);
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

export class Scanner {
  private i = 0;
  private insertTerm = false;

  constructor(
    private readonly src: string,
    private readonly fail: Fail,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.i = 1; // a byte order mark is allowed as the very first character
  }

  next(): Token {
    const src = this.src;
    for (;;) {
      while (this.i < src.length) {
        const c = src[this.i];
        if (c === ' ' || c === '\t' || c === '\r' || (c === '\n' && !this.insertTerm)) this.i++;
        else break;
      }
      const start = this.i;
      if (start >= src.length) {
        if (this.insertTerm) return this.terminator(start, 0);
        return { kind: 'EOF', text: '', offset: start };
      }
      const c = src[start] as string;
      if (c === '\n') return this.terminator(start, 1);
      if (c === '/' && (src[start + 1] === '/' || src[start + 1] === '*')) {
        // A comment running to the end of the line ends the statement before it, as the newline would.
        if (this.insertTerm && this.commentReachesLineEnd(start)) return this.terminator(start, 0);
        this.skipComment(start);
        this.insertTerm = false;
        continue;
      }
      const token = this.scanToken(start, c);
      this.insertTerm = token.kind === 'OP' ? ENDS_VALUE.has(token.text) : true;
      return token;
    }
  }

  private terminator(offset: number, width: number): Token {
    this.insertTerm = false;
    this.i = offset + width;
    return { kind: 'TERMINATOR', text: '\n', offset };
  }

  private scanToken(start: number, c: string): Token {
    const src = this.src;
    IDENT.lastIndex = start;
    const ident = IDENT.exec(src);
    if (ident) {
      const text = ident[0];
      this.i = start + text.length;
      const kind = text === 'true' || text === 'false' ? 'BOOL' : text === 'null' ? 'NULL' : 'IDENT';
      return { kind, text, offset: start };
    }
    if (isDigit(c) || (c === '.' && isDigit(src[start + 1]))) return this.scanNumber(start);
    if (c === '"') return this.scanString(start);
    if (c === '`') {
      const end = src.indexOf('`', start + 1);
      if (end < 0) this.fail(start, 'string literal not terminated');
      this.i = end + 1;
      // Go's strconv.Unquote drops carriage returns from raw strings.
      return { kind: 'STRING', text: src.slice(start, end + 1), value: src.slice(start + 1, end).replaceAll('\r', ''), offset: start };
    }
    if (c === "'") this.fail(start, 'illegal single-quoted string; use double quotes');
    if (c === '#') this.fail(start, 'Alloy has no # comments; use // or /* */');
    if (c === '|' && src[start + 1] !== '|') this.fail(start + 1, 'missing second | in ||');
    if (c === '&' && src[start + 1] !== '&') this.fail(start + 1, 'missing second & in &&');
    const op = OPERATORS.find((o) => src.startsWith(o, start));
    if (op === undefined) {
      const cp = src.codePointAt(start) as number;
      this.fail(start, cp === 0 ? 'illegal character NUL' : `illegal character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${String.fromCodePoint(cp)}'`);
    }
    this.i = start + op.length;
    return { kind: 'OP', text: op, offset: start };
  }

  private scanNumber(start: number): Token {
    const src = this.src;
    let i = start;
    let kind: TokenKind = 'NUMBER';
    while (isDigit(src[i])) i++;
    if (src[i] === '.') {
      kind = 'FLOAT';
      i++;
      while (isDigit(src[i])) i++;
    }
    if (src[i] === 'e' || src[i] === 'E') {
      kind = 'FLOAT';
      i++;
      if (src[i] === '+' || src[i] === '-') i++;
      const digits = i;
      while (isDigit(src[i])) i++;
      if (i === digits) this.fail(start, 'exponent has no digits');
    }
    this.i = i;
    return { kind, text: src.slice(start, i), offset: start };
  }

  /** A double-quoted string with Go's escapes (\a \b \f \n \r \t \v \\ \" \NNN \xHH \uHHHH \UHHHHHHHH). */
  private scanString(start: number): Token {
    const src = this.src;
    const parts: Buffer[] = [];
    let run = start + 1;
    let i = start + 1;
    for (;;) {
      const c = src[i];
      if (c === undefined || c === '\n') this.fail(start, 'string literal not terminated');
      if (c === '"') break;
      if (c !== '\\') {
        i++;
        continue;
      }
      parts.push(Buffer.from(src.slice(run, i), 'utf8'));
      const escape = i;
      const e = src[i + 1];
      if (e === undefined) this.fail(escape, 'escape sequence not terminated');
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        parts.push(Buffer.from(simple, 'utf8'));
        i += 2;
      } else {
        const [digits, base, max, skip] = e >= '0' && e <= '7' ? [3, 8, 255, 1] : e === 'x' ? [2, 16, 255, 2] : e === 'u' ? [4, 16, 0x10ffff, 2] : e === 'U' ? [8, 16, 0x10ffff, 2] : [0, 0, 0, 0];
        if (digits === 0) this.fail(escape, 'unknown escape sequence');
        i += skip;
        let x = 0;
        for (let n = 0; n < digits; n++, i++) {
          const d = src[i] === undefined ? NaN : parseInt(src[i] as string, base);
          if (Number.isNaN(d)) {
            const bad = src[i];
            this.fail(escape, bad === undefined || bad === '\n' ? 'escape sequence not terminated' : `illegal character ${JSON.stringify(bad)} in escape sequence`);
          }
          x = x * base + d;
        }
        if (x > max || (x >= 0xd800 && x < 0xe000)) this.fail(escape, 'escape sequence is invalid Unicode code point');
        // \NNN and \xHH are bytes, as in Go; \u and \U are code points.
        parts.push(max === 255 ? Buffer.from([x]) : Buffer.from(String.fromCodePoint(x), 'utf8'));
      }
      run = i;
    }
    parts.push(Buffer.from(src.slice(run, i), 'utf8'));
    this.i = i + 1;
    return { kind: 'STRING', text: src.slice(start, i + 1), value: Buffer.concat(parts).toString('utf8'), offset: start };
  }

  private skipComment(start: number): void {
    const src = this.src;
    if (src[start + 1] === '/') {
      const end = src.indexOf('\n', start);
      this.i = end < 0 ? src.length : end;
      return;
    }
    const end = src.indexOf('*/', start + 2);
    if (end < 0) this.fail(start, 'block comment not terminated');
    this.i = end + 2;
  }

  /** Whether the comments starting here run to the end of the line (Alloy's findLineEnd). */
  private commentReachesLineEnd(start: number): boolean {
    const src = this.src;
    let j = start + 1;
    while (src[j] === '/' || src[j] === '*') {
      if (src[j] === '/') return true;
      j++;
      for (;;) {
        const ch = src[j];
        if (ch === undefined) break;
        if (ch === '\n') return true;
        j++;
        if (ch === '*' && src[j] === '/') {
          j++;
          break;
        }
      }
      while (src[j] === ' ' || src[j] === '\t' || src[j] === '\r') j++;
      if (j >= src.length || src[j] === '\n') return true;
      if (src[j] !== '/') return false;
      j++;
    }
    return false;
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** A valid identifier (block labels must be one). */
export function isIdentifier(text: string): boolean {
  IDENT.lastIndex = 0;
  const m = IDENT.exec(text);
  return m !== null && m[0].length === text.length;
}
