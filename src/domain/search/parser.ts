/**
 * Generic, grammar-independent parse of an MLflow search filter (`comparison (AND comparison)*`) and of one
 * order_by clause (`identifier [ASC|DESC]`). The result is "raw": identifiers are still split into parts and
 * operators are not yet checked against an entity type. runs.ts, experiments.ts and logged-models.ts turn it into
 * the shared AST (ast.ts), each with its own rules.
 */

import { invalidParam, type MlflowError } from '../errors.js';
import { limits } from '../limits.js';
import { type IdentPart, LexError, type Token, tokenize } from './lexer.js';

export interface RawIdentifier {
  readonly parts: readonly IdentPart[];
  /** As written, for messages. */
  readonly text: string;
}

export type RawValue =
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string; readonly text: string }
  /** An unquoted word where a value was expected (MLflow: "Parameter value is either not quoted ..."). */
  | { readonly kind: 'bare'; readonly text: string }
  | { readonly kind: 'list'; readonly values: readonly string[]; readonly text: string }
  /** IS NULL / IS NOT NULL take no value. */
  | { readonly kind: 'none'; readonly text: string };

export interface RawComparison {
  readonly identifier: RawIdentifier;
  /** `=`, `!=`, ... as written (unknown operators such as `==` included); keyword operators upper-cased. */
  readonly op: string;
  readonly value: RawValue;
}

export interface RawOrderBy {
  readonly identifier: RawIdentifier;
  readonly ascending: boolean;
}

const invalidClause = (text: string): MlflowError =>
  invalidParam(`Invalid clause(s) in filter string: '${text}'`);

/** Parses a filter into raw comparisons. Empty, whitespace-only or absent filters give `[]`. */
export function parseFilterString(filter: string | undefined): RawComparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  if (filter.length > limits.filterStringMax) {
    throw invalidParam(
      `Search filter is too long (${filter.length} characters; at most ${limits.filterStringMax}).`,
    );
  }
  let tokens: Token[];
  try {
    tokens = tokenize(filter);
  } catch (e) {
    if (e instanceof LexError) throw invalidClause(filter.slice(e.pos).trim());
    throw e;
  }
  const statements = splitStatements(tokens);
  if (statements.length > 1) {
    throw invalidParam(
      `Search filter contained multiple expression '${filter}'. Provide AND-ed expression list.`,
    );
  }
  const semicolon = tokens.find((t) => t.kind === 'semicolon');
  if (semicolon) throw invalidClause(semicolon.text);
  const comparisons = new FilterParser(tokens, filter).parse();
  if (comparisons.length > limits.filterClausesMax) {
    throw invalidParam(
      `Search filter has ${comparisons.length} clauses; at most ${limits.filterClausesMax} are supported.`,
    );
  }
  for (const c of comparisons) {
    if (c.value.kind === 'list' && c.value.values.length > limits.listValuesMax) {
      throw invalidParam(`An IN list can hold at most ${limits.listValuesMax} values.`);
    }
  }
  return comparisons;
}

function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'semicolon') {
      if (current.length > 0) statements.push(current);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

class FilterParser {
  private i = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
  ) {}

  parse(): RawComparison[] {
    const out: RawComparison[] = [];
    for (;;) {
      out.push(this.comparison());
      const t = this.tokens[this.i];
      if (t === undefined) return out;
      if (t.kind !== 'keyword' || t.value !== 'AND') throw this.clauseError(this.i);
      this.i++;
      if (this.i >= this.tokens.length) throw invalidClause(t.text);
    }
  }

  /** An error quoting the source from token `from` up to the next AND (or the end). */
  private clauseError(from: number): MlflowError {
    const first = this.tokens[from];
    if (first === undefined) return invalidClause(this.tokens[this.tokens.length - 1]?.text ?? '');
    let end = this.source.length;
    for (let j = from + 1; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.kind === 'keyword' && t.value === 'AND') {
        end = t.pos;
        break;
      }
    }
    return invalidClause(this.source.slice(first.pos, end).trim());
  }

  private comparison(): RawComparison {
    const start = this.i;
    const key = this.tokens[this.i];
    let identifier: RawIdentifier;
    if (key?.kind === 'ident') {
      identifier = { parts: key.parts, text: key.text };
    } else if (key?.kind === 'string' && key.quote === '"') {
      identifier = { parts: [{ name: key.value, quote: '"' }], text: key.text };
    } else {
      throw this.clauseError(start);
    }
    this.i++;
    const op = this.operator(start);
    if (op === 'IS NULL' || op === 'IS NOT NULL')
      return { identifier, op, value: { kind: 'none', text: '' } };
    const value = op === 'IN' || op === 'NOT IN' ? this.list(start) : this.scalar(start);
    return { identifier, op, value };
  }

  private operator(start: number): string {
    const t = this.tokens[this.i];
    if (t?.kind === 'op') {
      this.i++;
      return t.value;
    }
    if (t?.kind !== 'keyword') throw this.clauseError(start);
    const following = this.tokens[this.i + 1];
    const isKeyword = (tok: Token | undefined, kw: string) => tok?.kind === 'keyword' && tok.value === kw;
    switch (t.value) {
      case 'LIKE':
      case 'ILIKE':
      case 'IN':
        this.i++;
        return t.value;
      case 'NOT':
        if (!isKeyword(following, 'IN')) throw this.clauseError(start);
        this.i += 2;
        return 'NOT IN';
      case 'IS':
        if (isKeyword(following, 'NULL')) {
          this.i += 2;
          return 'IS NULL';
        }
        if (isKeyword(following, 'NOT') && isKeyword(this.tokens[this.i + 2], 'NULL')) {
          this.i += 3;
          return 'IS NOT NULL';
        }
        throw this.clauseError(start);
      default:
        throw this.clauseError(start);
    }
  }

  private scalar(start: number): RawValue {
    const t = this.tokens[this.i];
    if (t === undefined) throw this.clauseError(start);
    this.i++;
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value, text: t.text };
      case 'string':
        return { kind: 'string', value: t.value, text: t.text };
      case 'ident':
        return { kind: 'bare', text: t.text };
      default:
        throw this.clauseError(start);
    }
  }

  /** `( 'a' , "b" [,] )`: a non-empty list of quoted strings, as MLflow's `ast.literal_eval` tuple check wants. */
  private list(start: number): RawValue {
    const open = this.tokens[this.i];
    if (open?.kind !== 'lparen') throw this.clauseError(start);
    const illFormed = () =>
      invalidParam(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      );
    const values: string[] = [];
    let nonString = false;
    let j = this.i + 1;
    for (;;) {
      const item = this.tokens[j];
      if (item === undefined) throw illFormed();
      if (item.kind === 'rparen') break;
      if (item.kind === 'string') values.push(item.value);
      else if (item.kind === 'number') nonString = true;
      else throw illFormed();
      const sep = this.tokens[j + 1];
      if (sep?.kind === 'rparen') {
        j++;
        break;
      }
      if (sep?.kind !== 'comma') throw illFormed();
      j += 2;
    }
    const close = this.tokens[j]!;
    const text = this.source.slice(open.pos, close.pos + 1);
    this.i = j + 1;
    if (nonString) {
      throw invalidParam(
        'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
          `but got different type in list: ${text}`,
      );
    }
    if (values.length === 0) {
      throw invalidParam(
        'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
      );
    }
    return { kind: 'list', values, text };
  }
}

/** Parses one order_by entry: an identifier (or double-quoted key), then optionally ASC or DESC (any case). */
export function parseOrderByClause(clause: string): RawOrderBy {
  const unparsable = () => invalidParam(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  let tokens: Token[];
  try {
    tokens = tokenize(clause);
  } catch (e) {
    if (e instanceof LexError) throw unparsable();
    throw e;
  }
  const [key, direction, ...rest] = tokens;
  let identifier: RawIdentifier;
  if (key?.kind === 'ident') identifier = { parts: key.parts, text: key.text };
  else if (key?.kind === 'string' && key.quote === '"') {
    identifier = { parts: [{ name: key.value, quote: '"' }], text: key.text };
  } else throw unparsable();
  if (rest.length > 0) throw unparsable();
  if (direction === undefined) return { identifier, ascending: true };
  const word = direction.kind === 'ident' && direction.parts.length === 1 ? direction.parts[0]! : undefined;
  if (word === undefined && direction.kind !== 'keyword') throw unparsable();
  const dir = (word?.name ?? direction.text).toLowerCase();
  if (dir !== 'asc' && dir !== 'desc') {
    throw invalidParam(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return { identifier, ascending: dir === 'asc' };
}

/**
 * Splits an identifier into its prefix (entity type, as written) and key. A single part has no prefix; with more
 * parts the first is the prefix and the rest, re-joined with dots, the key (`tags.mlflow.runName`).
 */
export function splitIdentifier(id: RawIdentifier): { prefix: IdentPart | undefined; key: string } {
  const [first, ...rest] = id.parts;
  if (first === undefined) return { prefix: undefined, key: '' };
  if (rest.length === 0) return { prefix: undefined, key: first.name };
  return { prefix: first, key: rest.map((p) => p.name).join('.') };
}

/** Python-style repr of a list of strings, as MLflow's messages print them: `['a', 'b']`. */
export function pyList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

/** MLflow's "not quoted" error for a bare word in value position. */
export function notQuoted(text: string): MlflowError {
  return invalidParam(
    `Parameter value is either not quoted or unidentified quote types used for string value ${text}. ` +
      'Use either single or double quotes.',
  );
}
