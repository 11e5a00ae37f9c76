import { invalidParam } from './errors.js';
import { invalidValue, limitLength, missingValue, normPosix } from './validation.js';

/** Input rules of MLflow's registry (mlflow/utils/validation.py, server handlers), with MLflow's messages. */

export function validateModelName(name: string | undefined, field = 'name'): string {
  if (name === undefined || name.trim() === '') throw invalidParam(missingValue(field));
  if (name.includes('/') || name.includes(':')) {
    throw invalidParam(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  const norm = normPosix(name);
  if (norm !== name || norm === '.' || norm.startsWith('..')) {
    throw invalidParam(
      invalidValue(
        field,
        name,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
      ),
    );
  }
  return name;
}

export function parseVersion(v: string | undefined): number {
  if (v === undefined || v === '')
    throw invalidParam(
      `${missingValue('version')} See the API docs for more information about request parameters.`,
    );
  if (!/^\s*[+-]?\d+\s*$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw invalidParam(`Parameter 'version' must be an integer, got '${v}'.`);
  }
  return Number(v);
}

export function validateAlias(alias: string | undefined, reservedCheck: boolean): string {
  if (alias === undefined || alias === '') throw invalidParam('Registered model alias name cannot be empty.');
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) {
    throw invalidParam(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  limitLength('Registered model alias name', 255, alias);
  if (reservedCheck) {
    if (alias.toLowerCase() === 'latest')
      throw invalidParam("'latest' alias name (case insensitive) is reserved.");
    if (/^[vV]\d+$/.test(alias)) throw invalidParam(`Version alias name '${alias}' is reserved.`);
  }
  return alias;
}

/** True for a path or file: URI that names the server's own filesystem. */
export function isLocalSource(source: string): boolean {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source)?.[1];
  return scheme === undefined || scheme.length === 1 || scheme.toLowerCase() === 'file';
}

/**
 * Non-local sources must not smuggle relative segments or NUL bytes (checked after decoding repeatedly), and their
 * path must not change when resolved (`/a/./b`), as MLflow's handler checks.
 */
export function checkNonLocalSource(source: string): void {
  let s = source;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (next === s) break;
    s = next;
  }
  const pathPart = /^[a-zA-Z][a-zA-Z0-9+.-]*:(\/\/[^/]*)?(\/[^?#]*)/.exec(s)?.[2] ?? '';
  const collapsed = pathPart.replace(/\/+/g, '/').replace(/\/+$/, '');
  const resolvesElsewhere = collapsed !== '' && normPosix(collapsed) !== collapsed;
  if (s.includes('\0') || s.split('/').some((p) => p === '..') || resolvesElsewhere) {
    throw invalidParam(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
    );
  }
}
