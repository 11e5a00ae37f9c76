/**
 * Lexical helpers the PostgreSQL and MySQL drivers share: finding `?` placeholders and `;` statement separators
 * outside string literals, quoted identifiers and comments, and turning a one-row INSERT into a multi-row one.
 */

export interface ScanOptions {
  /**
   * MySQL (with ANSI_QUOTES): a backslash escapes the next character inside '...' literals, `#` and `-- ` (dashes
   * then whitespace) start a comment, backticks quote identifiers.
   */
  readonly mysql?: boolean;
}

/**
 * Calls `onChar(i)` for every character of sql that is outside quotes and comments (a `'...'` literal with `''`
 * escapes, a `"..."` or `` `...` `` identifier, a `-- ` or `#` line comment, a block comment).
 */
function scan(sql: string, opts: ScanOptions, onChar: (i: number) => void): void {
  const n = sql.length;
  const mysql = opts.mysql === true;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 39 /* ' */ || c === 34 /* " */ || (mysql && c === 96) /* ` */) {
      i = skipQuoted(sql, i, c, mysql && c === 39);
      continue;
    }
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45 && (!mysql || !(sql.charCodeAt(i + 2) > 32))) {
      i = skipLine(sql, i);
      continue;
    }
    if (mysql && c === 35 /* # */) {
      i = skipLine(sql, i);
      continue;
    }
    if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      continue;
    }
    onChar(i);
    i++;
  }
}

function skipQuoted(sql: string, start: number, quote: number, backslash: boolean): number {
  const n = sql.length;
  for (let i = start + 1; i < n; i++) {
    const c = sql.charCodeAt(i);
    if (backslash && c === 92 /* \ */) {
      i++;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i++;
      else return i + 1;
    }
  }
  return n;
}

function skipLine(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end === -1 ? sql.length : end + 1;
}

/** Positions of the `?` placeholders of sql (outside literals, quoted identifiers and comments). */
export function placeholderPositions(sql: string, opts: ScanOptions = {}): number[] {
  const out: number[] = [];
  scan(sql, opts, (i) => {
    if (sql.charCodeAt(i) === 63 /* ? */) out.push(i);
  });
  return out;
}

/** `?` placeholders → PostgreSQL's `$1..$n`. */
export function toDollarPlaceholders(sql: string): string {
  const pos = placeholderPositions(sql);
  if (pos.length === 0) return sql;
  let out = '';
  let from = 0;
  pos.forEach((p, k) => {
    out += `${sql.slice(from, p)}$${k + 1}`;
    from = p + 1;
  });
  return out + sql.slice(from);
}

/** The statements of a script, split at top-level `;` (empty ones dropped). */
export function splitStatements(sql: string, opts: ScanOptions = {}): string[] {
  const out: string[] = [];
  let from = 0;
  scan(sql, opts, (i) => {
    if (sql.charCodeAt(i) === 59 /* ; */) {
      out.push(sql.slice(from, i));
      from = i + 1;
    }
  });
  out.push(sql.slice(from));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** A one-row INSERT split around its VALUES tuple, for repeating the tuple. */
export interface InsertTemplate {
  readonly head: string;
  readonly tuple: string;
  readonly tail: string;
  readonly paramsPerRow: number;
}

/**
 * Splits `INSERT ... VALUES (?, ?, ...) <tail>` when every placeholder is inside the one VALUES tuple and
 * repeating the tuple keeps the statement's row-by-row meaning: `tailOk(tail)` decides (e.g. an empty tail,
 * `ON CONFLICT DO NOTHING`, MySQL's `ON DUPLICATE KEY UPDATE`; not PostgreSQL's `DO UPDATE`, which refuses to
 * touch a row twice in one statement). Undefined when the statement does not have that shape.
 */
export function insertTemplate(
  sql: string,
  opts: ScanOptions,
  tailOk: (tail: string) => boolean,
): InsertTemplate | undefined {
  if (!/^\s*INSERT\b/i.test(sql)) return undefined;
  const top: number[] = [];
  scan(sql, opts, (i) => {
    top.push(i);
  });
  const visible = new Set(top);
  // the one top-level VALUES keyword
  let valuesAt = -1;
  const re = /\bVALUES\b/gi;
  for (let m = re.exec(sql); m !== null; m = re.exec(sql)) {
    if (!visible.has(m.index)) continue;
    if (valuesAt !== -1) return undefined;
    valuesAt = m.index;
  }
  if (valuesAt === -1) return undefined;
  let open = valuesAt + 6;
  while (open < sql.length && /\s/.test(sql.charAt(open))) open++;
  if (sql.charAt(open) !== '(') return undefined;
  let depth = 0;
  let close = -1;
  for (const i of top) {
    if (i < open) continue;
    const c = sql.charAt(i);
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close === -1) return undefined;
  const all = placeholderPositions(sql, opts);
  if (all.length === 0 || all.some((p) => p < open || p > close)) return undefined;
  const tail = sql.slice(close + 1);
  if (!tailOk(tail)) return undefined;
  return { head: sql.slice(0, open), tuple: sql.slice(open, close + 1), tail, paramsPerRow: all.length };
}

/** The statement for `rows` rows of the template. */
export function multiRowSql(t: InsertTemplate, rows: number): string {
  return `${t.head}${Array(rows).fill(t.tuple).join(', ')}${t.tail}`;
}

/**
 * Cuts parameter lists into batches of at most `maxParams` parameters, `maxRows` rows and roughly `maxBytes` of
 * string/byte data, so one statement stays within the server's limits (PostgreSQL: 65535 parameters; MySQL:
 * max_allowed_packet, as values are inlined client-side).
 */
export function batches<T extends readonly unknown[]>(
  lists: readonly T[],
  paramsPerRow: number,
  limits: { maxParams: number; maxRows: number; maxBytes: number },
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  const rowLimit = Math.max(1, Math.min(limits.maxRows, Math.floor(limits.maxParams / paramsPerRow)));
  for (const l of lists) {
    let b = 0;
    for (const v of l) b += typeof v === 'string' ? v.length * 3 : v instanceof Uint8Array ? v.length * 2 : 8;
    if (cur.length > 0 && (cur.length >= rowLimit || bytes + b > limits.maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(l);
    bytes += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** A bounded memo for per-SQL-text work (placeholder rewrites, templates). */
export class TextCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max = 2000) {}
  get(sql: string, make: (sql: string) => V): V {
    let v = this.map.get(sql);
    if (v === undefined && !this.map.has(sql)) {
      v = make(sql);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(sql, v);
    }
    return v as V;
  }
}
