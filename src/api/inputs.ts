import type { KeyValue } from '../domain/entities/common.js';
import type { Metric } from '../domain/entities/metric.js';
import { invalidParam } from '../domain/errors.js';
import { limits } from '../domain/limits.js';
import { invalidValue, limitLength, missingValue, validateKey } from '../domain/validation.js';
import { type Fields, keyValues, optInt, optString, parseDouble } from './request-fields.js';

/** Request → validated domain inputs, with MLflow's messages. Shared by the route groups. */

export function runIdOf(f: Fields): string {
  const id = optString(f, 'run_id') || optString(f, 'run_uuid');
  if (!id)
    throw invalidParam(
      `${missingValue('run_id')} See the API docs for more information about request parameters.`,
    );
  return id;
}

export function maxResults(f: Fields, dflt: number | undefined, max: number, name = 'max_results'): number {
  const n = optInt(f, name) ?? dflt;
  if (n === undefined || n <= 0) {
    throw invalidParam(
      `Invalid value ${n ?? 0} for parameter '${name}' supplied. It must be a positive integer`,
    );
  }
  if (n > max)
    throw invalidParam(`Invalid value ${n} for parameter '${name}' supplied. It must be at most ${max}`);
  return n;
}

/** Every repeated input is bounded: a list longer than `max` is a client mistake. */
export function bounded<T>(list: T[], name: string, max: number): T[] {
  if (list.length > max) throw invalidParam(`'${name}' can hold at most ${max} entries; got ${list.length}.`);
  return list;
}

/** An int64 that must stay exact: a safe integer (JSON number or numeric string). */
function exactInt(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

/** A model output step (`runs/outputs`): an exact integer, default 0. */
export function outputStep(v: unknown, path: string): number {
  const step = exactInt(v ?? 0);
  if (step === undefined)
    throw invalidParam(invalidValue(path, v, 'Step must be a valid long (64-bit integer).'));
  return step;
}

/** A run tag: key rules, value truncated to 8000 (or rejected when truncation is off). */
export function runTag(kv: KeyValue, path: string, truncate: boolean): KeyValue {
  validateKey(kv.key, path ? `${path}.key` : 'key');
  limitLength(path ? `${path}.key` : 'key', limits.keyMax, kv.key);
  return {
    key: kv.key,
    value: limitLength(path ? `${path}.value` : 'value', limits.runTagValueMax, kv.value, truncate),
  };
}

export function runParam(kv: KeyValue, path: string, truncate: boolean): KeyValue {
  validateKey(kv.key, path ? `${path}.key` : 'key');
  limitLength('Param key', limits.keyMax, kv.key);
  return { key: kv.key, value: limitLength('Param value', limits.paramValueMax, kv.value, truncate) };
}

export function experimentTag(kv: KeyValue): KeyValue {
  validateKey(kv.key, 'key');
  limitLength('key', limits.keyMax, kv.key);
  limitLength('value', limits.experimentTagValueMax, kv.value);
  return kv;
}

export function runTags(f: Fields, name: string, truncate: boolean): KeyValue[] {
  return keyValues(f, name).map((kv, i) => runTag(kv, `${name}[${i}]`, truncate));
}

/** One metric from a JSON object (log-batch element or log-metric body), validated like _validate_metric. */
export function metricFrom(o: Fields, path: string): Metric {
  const p = (s: string) => (path ? `${path}.${s}` : s);
  const key = o.key;
  if (key === undefined || key === null || key === '') throw invalidParam(missingValue(p('key')));
  if (typeof key !== 'string') throw invalidParam(invalidValue(p('key'), key));
  validateKey(key, p('name'));
  if (o.value === undefined || o.value === null) throw invalidParam(missingValue(p('value')));
  if (typeof o.value === 'boolean') {
    throw invalidParam(
      invalidValue(
        p('value'),
        o.value,
        `(timestamp=${String(o.timestamp)}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  let value: number;
  try {
    value = parseDouble(o.value, p('value'));
  } catch {
    throw invalidParam(
      invalidValue(
        p('value'),
        o.value,
        `(timestamp=${String(o.timestamp)}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  if (o.timestamp === undefined || o.timestamp === null) throw invalidParam(missingValue(p('timestamp')));
  const timestamp = exactInt(o.timestamp);
  if (timestamp === undefined || timestamp < 0) {
    throw invalidParam(
      invalidValue(
        p('timestamp'),
        o.timestamp,
        `metric '${key}' (value=${String(o.value)}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    );
  }
  const step = exactInt(o.step ?? 0);
  if (step === undefined) {
    throw invalidParam(
      invalidValue(
        p('step'),
        o.step,
        `metric '${key}' (value=${String(o.value)}). Step must be a valid long (64-bit integer).`,
      ),
    );
  }
  limitLength('Metric name', limits.keyMax, key);
  const m: Metric = { key, value, timestamp, step };
  if (typeof o.model_id === 'string' && o.model_id) m.model_id = o.model_id;
  if (typeof o.dataset_name === 'string' && o.dataset_name) m.dataset_name = o.dataset_name;
  if (typeof o.dataset_digest === 'string' && o.dataset_digest) m.dataset_digest = o.dataset_digest;
  return m;
}
