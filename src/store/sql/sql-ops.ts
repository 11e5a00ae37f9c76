import { invalidParam } from '../../domain/errors.js';
import type { Comparison } from '../../domain/search/ast.js';
import type { SqlValue } from './sql-db.js';

/**
 * One comparison of the filter AST against a SQL expression, pushing bind values to `params`.
 * `=`/`!=`/LIKE are case-sensitive (the SQLite connection sets case_sensitive_like), ILIKE compares lower-cased.
 */
export function compileComparison(col: string, c: Comparison, params: SqlValue[]): string {
  const v = c.value;
  switch (c.op) {
    case 'IN':
    case 'NOT IN': {
      if (v.kind !== 'list') throw invalidParam(`Expected a list of values for '${c.op}'`);
      if (v.values.length === 0) return c.op === 'IN' ? '1 = 0' : '1 = 1';
      params.push(...v.values);
      return `${col} ${c.op} (${v.values.map(() => '?').join(', ')})`;
    }
    case 'IS NULL':
      return `${col} IS NULL`;
    case 'IS NOT NULL':
      return `${col} IS NOT NULL`;
    case 'ILIKE':
      params.push(literal(c));
      return `lower(${col}) LIKE lower(?)`;
    case 'LIKE':
      params.push(literal(c));
      return `${col} LIKE ?`;
    default:
      params.push(literal(c));
      return `${col} ${c.op} ?`;
  }
}

function literal(c: Comparison): SqlValue {
  const v = c.value;
  if (v.kind === 'number') return v.value;
  if (v.kind === 'string') return v.value;
  throw invalidParam(`Invalid value for comparison with '${c.key}'`);
}
