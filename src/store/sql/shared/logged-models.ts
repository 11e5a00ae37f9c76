import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../../domain/entities/common.js';
import type { LoggedModel, LoggedModelStatus } from '../../../domain/entities/logged-model.js';
import type { Metric } from '../../../domain/entities/metric.js';
import { invalidParam, notFound } from '../../../domain/errors.js';
import { generateRunName } from '../../../domain/run-names.js';
import type { Filter } from '../../../domain/search/ast.js';
import { pushTo } from '../../group-by.js';
import type { LoggedModelOrder } from '../../types.js';
import { appendUriPath } from '../../uri-path.js';
import type { SqlDb, SqlValue } from '../sql-db.js';
import { compileComparison } from '../sql-ops.js';
import { st } from '../statements.js';
import type { SqlExperiments } from './experiments.js';

interface ModelRow {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: string;
  lifecycle_stage: string;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
  creator_id: string | null;
}

const COLUMNS: Record<string, string> = {
  name: 'm.name',
  model_id: 'm.model_id',
  model_type: 'm.model_type',
  status: 'm.status',
  source_run_id: 'm.source_run_id',
  experiment_id: 'm.experiment_id',
  creation_timestamp_ms: 'm.creation_timestamp_ms',
  last_updated_timestamp_ms: 'm.last_updated_timestamp_ms',
  artifact_location: 'm.artifact_location',
};

const ORDER_ALIASES: Record<string, string> = {
  creation_time: 'creation_timestamp_ms',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};

export class SqlLoggedModels {
  constructor(
    private readonly db: SqlDb,
    private readonly experiments: SqlExperiments,
  ) {}

  async create(input: {
    experimentId: string;
    name?: string;
    modelType?: string;
    sourceRunId?: string;
    params: KeyValue[];
    tags: KeyValue[];
  }): Promise<LoggedModel> {
    const modelId = `m-${randomUUID().replaceAll('-', '')}`;
    await this.db.tx(async () => {
      const exp = await this.experiments.requireActive(input.experimentId);
      const now = Date.now();
      await this.db.run(
        `INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms,
           status, lifecycle_stage, model_type, source_run_id, status_message, creator_id)
         VALUES (?, ?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', 'active', ?, ?, NULL, NULL)`,
        [
          modelId,
          exp.experiment_id,
          input.name || generateRunName(),
          appendUriPath(exp.artifact_location, 'models', modelId, 'artifacts'),
          now,
          now,
          input.modelType ?? null,
          input.sourceRunId ?? null,
        ],
      );
      await this.upsert('logged_model_params', modelId, input.params);
      await this.upsert('logged_model_tags', modelId, input.tags);
    });
    return this.get(modelId);
  }

  private async upsert(
    table: 'logged_model_params' | 'logged_model_tags',
    modelId: string,
    kvs: KeyValue[],
  ): Promise<void> {
    for (const kv of kvs) {
      await this.db.run(st(this.db).upsert(table, ['model_id', 'key', 'value']), [modelId, kv.key, kv.value]);
    }
  }

  private async row(modelId: string): Promise<ModelRow> {
    const row = await this.db.get<ModelRow>(
      `SELECT * FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'`,
      [modelId],
    );
    if (row === undefined) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  async get(modelId: string): Promise<LoggedModel> {
    return (await this.load([await this.row(modelId)]))[0]!;
  }

  async finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    await this.db.tx(async () => {
      await this.row(modelId);
      await this.db.run(
        'UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?',
        [status, Date.now(), modelId],
      );
    });
    return this.get(modelId);
  }

  async delete(modelId: string): Promise<void> {
    await this.db.tx(async () => {
      await this.row(modelId);
      await this.db.run(
        `UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_id = ?`,
        [Date.now(), modelId],
      );
    });
  }

  async setTags(modelId: string, tags: KeyValue[]): Promise<void> {
    await this.db.tx(async () => {
      await this.row(modelId);
      await this.upsert('logged_model_tags', modelId, tags);
    });
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    await this.db.tx(async () => {
      await this.row(modelId);
      const r = await this.db.run('DELETE FROM logged_model_tags WHERE model_id = ? AND "key" = ?', [
        modelId,
        key,
      ]);
      if (r.changes === 0) throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    });
  }

  async logParams(modelId: string, params: KeyValue[]): Promise<void> {
    await this.db.tx(async () => {
      await this.row(modelId);
      await this.upsert('logged_model_params', modelId, params);
    });
  }

  private async load(rows: ModelRow[]): Promise<LoggedModel[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const ph = ids.map(() => '?').join(',');
    const kv = async (table: string) => {
      const m = new Map<string, KeyValue[]>();
      for (const r of await this.db.all<{ model_id: string; key: string; value: string }>(
        `SELECT model_id, "key", value FROM ${table} WHERE model_id IN (${ph})`,
        ids,
      )) {
        pushTo(m, r.model_id, { key: r.key, value: r.value });
      }
      return m;
    };
    const params = await kv('logged_model_params');
    const tags = await kv('logged_model_tags');
    const metrics = new Map<string, Metric[]>();
    for (const r of await this.db.all<{
      model_id: string;
      metric_name: string;
      timestamp: number;
      step: number;
      value: number;
      is_nan: number;
      run_id: string;
      dataset_name: string | null;
      dataset_digest: string | null;
    }>(`SELECT * FROM logged_model_metrics WHERE model_id IN (${ph}) ORDER BY timestamp, step`, ids)) {
      const m: Metric = {
        key: r.metric_name,
        value: r.is_nan ? Number.NaN : r.value,
        timestamp: r.timestamp,
        step: r.step,
        model_id: r.model_id,
        run_id: r.run_id,
      };
      if (r.dataset_name !== null) m.dataset_name = r.dataset_name;
      if (r.dataset_digest !== null) m.dataset_digest = r.dataset_digest;
      pushTo(metrics, r.model_id, m);
    }
    return rows.map((r) => {
      const info: LoggedModel['info'] = {
        model_id: r.model_id,
        experiment_id: String(r.experiment_id),
        name: r.name,
        creation_timestamp_ms: r.creation_timestamp_ms,
        last_updated_timestamp_ms: r.last_updated_timestamp_ms,
        artifact_uri: r.artifact_location,
        status: r.status as LoggedModelStatus,
        tags: tags.get(r.model_id) ?? [],
        registrations: [],
      };
      if (r.model_type !== null) info.model_type = r.model_type;
      if (r.source_run_id !== null) info.source_run_id = r.source_run_id;
      if (r.status_message !== null) info.status_message = r.status_message;
      if (r.creator_id !== null) info.creator_id = r.creator_id;
      return { info, data: { params: params.get(r.model_id) ?? [], metrics: metrics.get(r.model_id) ?? [] } };
    });
  }

  async search(q: {
    experimentIds: number[];
    filter: Filter;
    datasets: { dataset_name: string; dataset_digest?: string }[];
    maxResults: number;
    orderBy: readonly LoggedModelOrder[];
    offset: number;
  }): Promise<{ items: LoggedModel[]; hasMore: boolean }> {
    const params: SqlValue[] = [];
    const joins: string[] = [];
    const joinParams: SqlValue[] = [];
    // Metric rows restricted to the requested datasets, latest by (timestamp, step) per model and name.
    const dsCond = (alias: string, ps: SqlValue[]) => {
      if (q.datasets.length === 0) return '';
      const parts = q.datasets.map((d) => {
        ps.push(d.dataset_name);
        if (d.dataset_digest) {
          ps.push(d.dataset_digest);
          return `(${alias}.dataset_name = ? AND ${alias}.dataset_digest = ?)`;
        }
        return `(${alias}.dataset_name = ?)`;
      });
      return ` AND (${parts.join(' OR ')})`;
    };
    const latestValue = (alias: string, ps: SqlValue[], name: string) => {
      ps.push(name);
      const cond = dsCond(alias, ps);
      return `(SELECT ${alias}.value FROM logged_model_metrics ${alias} WHERE ${alias}.model_id = m.model_id AND ${alias}.metric_name = ?${cond}
        ORDER BY ${alias}.timestamp DESC, ${alias}.step DESC LIMIT 1)`;
    };
    const where = [
      `m.experiment_id IN (${q.experimentIds.map(() => '?').join(',')})`,
      `m.lifecycle_stage = 'active'`,
    ];
    params.push(...q.experimentIds);
    if (q.datasets.length > 0) {
      where.push(
        `EXISTS (SELECT 1 FROM logged_model_metrics dm WHERE dm.model_id = m.model_id${dsCond('dm', params)})`,
      );
    }
    q.filter.forEach((c, i) => {
      if (c.entity === 'attribute') {
        const col = COLUMNS[c.key];
        if (col === undefined) throw invalidParam(`Invalid attribute key '${c.key}' specified.`);
        where.push(compileComparison(col, c, params));
      } else if (c.entity === 'metric') {
        const expr = latestValue(`fm${i}`, params, c.key);
        where.push(compileComparison(expr, c, params));
      } else if (c.entity === 'param' || c.entity === 'tag') {
        const table = c.entity === 'param' ? 'logged_model_params' : 'logged_model_tags';
        params.push(c.key);
        where.push(
          `EXISTS (SELECT 1 FROM ${table} x WHERE x.model_id = m.model_id AND x."key" = ? AND ${compileComparison('x.value', c, params)})`,
        );
      } else {
        throw invalidParam(`Invalid entity type '${c.entity}' in logged model filter.`);
      }
    });
    const order: string[] = [];
    q.orderBy.forEach((o, i) => {
      const dir = o.ascending ? 'ASC' : 'DESC';
      if (o.field_name.startsWith('metrics.')) {
        const name = o.field_name.slice('metrics.'.length);
        const a = `om${i}`;
        joinParams.push(name);
        const ds: SqlValue[] = [];
        let cond = '';
        if (o.dataset_name) {
          ds.push(o.dataset_name);
          cond += ` AND ${a}.dataset_name = ?`;
          if (o.dataset_digest) {
            ds.push(o.dataset_digest);
            cond += ` AND ${a}.dataset_digest = ?`;
          }
        }
        joinParams.push(...ds);
        joins.push(`LEFT JOIN (SELECT model_id, value FROM (SELECT ${a}.model_id, ${a}.value, ROW_NUMBER() OVER (PARTITION BY ${a}.model_id
          ORDER BY ${a}.timestamp DESC, ${a}.step DESC) AS rn FROM logged_model_metrics ${a} WHERE ${a}.metric_name = ?${cond}) ${a}r WHERE rn = 1) ${a}j
          ON ${a}j.model_id = m.model_id`);
        order.push(`(${a}j.value IS NULL) ASC`, `${a}j.value ${dir}`);
      } else {
        const key = o.field_name.replace(/^attributes?\./, '');
        const col = COLUMNS[ORDER_ALIASES[key] ?? key];
        if (col === undefined) throw invalidParam(`Invalid order by field name: ${o.field_name}`);
        order.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
      }
    });
    if (order.length === 0) order.push('m.creation_timestamp_ms DESC');
    order.push('m.model_id ASC');
    const sql = `SELECT m.* FROM logged_models m ${joins.join(' ')} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
    const rows = await this.db.all<ModelRow>(sql, [...joinParams, ...params, q.maxResults + 1, q.offset]);
    const hasMore = rows.length > q.maxResults;
    return { items: await this.load(rows.slice(0, q.maxResults)), hasMore };
  }
}
