/**
 * Tokeniser for MLflow's search filters and order_by clauses. MLflow lexes with Python's `sqlparse`; this is a
 * small hand-written lexer covering the subset those grammars use, with the same quoting rules:
 *
 * - identifiers are dotted words (`metrics.acc`, `tags.mlflow.runName`); any part may be backtick-quoted and a part
 *   after a dot may also be double- or single-quoted (``metrics.`f1 score` ``, `params."learning-rate"`);
 * - a quoted token that does not follow `prefix.` is a string (`'a'` or `"a"`); the parser decides whether a
 *   double-quoted string stands for a key (left of the operator) or a value;
 * - inside quotes, a doubled quote stands for one quote, and a backslash escapes a quote or a backslash (other
 *   backslashes are kept as written, so LIKE escapes such as `\_` survive);
 * - numbers are `-?(\d+(\.\d*)?|\.\d+)` with an optional exponent, and must not run into a letter;
 * - comparison operators are maximal runs of `<>=!~` (validated later, as MLflow does);
 * - AND OR NOT IN LIKE ILIKE IS NULL are keywords, case-insensitively, unless they are part of a dotted name.
 */

export type Keyword = 'AND' | 'OR' | 'NOT' | 'IN' | 'LIKE' | 'ILIKE' | 'IS' | 'NULL';

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>([
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ILIKE',
  'IS',
  'NULL',
]);

export type Quote = "'" | '"' | '`';

/** One dot-separated part of an identifier; `name` is already unquoted. */
export interface IdentPart {
  readonly name: string;
  readonly quote: Quote | '';
}

interface TokenBase {
  /** Offset of the token's first character in the input. */
  readonly pos: number;
  /** The token exactly as written. */
  readonly text: string;
}

export type Token =
  | (TokenBase & { readonly kind: 'ident'; readonly parts: readonly IdentPart[] })
  | (TokenBase & { readonly kind: 'string'; readonly value: string; readonly quote: "'" | '"' })
  | (TokenBase & { readonly kind: 'number'; readonly value: number })
  | (TokenBase & { readonly kind: 'op'; readonly value: string })
  | (TokenBase & { readonly kind: 'keyword'; readonly value: Keyword })
  | (TokenBase & { readonly kind: 'lparen' | 'rparen' | 'comma' | 'semicolon' });

/** Thrown by {@link tokenize}; callers turn it into an MLflow INVALID_PARAMETER_VALUE with their own wording. */
export class LexError extends Error {
  readonly pos: number;
  constructor(pos: number, message: string) {
    super(message);
    this.name = 'LexError';
    this.pos = pos;
  }
}

const WORD_START = /[\p{L}_]/u;
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATOR = /[<>=!~]+/y;
const WHITESPACE = /\s/;

const PUNCTUATION: Readonly<Record<string, 'lparen' | 'rparen' | 'comma' | 'semicolon'>> = {
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  ';': 'semicolon',
};

/** Splits `input` into tokens. Throws {@link LexError} on a character no grammar uses or an unterminated quote. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (WHITESPACE.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    const punct = PUNCTUATION[ch];
    if (punct !== undefined) {
      tokens.push({ kind: punct, pos: start, text: ch });
      i++;
    } else if (ch === "'" || ch === '"') {
      const [value, end] = readQuoted(input, i, ch);
      tokens.push({ kind: 'string', value, quote: ch, pos: start, text: input.slice(start, end) });
      i = end;
    } else if (ch === '`' || WORD_START.test(ch)) {
      i = readIdentifier(input, i, tokens);
    } else if (startsNumber(input, i)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(input)!;
      const end = i + m[0].length;
      const next = input[end];
      if (next !== undefined && (WORD_START.test(next) || next === '.')) {
        throw new LexError(start, `Invalid number near '${input.slice(start, end + 1)}'`);
      }
      tokens.push({ kind: 'number', value: Number(m[0]), pos: start, text: m[0] });
      i = end;
    } else if ('<>=!~'.includes(ch)) {
      OPERATOR.lastIndex = i;
      const op = OPERATOR.exec(input)![0];
      tokens.push({ kind: 'op', value: op, pos: start, text: op });
      i += op.length;
    } else {
      throw new LexError(start, `Unexpected character '${ch}'`);
    }
  }
  return tokens;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function startsNumber(input: string, i: number): boolean {
  let j = i;
  if (input[j] === '-') j++;
  return isDigit(input[j]) || (input[j] === '.' && isDigit(input[j + 1]));
}

/** Reads a quoted run starting at `i` (which holds `quote`); returns the unquoted value and the end offset. */
function readQuoted(input: string, i: number, quote: Quote): [string, number] {
  let value = '';
  let j = i + 1;
  while (j < input.length) {
    const ch = input[j]!;
    if (ch === quote) {
      if (input[j + 1] === quote) {
        value += quote;
        j += 2;
        continue;
      }
      return [value, j + 1];
    }
    if (ch === '\\' && quote !== '`' && j + 1 < input.length) {
      const next = input[j + 1]!;
      value += next === quote || next === '\\' ? next : ch + next;
      j += 2;
      continue;
    }
    value += ch;
    j++;
  }
  throw new LexError(i, `Unterminated quoted text starting at '${input.slice(i, i + 20)}'`);
}

/** Reads one identifier part (a bare word or backticks; after a dot also `"..."` or `'...'`); returns it and its end. */
function readPart(input: string, i: number, first: boolean): [IdentPart, number] {
  const ch = input[i];
  if (ch === '`' || (!first && (ch === '"' || ch === "'"))) {
    const [name, end] = readQuoted(input, i, ch);
    return [{ name, quote: ch }, end];
  }
  const startOk = ch !== undefined && (first ? WORD_START.test(ch) : WORD_CHAR.test(ch));
  if (!startOk) throw new LexError(i, `Invalid identifier near '${input.slice(Math.max(0, i - 1), i + 10)}'`);
  let j = i + 1;
  while (j < input.length && WORD_CHAR.test(input[j]!)) j++;
  return [{ name: input.slice(i, j), quote: '' }, j];
}

function readIdentifier(input: string, i: number, tokens: Token[]): number {
  const start = i;
  const parts: IdentPart[] = [];
  let [part, j] = readPart(input, i, true);
  parts.push(part);
  while (input[j] === '.') {
    [part, j] = readPart(input, j + 1, false);
    parts.push(part);
  }
  const text = input.slice(start, j);
  const only = parts[0]!;
  if (parts.length === 1 && only.quote === '' && KEYWORDS.has(only.name.toUpperCase())) {
    tokens.push({ kind: 'keyword', value: only.name.toUpperCase() as Keyword, pos: start, text });
  } else {
    tokens.push({ kind: 'ident', parts, pos: start, text });
  }
  return j;
}
