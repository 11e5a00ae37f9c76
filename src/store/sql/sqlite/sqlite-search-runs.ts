import type { SQLInputValue } from 'node:sqlite';
import type { ViewType } from '../../../domain/entities/common.js';
import { invalidParam } from '../../../domain/errors.js';
import type { Comparison, Filter, OrderTerm } from '../../../domain/search/ast.js';
import { compileComparison } from '../sql-ops.js';

export const stagesFor = (v: ViewType): string[] =>
  v === 'ACTIVE_ONLY' ? ['active'] : v === 'DELETED_ONLY' ? ['deleted'] : ['active', 'deleted'];

const RUN_ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'r.run_uuid',
  run_name: 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
};

function attributeColumn(key: string): string {
  const col = RUN_ATTRIBUTE_COLUMNS[key];
  if (col === undefined) throw invalidParam(`Invalid attribute key '${key}' specified.`);
  return col;
}

function clause(c: Comparison, params: SQLInputValue[]): string {
  switch (c.entity) {
    case 'attribute':
      return compileComparison(attributeColumn(c.key), c, params);
    case 'metric': {
      params.push(c.key);
      // A NaN compares like IEEE NaN (as in MLflow): it satisfies only `!=`.
      const cmp = compileComparison('lm.value', c, params);
      const cond = c.op === '!=' ? `(lm.is_nan = 1 OR ${cmp})` : `(lm.is_nan = 0 AND ${cmp})`;
      return `EXISTS (SELECT 1 FROM latest_metrics lm WHERE lm.run_pk = r.run_pk AND lm.key_id = (SELECT key_id FROM metric_keys WHERE key = ?) AND ${cond})`;
    }
    case 'param':
    case 'tag': {
      const table = c.entity === 'param' ? 'params' : 'run_tags';
      params.push(c.key);
      if (c.op === 'IS NULL')
        return `NOT EXISTS (SELECT 1 FROM ${table} x WHERE x.run_pk = r.run_pk AND x.key = ?)`;
      if (c.op === 'IS NOT NULL')
        return `EXISTS (SELECT 1 FROM ${table} x WHERE x.run_pk = r.run_pk AND x.key = ?)`;
      const cond = compileComparison('x.value', c, params);
      return `EXISTS (SELECT 1 FROM ${table} x WHERE x.run_pk = r.run_pk AND x.key = ? AND ${cond})`;
    }
    case 'dataset': {
      const col = c.key === 'name' ? 'd.name' : c.key === 'digest' ? 'd.digest' : 'it.value';
      if (c.key !== 'name' && c.key !== 'digest' && c.key !== 'context') {
        throw invalidParam(`Invalid dataset key '${c.key}' specified.`);
      }
      const cond = compileComparison(col, c, params);
      return `EXISTS (SELECT 1 FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk
        LEFT JOIN input_tags it ON it.run_pk = ri.run_pk AND it.dataset_pk = ri.dataset_pk AND it.name = 'mlflow.data.context'
        WHERE ri.run_pk = r.run_pk AND ${cond})`;
    }
  }
}

/** SQL selecting one page (plus one row to detect more) of runs matching the AST, in MLflow's order. */
export function compileRunSearch(q: {
  experimentIds: number[];
  filter: Filter;
  viewType: ViewType;
  orderBy: readonly OrderTerm[];
  limit: number;
  offset: number;
}): { sql: string; params: SQLInputValue[] } {
  const joinParams: SQLInputValue[] = [];
  const whereParams: SQLInputValue[] = [];
  const joins: string[] = [];
  const order: string[] = [];
  let orderedOnStart = false;
  q.orderBy.forEach((o, i) => {
    const dir = o.ascending ? 'ASC' : 'DESC';
    if (o.entity === 'attribute') {
      const col = attributeColumn(o.key);
      if (o.key === 'start_time') orderedOnStart = true;
      order.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
    } else if (o.entity === 'metric') {
      const a = `om${i}`;
      joins.push(
        `LEFT JOIN latest_metrics ${a} ON ${a}.run_pk = r.run_pk AND ${a}.key_id = (SELECT key_id FROM metric_keys WHERE key = ?)`,
      );
      joinParams.push(o.key);
      order.push(`(${a}.run_pk IS NULL) ASC`, `${a}.is_nan ASC`, `${a}.value ${dir}`);
    } else if (o.entity === 'param' || o.entity === 'tag') {
      const a = `o${o.entity[0]}${i}`;
      const table = o.entity === 'param' ? 'params' : 'run_tags';
      joins.push(`LEFT JOIN ${table} ${a} ON ${a}.run_pk = r.run_pk AND ${a}.key = ?`);
      joinParams.push(o.key);
      order.push(`(${a}.value IS NULL) ASC`, `${a}.value ${dir}`);
    } else {
      throw invalidParam(`Invalid order_by entity type '${o.entity}'`);
    }
  });
  if (!orderedOnStart) order.push('r.start_time DESC');
  order.push('r.run_uuid ASC');

  const stages = stagesFor(q.viewType);
  const where = [
    `r.experiment_id IN (${q.experimentIds.map(() => '?').join(', ')})`,
    `r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`,
  ];
  whereParams.push(...q.experimentIds, ...stages);
  for (const c of q.filter) where.push(clause(c, whereParams));

  const sql = `SELECT r.* FROM runs r ${joins.join(' ')} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  return { sql, params: [...joinParams, ...whereParams, q.limit, q.offset] };
}
