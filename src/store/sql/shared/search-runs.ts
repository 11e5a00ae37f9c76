import { stagesFor, type ViewType } from '../../../domain/entities/common.js';
import { invalidParam } from '../../../domain/errors.js';
import type { Comparison, Filter, OrderTerm } from '../../../domain/search/ast.js';
import type { SqlValue } from '../sql-db.js';
import { compileComparison } from '../sql-ops.js';

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

interface Parts {
  /** Metric name → alias of an inner join whose filter guarantees a present, non-NaN value. */
  metricAliases: Map<string, string>;
  joins: string[];
  joinParams: SqlValue[];
  where: string[];
  whereParams: SqlValue[];
}

/**
 * One filter clause. Metric, param and tag comparisons become inner joins on their (run_pk, key) primary keys (at
 * most one row each, so no duplicates), which lets SQLite drive the query from the (key, value) indexes instead of
 * probing every run of the experiment.
 */
function clause(c: Comparison, i: number, p: Parts, keyId: (k: string) => number | undefined): void {
  switch (c.entity) {
    case 'attribute':
      p.where.push(compileComparison(attributeColumn(c.key), c, p.whereParams));
      return;
    case 'metric': {
      const a = `fm${i}`;
      p.joins.push(`JOIN latest_metrics ${a} ON ${a}.run_pk = r.run_pk AND ${a}.key_id = ?`);
      p.joinParams.push(keyId(c.key) ?? -1);
      // A NaN compares like IEEE NaN (as in MLflow): it satisfies only `!=`.
      const cmp = compileComparison(`${a}.value`, c, p.whereParams);
      p.where.push(c.op === '!=' ? `(${a}.is_nan = 1 OR ${cmp})` : `(${a}.is_nan = 0 AND ${cmp})`);
      if (c.op !== '!=' && !p.metricAliases.has(c.key)) p.metricAliases.set(c.key, a);
      return;
    }
    case 'param':
    case 'tag': {
      const table = c.entity === 'param' ? 'params' : 'run_tags';
      if (c.op === 'IS NULL' || c.op === 'IS NOT NULL') {
        p.whereParams.push(c.key);
        p.where.push(
          `${c.op === 'IS NULL' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} x WHERE x.run_pk = r.run_pk AND x."key" = ?)`,
        );
        return;
      }
      const a = `f${c.entity[0]}${i}`;
      p.joins.push(`JOIN ${table} ${a} ON ${a}.run_pk = r.run_pk AND ${a}."key" = ?`);
      p.joinParams.push(c.key);
      p.where.push(compileComparison(`${a}.value`, c, p.whereParams));
      return;
    }
    case 'dataset': {
      const col = c.key === 'name' ? 'd.name' : c.key === 'digest' ? 'd.digest' : 'it.value';
      if (c.key !== 'name' && c.key !== 'digest' && c.key !== 'context') {
        throw invalidParam(`Invalid dataset key '${c.key}' specified.`);
      }
      const cond = compileComparison(col, c, p.whereParams);
      p.where.push(`EXISTS (SELECT 1 FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk
        LEFT JOIN input_tags it ON it.run_pk = ri.run_pk AND it.dataset_pk = ri.dataset_pk AND it.name = 'mlflow.data.context'
        WHERE ri.run_pk = r.run_pk AND ${cond})`);
      return;
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
  /** Metric name → id (undefined when never logged). */
  metricKeyId: (key: string) => number | undefined;
}): { sql: string; params: SqlValue[] } {
  const p: Parts = { metricAliases: new Map(), joins: [], joinParams: [], where: [], whereParams: [] };
  const stages = stagesFor(q.viewType);
  p.where.push(
    `r.experiment_id IN (${q.experimentIds.map(() => '?').join(', ')})`,
    `r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`,
  );
  p.whereParams.push(...q.experimentIds, ...stages);
  for (const [i, c] of q.filter.entries()) clause(c, i, p, q.metricKeyId);

  const order: string[] = [];
  let orderedOnStart = false;
  q.orderBy.forEach((o, i) => {
    const dir = o.ascending ? 'ASC' : 'DESC';
    if (o.entity === 'attribute') {
      const col = attributeColumn(o.key);
      if (o.key === 'start_time') orderedOnStart = true;
      order.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
    } else if (o.entity === 'metric' && p.metricAliases.has(o.key)) {
      // Ordered by a metric the filter already joins (present, not NaN): order on that join, so SQLite can walk
      // the (key_id, value) index in order and stop at the LIMIT instead of sorting every match.
      order.push(`${p.metricAliases.get(o.key)}.value ${dir}`);
    } else if (o.entity === 'metric') {
      const a = `om${i}`;
      p.joins.push(`LEFT JOIN latest_metrics ${a} ON ${a}.run_pk = r.run_pk AND ${a}.key_id = ?`);
      p.joinParams.push(q.metricKeyId(o.key) ?? -1);
      order.push(`(${a}.run_pk IS NULL) ASC`, `${a}.is_nan ASC`, `${a}.value ${dir}`);
    } else if (o.entity === 'param' || o.entity === 'tag') {
      const a = `o${o.entity[0]}${i}`;
      const table = o.entity === 'param' ? 'params' : 'run_tags';
      p.joins.push(`LEFT JOIN ${table} ${a} ON ${a}.run_pk = r.run_pk AND ${a}."key" = ?`);
      p.joinParams.push(o.key);
      order.push(`(${a}.value IS NULL) ASC`, `${a}.value ${dir}`);
    } else {
      throw invalidParam(`Invalid order_by entity type '${o.entity}'`);
    }
  });
  if (!orderedOnStart) order.push('r.start_time DESC');
  order.push('r.run_uuid ASC');

  const sql = `SELECT r.* FROM runs r ${p.joins.join(' ')} WHERE ${p.where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  return { sql, params: [...p.joinParams, ...p.whereParams, q.limit, q.offset] };
}
