import type { ViewType } from '../../../domain/entities/common.js';
import { stagesFor } from '../../../domain/entities/common.js';
import { invalidParam } from '../../../domain/errors.js';
import type { Filter, OrderTerm } from '../../../domain/search/ast.js';
import type { SqlValue } from '../sql-db.js';
import { compileComparison } from '../sql-ops.js';

const COLUMNS: Record<string, string> = {
  name: 'e.name',
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
  experiment_id: 'e.experiment_id',
};

function column(key: string): string {
  const col = COLUMNS[key];
  if (col === undefined) throw invalidParam(`Invalid attribute key '${key}' specified.`);
  return col;
}

/** One page of experiments (limit = max_results + 1 to detect more) in MLflow's order. */
export function compileExperimentSearch(q: {
  viewType: ViewType;
  maxResults: number;
  filter: Filter;
  orderBy: readonly OrderTerm[];
  offset: number;
}): { sql: string; params: SqlValue[] } {
  const stages = stagesFor(q.viewType);
  const params: SqlValue[] = [...stages];
  const where = [`e.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`];
  for (const c of q.filter) {
    if (c.entity === 'attribute') {
      where.push(compileComparison(column(c.key), c, params));
    } else if (c.entity === 'tag') {
      params.push(c.key);
      const tag = 'SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t."key" = ?';
      if (c.op === 'IS NULL' || c.op === 'IS NOT NULL') {
        where.push(`${c.op === 'IS NULL' ? 'NOT ' : ''}EXISTS (${tag})`);
        continue;
      }
      const cond = compileComparison('t.value', c, params);
      where.push(`EXISTS (${tag} AND ${cond})`);
    } else {
      throw invalidParam(`Invalid entity type '${c.entity}' in experiment filter.`);
    }
  }
  const terms =
    q.orderBy.length > 0
      ? [...q.orderBy]
      : [
          { entity: 'attribute', key: 'creation_time', ascending: false },
          { entity: 'attribute', key: 'experiment_id', ascending: true },
        ];
  const order = terms.map((o) => `${column(o.key)} ${o.ascending ? 'ASC' : 'DESC'}`);
  if (!terms.some((o) => o.key === 'experiment_id')) order.push('e.experiment_id DESC');
  params.push(q.maxResults + 1, q.offset);
  return {
    sql: `SELECT e.* FROM experiments e WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    params,
  };
}
