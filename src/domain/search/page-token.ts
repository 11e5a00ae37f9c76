/**
 * Page tokens: base64 of a JSON object carrying an `offset`, as MLflow's stores make them. Tokens are opaque to
 * clients, but the encoding matches Python's `base64.b64encode(json.dumps(obj))` byte for byte, so mltrack and
 * MLflow tokens look the same (`{"offset": 100}`).
 *
 * Logged-model tokens also carry the request they belong to (`experiment_ids`, `filter_string`, `order_by`); pass
 * the same fields as `expected` when decoding and a mismatch is rejected, as MLflow does.
 */
import { invalidParam } from '../errors.js';
import { limits } from '../limits.js';

/** Python `json.dumps` with default settings: `", "` / `": "` separators and non-ASCII escaped (ensure_ascii). */
function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  throw new TypeError(`Cannot encode ${typeof value} in a page token`);
}

/** Encodes `obj` (which should include `offset`) as a page token. */
export function encodePageToken(obj: Readonly<Record<string, unknown>>): string {
  return Buffer.from(pyJsonDumps(obj), 'utf8').toString('base64');
}

/** Encodes the usual `{"offset": N}` token. */
export function encodeOffsetToken(offset: number): string {
  return encodePageToken({ offset });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** MLflow treats absent, empty string and empty list alike in logged-model tokens (`token.get(k) or None`). */
function normalize(v: unknown): unknown {
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return null;
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const MISMATCH_LABELS: Readonly<Record<string, string>> = {
  experiment_ids: 'Experiment IDs in the page token do not match the requested experiment IDs',
  filter_string: 'Filter string in the page token does not match the requested filter string',
  order_by: 'Order by in the page token does not match the requested order by',
};

/**
 * Decodes a page token to its offset (a non-negative integer); an absent or empty token gives 0. Every other
 * malformation (bad base64, bad JSON, not an object, missing / negative / fractional offset, longer than
 * `limits.pageTokenMax`) is INVALID_PARAMETER_VALUE "Invalid page token...". With `expected`, each listed field
 * must equal the token's (absent, `""`, `[]` and `null` count as equal), else INVALID_PARAMETER_VALUE.
 */
export function decodeOffsetToken(
  token: string | undefined,
  expected?: Readonly<Record<string, unknown>>,
): number {
  return decodePageToken(token, expected).offset;
}

/** decodeOffsetToken, also returning the token's other fields (validated the same way). */
export function decodePageToken(
  token: string | undefined,
  expected?: Readonly<Record<string, unknown>>,
): { offset: number; fields: Readonly<Record<string, unknown>> } {
  if (token === undefined || token === '') return { offset: 0, fields: {} };
  if (token.length > limits.pageTokenMax) {
    throw invalidParam(`Invalid page token, length exceeds ${limits.pageTokenMax} characters`);
  }
  if (!BASE64.test(token)) throw invalidParam('Invalid page token, could not base64-decode');
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(token, 'base64'));
  } catch {
    throw invalidParam('Invalid page token, could not base64-decode');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw invalidParam(`Invalid page token, decoded value=${decoded}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParam(`Invalid page token, parsed value=${decoded}`);
  }
  const fields = parsed as Record<string, unknown>;
  const raw = fields['offset'];
  const offset = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidParam(`Invalid page token, parsed value=${decoded}`);
  }
  for (const [field, want] of Object.entries(expected ?? {})) {
    const found = normalize(fields[field]);
    const wanted = normalize(want);
    if (!deepEqual(found, wanted)) {
      const label = MISMATCH_LABELS[field] ?? `Field '${field}' in the page token does not match the request`;
      throw invalidParam(`${label}. Expected: ${JSON.stringify(wanted)}. Found: ${JSON.stringify(found)}`);
    }
  }
  return { offset, fields };
}

/**
 * The request fields a logged-model page token carries, in MLflow's order. Spread it into
 * {@link encodePageToken} together with `offset`, and pass it as `expected` to {@link decodeOffsetToken}.
 */
export function loggedModelTokenFields(
  experimentIds: readonly string[],
  filterString: string | undefined,
  orderBy: readonly unknown[] | undefined,
): Record<string, unknown> {
  return {
    experiment_ids: [...experimentIds],
    filter_string: filterString || null,
    order_by: orderBy && orderBy.length > 0 ? [...orderBy] : null,
  };
}
