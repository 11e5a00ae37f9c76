import { createHash } from 'node:crypto';
import { invalidParam } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';

/**
 * Keyset page tokens of the DynamoDB store: base64url JSON `{q, a}` where `q` fingerprints the query the token
 * belongs to (filter, order, view, scope) and `a` is the sort key of the last item returned. The next page starts
 * strictly after `a` in the query's total order, so runs created or deleted between pages neither repeat nor shift
 * the page (offset tokens would). A token from another query, or not one of ours, is INVALID_PARAMETER_VALUE.
 */
export type SortKey = readonly (string | number | null)[];

export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 16);
}

export function encodeCursor(fingerprint: string, after: SortKey): string {
  return Buffer.from(JSON.stringify({ q: fingerprint, a: after }), 'utf8').toString('base64url');
}

export function decodeCursor(token: string | undefined, fingerprint: string): SortKey | undefined {
  if (token === undefined || token === '') return undefined;
  if (token.length > limits.pageTokenMax) {
    throw invalidParam(`Invalid page token, length exceeds ${limits.pageTokenMax} characters`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidParam('Invalid page token, could not decode it');
  }
  const p = parsed as { q?: unknown; a?: unknown };
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.q !== 'string' ||
    !Array.isArray(p.a) ||
    !p.a.every((x) => x === null || typeof x === 'string' || typeof x === 'number')
  ) {
    throw invalidParam('Invalid page token, not a token of this server');
  }
  if (p.q !== fingerprint) {
    throw invalidParam(
      'Invalid page token: it belongs to a different search (filter, order or scope changed)',
    );
  }
  return p.a as SortKey;
}

/**
 * One page of `sorted` (ascending by `cmp` over the sort keys) after the cursor: items, and the token of the next
 * page when more remain.
 */
export function pageAfter<T>(
  sorted: readonly T[],
  keyOf: (t: T) => SortKey,
  cmp: (a: SortKey, b: SortKey) => number,
  after: SortKey | undefined,
  maxResults: number,
  fingerprint: string,
): { items: T[]; nextPageToken?: string } {
  let start = 0;
  if (after !== undefined) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(keyOf(sorted[mid]!), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items = sorted.slice(start, start + maxResults);
  const out: { items: T[]; nextPageToken?: string } = { items };
  if (start + maxResults < sorted.length && items.length > 0) {
    out.nextPageToken = encodeCursor(fingerprint, keyOf(items[items.length - 1]!));
  }
  return out;
}
