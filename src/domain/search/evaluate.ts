import { invalidParam } from '../errors.js';
import type { Comparison } from './ast.js';

/**
 * The filter grammar evaluated in memory, with the SQL stores' semantics (which are MLflow's SQLAlchemy store's):
 * a missing value (SQL NULL) satisfies no comparison but `IS NULL`; `=`, `!=`, `<`… and LIKE are case-sensitive
 * and compare strings by UTF-8 bytes (binary collation); ILIKE lower-cases both sides; `%` and `_` are the only
 * LIKE wildcards. Used by stores without SQL (DynamoDB) to filter candidates and verify index hits.
 */
export type Scalar = string | number | null | undefined;

const likeCache = new Map<string, RegExp>();

/** SQL LIKE pattern → anchored RegExp (`%` any run, `_` one character). */
export function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = likeCache.get(cacheKey);
  if (re === undefined) {
    let src = '';
    for (const ch of caseInsensitive ? pattern.toLowerCase() : pattern) {
      if (ch === '%') src += '.*';
      else if (ch === '_') src += '.';
      else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, 'su');
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(cacheKey, re);
  }
  return re;
}

/** Binary (UTF-8 byte) order of two strings, as SQL's binary collations compare them. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // Code-point order equals UTF-8 byte order; UTF-16 order differs only around surrogates, so compare by code point.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Orders two non-null scalars of the same column: numbers numerically, strings by bytes. */
export function compareScalars(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return compareStrings(String(a), String(b));
}

function literalFor(actual: string | number, c: Comparison): string | number {
  const v = c.value;
  if (v.kind === 'number') return typeof actual === 'string' ? String(v.value) : v.value;
  if (v.kind === 'string') {
    if (typeof actual === 'number') {
      const n = Number(v.value);
      return v.value.trim() !== '' && Number.isFinite(n) ? n : v.value;
    }
    return v.value;
  }
  throw invalidParam(`Invalid value for comparison with '${c.key}'`);
}

/** Whether `actual` satisfies the comparison (NULL / undefined = no value). */
export function matches(actual: Scalar, c: Comparison): boolean {
  if (c.op === 'IS NULL') return actual === null || actual === undefined;
  if (c.op === 'IS NOT NULL') return actual !== null && actual !== undefined;
  if (actual === null || actual === undefined) return false;
  switch (c.op) {
    case 'IN':
    case 'NOT IN': {
      if (c.value.kind !== 'list') throw invalidParam(`Expected a list of values for '${c.op}'`);
      const s = String(actual);
      const hit = c.value.values.some((x) => x === s);
      return c.op === 'IN' ? hit : !hit;
    }
    case 'LIKE':
      return likeRegExp(String(literalFor(String(actual), c)), false).test(String(actual));
    case 'ILIKE':
      return likeRegExp(String(literalFor(String(actual), c)), true).test(String(actual).toLowerCase());
    default: {
      const lit = literalFor(actual, c);
      const cmp =
        typeof actual === 'number' && typeof lit === 'number'
          ? actual < lit
            ? -1
            : actual > lit
              ? 1
              : 0
          : compareStrings(String(actual), String(lit));
      switch (c.op) {
        case '=':
          return cmp === 0;
        case '!=':
          return cmp !== 0;
        case '<':
          return cmp < 0;
        case '<=':
          return cmp <= 0;
        case '>':
          return cmp > 0;
        case '>=':
          return cmp >= 0;
        default:
          throw invalidParam(`Invalid comparator '${c.op}'`);
      }
    }
  }
}

/**
 * A latest-metric comparison: a run without the metric never matches; NaN compares like IEEE NaN (it satisfies
 * only `!=`), as in MLflow.
 */
export function matchesMetric(value: number | undefined, c: Comparison): boolean {
  if (value === undefined) return false;
  if (Number.isNaN(value)) return c.op === '!=';
  return matches(value, c);
}
