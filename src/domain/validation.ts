import { invalidParam } from './errors.js';
import { limits } from './limits.js';

/**
 * Input rules of mlflow/utils/validation.py, with MLflow's messages. Called once, at the API boundary.
 */

const KEY_CHARS = /^[/\p{L}\p{N}_.\- :]*$/u;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/** JSON rendering of a value the way Python's json.dumps does for the strings and numbers we meet. */
function dumps(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  try {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 200 ? `${s.slice(0, 200)}...` : s;
  } catch {
    return typeof v;
  }
}

export function invalidValue(path: string, value: unknown, message?: string): string {
  return message
    ? `Invalid value ${dumps(value)} for parameter '${path}' supplied: ${message}`
    : `Invalid value ${dumps(value)} for parameter '${path}' supplied.`;
}

export function missingValue(path: string): string {
  return `Missing value for required parameter '${path}'.`;
}

export const exceedsMaxLength = (what: string, limit: number): string =>
  `'${what}' exceeds the maximum length of ${limit} characters`;

/** posixpath.normpath */
export function normPosix(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (initial === 0 && out.length === 0) || out[out.length - 1] === '..') out.push(comp);
    else if (out.length > 0) out.pop();
  }
  const joined = out.join('/');
  const prefix = '/'.repeat(initial);
  return prefix + joined || '.';
}

function pathNotUnique(name: string): boolean {
  const norm = normPosix(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

const BAD_CHARS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

/** Metric, param and run/experiment tag keys. */
/** Keys already found valid. Ingest repeats the same few metric names thousands of times per second. */
const validKeys = new Set<string>();

export function validateKey(name: string, path: string): void {
  if (validKeys.has(name)) return;
  checkKey(name, path);
  if (validKeys.size >= 10000) validKeys.clear();
  validKeys.add(name);
}

function checkKey(name: string, path: string): void {
  if (!KEY_CHARS.test(name)) throw invalidParam(invalidValue(path, name, BAD_CHARS));
  if (pathNotUnique(name)) {
    throw invalidParam(
      invalidValue(
        path,
        name,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normPosix(name)}'`,
      ),
    );
  }
}

/** Length rule; with truncate (MLFLOW_TRUNCATE_LONG_VALUES) an over-long value is cut instead of rejected. */
export function limitLength(what: string, limit: number, value: string, truncate = false): string {
  if (value.length <= limit) return value;
  if (truncate) return value.slice(0, limit);
  throw invalidParam(exceedsMaxLength(what, limit));
}

export function validateRunId(runId: string, path = 'run_id'): void {
  if (!RUN_ID.test(runId)) throw invalidParam(invalidValue(path, runId));
}

export function validateExperimentName(name: unknown): string {
  if (name === '' || name === undefined || name === null)
    throw invalidParam(`Invalid experiment name: '${name ?? 'None'}'`);
  if (typeof name !== 'string')
    throw invalidParam(`Invalid experiment name: ${String(name)}. Expects a string.`);
  if (name.length > limits.experimentNameMax)
    throw invalidParam(exceedsMaxLength('name', limits.experimentNameMax));
  return name;
}

export function validateLoggedModelName(name: string | undefined): void {
  if (name === undefined) return;
  const bad = ['/', ':', '.', '%', '"', "'"];
  if (name === '' || bad.some((c) => name.includes(c))) {
    throw invalidParam(
      `Invalid model name ('${name}') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, n: number) => {
    if (n > limit) {
      throw invalidParam(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${n} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', limits.batchMetricsMax, metrics);
  check('params', limits.batchParamsMax, params);
  check('tags', limits.batchTagsMax, tags);
  check('metrics, params, and tags', limits.batchTotalMax, metrics + params + tags);
}
