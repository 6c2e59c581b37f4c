/**
 * The parser of Alloy syntax (grafana/alloy `syntax/parser`), LL(1) as upstream:
 *
 *   File        = Body
 *   Body        = [ Statement { terminator Statement } ]
 *   Statement   = Attribute | Block
 *   Attribute   = identifier "=" Expression
 *   Block       = BlockName "{" Body "}"
 *   BlockName   = identifier { "." identifier } [ string ]
 *   Expression  = OrExpr … PowExpr (|| && comparisons + - * / % ^), UnaryExpr (! -)
 *   OperExpr    = PrimaryExpr { "." identifier | "[" Expression "]" | "(" [ ExpressionList ] ")" }
 *   PrimaryExpr = identifier | string | number | float | bool | null | "(" Expression ")"
 *               | "[" [ ExpressionList ] "]" | "{" [ FieldList ] "}"
 *   ExpressionList = Expression { "," Expression } [ "," ]
 *   FieldList   = Field { "," Field } [ "," ];  Field = ( string | identifier ) "=" Expression
 *
 * Every expression is parsed (so any Alloy file reads); what is evaluated is evaluate.ts's business.
 */
import { type Fail, Scanner, type Token, isIdentifier } from './scanner.js';

export type Expr =
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; value: number; offset: number }
  | { kind: 'bool'; value: boolean; offset: number }
  | { kind: 'null'; offset: number }
  | { kind: 'ident'; name: string; offset: number }
  | { kind: 'access'; value: Expr; name: string; offset: number }
  | { kind: 'index'; value: Expr; index: Expr; offset: number }
  | { kind: 'call'; callee: Expr; args: Expr[]; offset: number }
  | { kind: 'array'; items: Expr[]; offset: number }
  | { kind: 'object'; fields: Field[]; offset: number }
  | { kind: 'paren'; inner: Expr; offset: number }
  | { kind: 'unary'; op: string; value: Expr; offset: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; offset: number; opOffset: number };

export interface Field {
  name: string;
  offset: number;
  value: Expr;
}

export interface Attribute {
  kind: 'attribute';
  name: string;
  offset: number;
  value: Expr;
}

export interface Block {
  kind: 'block';
  /** Dotted, as written: `pyroscope.write`, `endpoint`. */
  name: string;
  offset: number;
  label?: string;
  labelOffset?: number;
  body: Statement[];
}

export type Statement = Attribute | Block;

const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6 };

/** Parses a whole file; the first mistake is reported through `fail` with its offset. */
export function parseAlloy(src: string, fail: Fail): Statement[] {
  return new Parser(src, fail).file();
}

class Parser {
  private readonly scanner: Scanner;
  private tok: Token;

  constructor(
    src: string,
    private readonly fail: Fail,
  ) {
    this.scanner = new Scanner(src, fail);
    this.tok = this.scanner.next();
  }

  file(): Statement[] {
    return this.body(undefined);
  }

  private next(): void {
    this.tok = this.scanner.next();
  }

  /** The current token's kind (a method, so that TypeScript does not narrow it across next()). */
  private kind(): Token['kind'] {
    return this.tok.kind;
  }

  private is(op: string): boolean {
    return this.tok.kind === 'OP' && this.tok.text === op;
  }

  private expect(op: string, what: string): number {
    const offset = this.tok.offset;
    if (!this.is(op)) this.fail(offset, `expected ${what}, got ${describe(this.tok)}`);
    this.next();
    return offset;
  }

  /** Statements up to `until` (`}`), or to the end of the file. */
  private body(until: '}' | undefined): Statement[] {
    const out: Statement[] = [];
    while (!(until && this.is(until)) && this.tok.kind !== 'EOF') {
      out.push(this.statement());
      if (until && this.is(until)) break;
      if (this.kind() !== 'TERMINATOR' && this.kind() !== 'EOF')
        this.fail(this.tok.offset, `expected a new line after the ${out.at(-1)?.kind === 'block' ? 'block' : 'attribute'}, got ${describe(this.tok)}`);
      if (this.kind() === 'TERMINATOR') this.next();
    }
    return out;
  }

  private statement(): Statement {
    const start = this.tok.offset;
    if (this.tok.kind !== 'IDENT') this.fail(start, `expected an attribute or block name, got ${describe(this.tok)}`);
    const fragments = [this.tok.text];
    this.next();
    while (this.is('.')) {
      this.next();
      if (this.tok.kind !== 'IDENT') this.fail(this.tok.offset, `expected identifier after ".", got ${describe(this.tok)}`);
      fragments.push(this.tok.text);
      this.next();
    }
    let label: string | undefined;
    let labelOffset: number | undefined;
    if (!this.is('=') && !this.is('{')) {
      labelOffset = this.tok.offset;
      if (this.kind() !== 'STRING') this.fail(labelOffset, `expected "=" or a block label or "{", got ${describe(this.tok)}`);
      if (!this.tok.text.startsWith('"')) this.fail(labelOffset, 'expected block label to be a double quoted string');
      label = this.tok.text.slice(1, -1);
      if (label !== '' && !isIdentifier(label)) this.fail(labelOffset, `expected block label to be a valid identifier, but got ${this.tok.text}`);
      this.next();
    }
    const name = fragments.join('.');
    if (this.is('=')) {
      if (fragments.length > 1) this.fail(start, `attribute names may only consist of a single identifier with no "." (${name})`);
      if (labelOffset !== undefined) this.fail(labelOffset, 'attribute names may not have labels');
      this.next();
      return { kind: 'attribute', name, offset: start, value: this.expression() };
    }
    if (!this.is('{')) this.fail(this.tok.offset, `expected "{" after ${name}${label !== undefined ? ` "${label}"` : ''}, got ${describe(this.tok)}`);
    this.next();
    const body = this.body('}');
    this.expect('}', `"}" to close ${name}`);
    return { kind: 'block', name, offset: start, ...(label !== undefined && { label, labelOffset }), body };
  }

  expression(): Expr {
    return this.binary(1);
  }

  private binary(minPrecedence: number): Expr {
    let left = this.power();
    for (;;) {
      const prec = this.tok.kind === 'OP' ? (PRECEDENCE[this.tok.text] ?? 0) : 0;
      if (prec === 0 || prec === 6 || prec < minPrecedence) return left;
      const op = this.tok.text;
      const opOffset = this.tok.offset;
      this.next();
      const right = this.binary(prec + 1);
      left = { kind: 'binary', op, left, right, offset: left.offset, opOffset };
    }
  }

  /** `^` is right-associative. */
  private power(): Expr {
    const left = this.unary();
    if (!this.is('^')) return left;
    const opOffset = this.tok.offset;
    this.next();
    return { kind: 'binary', op: '^', left, right: this.power(), offset: left.offset, opOffset };
  }

  private unary(): Expr {
    if (this.is('!') || this.is('-')) {
      const { text: op, offset } = this.tok;
      this.next();
      return { kind: 'unary', op, value: this.unary(), offset };
    }
    let e = this.primary();
    for (;;) {
      if (this.is('.')) {
        this.next();
        if (this.tok.kind !== 'IDENT') this.fail(this.tok.offset, `expected identifier after ".", got ${describe(this.tok)}`);
        e = { kind: 'access', value: e, name: this.tok.text, offset: e.offset };
        this.next();
      } else if (this.is('[')) {
        this.next();
        const index = this.expression();
        this.expect(']', '"]"');
        e = { kind: 'index', value: e, index, offset: e.offset };
      } else if (this.is('(')) {
        this.next();
        const args = this.is(')') ? [] : this.list(')', 'argument list');
        this.expect(')', '")"');
        e = { kind: 'call', callee: e, args, offset: e.offset };
      } else if (this.is('{')) {
        this.fail(this.tok.offset, 'cannot use a block as an expression (a block is written without "=")');
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'IDENT':
        this.next();
        return { kind: 'ident', name: t.text, offset: t.offset };
      case 'STRING':
        this.next();
        return { kind: 'string', value: t.value as string, offset: t.offset };
      case 'NUMBER':
      case 'FLOAT':
        this.next();
        return { kind: 'number', value: numberValue(t), offset: t.offset };
      case 'BOOL':
        this.next();
        return { kind: 'bool', value: t.text === 'true', offset: t.offset };
      case 'NULL':
        this.next();
        return { kind: 'null', offset: t.offset };
      case 'OP':
        if (t.text === '(') {
          this.next();
          const inner = this.expression();
          this.expect(')', '")"');
          return { kind: 'paren', inner, offset: t.offset };
        }
        if (t.text === '[') {
          this.next();
          const items = this.is(']') ? [] : this.list(']', 'list');
          this.expect(']', '"]"');
          return { kind: 'array', items, offset: t.offset };
        }
        if (t.text === '{') {
          this.next();
          const fields = this.fields();
          this.expect('}', '"}"');
          return { kind: 'object', fields, offset: t.offset };
        }
    }
    return this.fail(t.offset, `expected a value, got ${describe(t)}`);
  }

  private list(until: string, what: string): Expr[] {
    const out: Expr[] = [];
    while (!this.is(until) && this.tok.kind !== 'EOF') {
      out.push(this.expression());
      if (this.is(until)) break;
      if (!this.is(',')) this.fail(this.tok.offset, `missing "," in ${what} (got ${describe(this.tok)}); a list that spans lines needs a comma after every item, the last one too`);
      this.next();
    }
    return out;
  }

  private fields(): Field[] {
    const out: Field[] = [];
    while (!this.is('}') && this.tok.kind !== 'EOF') {
      const t = this.tok;
      if (t.kind !== 'STRING' && t.kind !== 'IDENT') this.fail(t.offset, `expected field name (string or identifier), got ${describe(t)}`);
      // As upstream, a quoted key is taken between its quotes, unescaped.
      const name = t.kind === 'STRING' && t.text.length > 2 ? t.text.slice(1, -1) : t.text;
      this.next();
      this.expect('=', `"=" after the key ${t.text}`);
      out.push({ name, offset: t.offset, value: this.expression() });
      if (this.is('}')) break;
      if (!this.is(',')) this.fail(this.tok.offset, `missing "," in object (got ${describe(this.tok)}); an object that spans lines needs a comma after every field, the last one too`);
      this.next();
    }
    return out;
  }
}

/** As Go's strconv: an integer literal with a leading 0 is octal when it can be. */
function numberValue(t: Token): number {
  if (t.kind === 'NUMBER' && /^0[0-7]+$/.test(t.text)) return parseInt(t.text, 8);
  return Number(t.text);
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'the end of the file';
    case 'TERMINATOR':
      return 'a new line';
    case 'IDENT':
      return `identifier ${t.text}`;
    case 'STRING':
      return 'a string';
    case 'NUMBER':
    case 'FLOAT':
      return `number ${t.text}`;
    default:
      return `"${t.text}"`;
  }
}
