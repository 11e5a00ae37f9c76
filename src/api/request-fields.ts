import { invalidParam } from '../domain/errors.js';

/**
 * Reading request fields the way MLflow's protobuf JSON parser does: GET fields come from the query string
 * (numbers as strings, repeated keys as arrays), other methods from the JSON body. Unknown fields are ignored.
 */
export type Fields = Record<string, unknown>;

const missing = (name: string) =>
  invalidParam(
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
  );

/** JSON of a rejected value for an error message: bounded in size, safe on hostile nesting. */
export function preview(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  if (s === undefined) return String(typeof value);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** The raw JSON body behind a Fields object, kept for error messages (JSON.parse forgets `9.0` vs `9`). */
export const RAW_BODY = Symbol('rawBody');

/** The number literal exactly as the client wrote it for a field, when the raw body is at hand. */
function sourceLiteral(f: Fields, name: string): string | undefined {
  const raw = (f as { [RAW_BODY]?: Buffer })[RAW_BODY];
  if (raw === undefined) return undefined;
  let found: string | undefined;
  try {
    JSON.parse(raw.toString('utf8'), (key, value, ctx?: { source?: string }) => {
      if (found === undefined && key === name && typeof value === 'number') found = ctx?.source;
      return value;
    });
  } catch {
    return undefined;
  }
  return found;
}

/** MLflow's type-mismatch message: value as Python's json.dumps shows it, and Python's type name. */
const badType = (f: Fields, name: string, value: unknown) => {
  const literal = typeof value === 'number' ? sourceLiteral(f, name) : undefined;
  const shown = literal ?? preview(value);
  return invalidParam(
    `Invalid value ${shown} for parameter '${name}' supplied:  Hint: Value was of type '${pyType(value, literal)}'. See the API docs for more information about request parameters.`,
  );
};

function pyType(v: unknown, literal?: string): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') {
    if (literal !== undefined) return /[.eE]/.test(literal) ? 'float' : 'int';
    return Number.isInteger(v) ? 'int' : 'float';
  }
  if (typeof v === 'boolean') return 'bool';
  return 'dict';
}

/** A single value (GET repeats collapse to the last, as protobuf does for non-repeated fields). */
function single(f: Fields, name: string): unknown {
  const v = f[name];
  if (Array.isArray(v) && f.__query === true) return v[v.length - 1];
  return v;
}

export function optString(f: Fields, name: string): string | undefined {
  const v = single(f, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // The query string only carries strings; in a JSON body protobuf rejects a number for a string field.
  throw badType(f, name, v);
}

export function reqString(f: Fields, name: string): string {
  const v = optString(f, name);
  if (v === undefined || v === '') throw missing(name);
  return v;
}

/** int64/int32 field: JSON number or numeric string. */
export function optInt(f: Fields, name: string): number | undefined {
  const v = single(f, name);
  if (v === undefined || v === null) return undefined;
  // int64 fields: mltrack keeps them exact, so values beyond ±(2^53-1) are refused rather than rounded.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) && Number.isSafeInteger(Number.parseInt(v, 10))) {
    return Number.parseInt(v, 10);
  }
  throw badType(f, name, v);
}

export function reqInt(f: Fields, name: string): number {
  const v = optInt(f, name);
  if (v === undefined) throw missing(name);
  return v;
}

/** double field: JSON number, numeric string, or "NaN"/"Infinity"/"-Infinity". */
export function parseDouble(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === 'NaN' || s === 'nan') return Number.NaN;
    if (s === 'Infinity' || s === 'inf') return Number.POSITIVE_INFINITY;
    if (s === '-Infinity' || s === '-inf') return Number.NEGATIVE_INFINITY;
    if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  }
  throw badType({}, name, v);
}

export function optBool(f: Fields, name: string): boolean | undefined {
  const v = single(f, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  throw badType(f, name, v);
}

/** Repeated string field: array in JSON, repeated key in the query string, or one value. */
export function strList(f: Fields, name: string): string[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x) => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number') return String(x);
    throw badType(f, name, v);
  });
}

/** Repeated message field (JSON bodies only). */
export function objList(f: Fields, name: string): Fields[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badType(f, name, v);
  return v.map((x) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw badType(f, name, v);
    return x as Fields;
  });
}

export function optObject(f: Fields, name: string): Fields | undefined {
  const v = f[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badType(f, name, v);
  return v as Fields;
}

/** Enum by name (any case accepted where MLflow does) or by its protobuf number. */
export function optEnum<T extends string>(
  f: Fields,
  name: string,
  values: readonly T[],
  numbers?: Readonly<Record<number, T>>,
): T | undefined {
  const v = single(f, name);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
    const n = numbers?.[Number(v)];
    if (n !== undefined) return n;
  } else if (typeof v === 'string') {
    const hit = values.find((x) => x === v) ?? values.find((x) => x.toUpperCase() === v.toUpperCase());
    if (hit !== undefined) return hit;
  }
  throw invalidParam(`Invalid value ${preview(v)} for parameter '${name}' supplied.`);
}

/** Key/value list (tags, params): every element needs a key. */
export function keyValues(f: Fields, name: string, requireValue = false): { key: string; value: string }[] {
  return objList(f, name).map((o, i) => {
    const key = o.key;
    if (typeof key !== 'string' || key === '') throw missing(`${name}[${i}].key`);
    const value = o.value;
    if (value === undefined || value === null) {
      if (requireValue) throw missing(`${name}[${i}].value`);
      return { key, value: '' };
    }
    if (typeof value !== 'string') throw badType(f, `${name}[${i}].value`, value);
    return { key, value };
  });
}

export { missing as missingParam };
