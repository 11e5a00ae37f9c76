/** Small helpers shared by the grammar modules (runs.ts, experiments.ts, logged-models.ts). */
import { invalidParam, type MlflowError } from '../errors.js';
import type { ComparisonOp, Literal } from './ast.js';
import { notQuoted, type RawValue } from './parser.js';

export const NUMERIC_OPS: readonly ComparisonOp[] = ['=', '!=', '<', '<=', '>', '>='];
export const STRING_OPS: readonly ComparisonOp[] = ['=', '!=', 'LIKE', 'ILIKE'];
export const STRING_LIST_OPS: readonly ComparisonOp[] = [...STRING_OPS, 'IN', 'NOT IN'];
export const NULL_OPS: readonly ComparisonOp[] = ['IS NULL', 'IS NOT NULL'];

/** Python-style repr of a set of strings, as MLflow prints its comparator sets: `{'=', '!='}`. */
export function pySet(values: readonly string[]): string {
  return `{${values.map((v) => `'${v}'`).join(', ')}}`;
}

/** Returns `op` as a ComparisonOp when it is in `allowed`, else throws `error(op)`. */
export function checkOp(
  op: string,
  allowed: readonly ComparisonOp[],
  error: (op: string) => MlflowError = (o) =>
    invalidParam(`Invalid comparator '${o}' not one of '${pySet(allowed)}'`),
): ComparisonOp {
  const found = allowed.find((a) => a === op);
  if (found === undefined) throw error(op);
  return found;
}

/** A number literal, or `error(text)` for anything else (IS NULL's missing value passes as `none`). */
export function numberLiteral(value: RawValue, error: (text: string) => MlflowError): Literal {
  if (value.kind === 'none') return { kind: 'none' };
  if (value.kind !== 'number') throw error(value.text);
  return { kind: 'number', value: value.value };
}

/**
 * A quoted string literal (or list, when `allowList`). Bare words get MLflow's "not quoted" error; numbers and
 * unwanted lists get `error(text)`.
 */
export function stringLiteral(
  value: RawValue,
  error: (text: string) => MlflowError,
  listError: (text: string) => MlflowError = error,
): Literal {
  switch (value.kind) {
    case 'none':
      return { kind: 'none' };
    case 'string':
      return { kind: 'string', value: value.value };
    case 'bare':
      throw notQuoted(value.text);
    case 'list':
      throw listError(value.text);
    case 'number':
      throw error(value.text);
  }
}
