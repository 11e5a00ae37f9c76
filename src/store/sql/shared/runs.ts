import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../../domain/entities/common.js';
import { storedMetricValue } from '../../../domain/entities/metric.js';
import {
  type Dataset,
  type Run,
  type RunInfo,
  type RunStatus,
  TAG_RUN_NAME,
} from '../../../domain/entities/run.js';
import { invalidParam, notFound } from '../../../domain/errors.js';
import { generateRunName } from '../../../domain/run-names.js';
import type { LogBatchInput } from '../../types.js';
import { appendUriPath } from '../../uri-path.js';
import type { Params, SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import type { SqlExperiments } from './experiments.js';
import type { MetricKeys } from './metric-keys.js';
import type { RunCache } from './run-cache.js';
import { loadRuns, type RunRow, toRunInfo } from './run-loader.js';

/** Param keys per lookup statement (far below every dialect's parameter limit). */
const PARAM_CHUNK = 500;
/** Metric keys per latest-metric upsert statement (6 parameters each). */
const LATEST_CHUNK = 500;

/** Python's repr of the non-matching params list, as MLflow's log-batch error shows it. */
function pyRepr(items: { key: string; old_value: string; new_value: string }[]): string {
  const s = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `[${items.map((i) => `{'key': ${s(i.key)}, 'old_value': ${s(i.old_value)}, 'new_value': ${s(i.new_value)}}`).join(', ')}]`;
}

export class SqlRuns {
  constructor(
    private readonly db: SqlDb,
    private readonly experiments: SqlExperiments,
    private readonly keys: MetricKeys,
    readonly cache: RunCache,
  ) {}

  async row(runId: string): Promise<RunRow> {
    const row = await this.db.get<RunRow>('SELECT * FROM runs WHERE run_uuid = ?', [runId]);
    if (row === undefined) throw notFound(`Run with id=${runId} not found`);
    return row;
  }

  /**
   * The run about to be written: active, its row_version raised (snapshots of it elsewhere go stale) and dropped
   * from this process's snapshot cache. Inside a write transaction on
   * PostgreSQL/MySQL the row stays locked until commit, so writes to one run from several servers take turns
   * (write-once params stay write-once under races); SQLite already has one writer.
   */
  async activeRow(runId: string): Promise<RunRow> {
    // PostgreSQL and SQLite raise the version and lock the row in one statement; MySQL has no RETURNING.
    const oneStatement = this.db.dialect !== 'mysql';
    const row = oneStatement
      ? await this.db.get<RunRow>(
          'UPDATE runs SET row_version = row_version + 1 WHERE run_uuid = ? RETURNING *',
          [runId],
        )
      : await this.db.get<RunRow>(`SELECT * FROM runs WHERE run_uuid = ?${st(this.db).forUpdate()}`, [runId]);
    if (row === undefined) throw notFound(`Run with id=${runId} not found`);
    this.cache.invalidate(row.run_pk);
    // Callers run inside their write transaction: a refusal below rolls the version back with everything else.
    if (row.lifecycle_stage !== 'active') {
      throw invalidParam(
        `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
      );
    }
    if (!oneStatement) {
      await this.db.run('UPDATE runs SET row_version = row_version + 1 WHERE run_pk = ?', [row.run_pk]);
      row.row_version += 1;
    }
    return row;
  }

  async create(input: {
    experimentId: string;
    userId: string;
    startTime: number | null;
    runName?: string;
    tags: KeyValue[];
  }): Promise<Run> {
    const runId = randomUUID().replaceAll('-', '');
    const pk = await this.db.tx(async () => {
      const exp = await this.experiments.requireActive(input.experimentId);
      const tags = [...input.tags];
      const tagName = tags.findLast((t) => t.key === TAG_RUN_NAME)?.value;
      if (input.runName && tagName && input.runName !== tagName) {
        throw invalidParam(
          `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
        );
      }
      const name = input.runName || tagName || generateRunName();
      if (!tagName) tags.push({ key: TAG_RUN_NAME, value: name });
      const lastInsertRowid = await this.db.insertReturningId(
        `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, deleted_time, lifecycle_stage, artifact_uri)
         VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, NULL, 'active', ?)`,
        [
          runId,
          exp.experiment_id,
          name,
          input.userId,
          input.startTime,
          appendUriPath(exp.artifact_location, runId, 'artifacts'),
        ],
        'run_pk',
      );
      for (const t of tags) {
        await this.db.run(st(this.db).upsert('run_tags', ['run_pk', 'key', 'value']), [
          lastInsertRowid,
          t.key,
          t.value,
        ]);
      }
      return lastInsertRowid;
    });
    const row = await this.db.get<RunRow>('SELECT * FROM runs WHERE run_pk = ?', [pk]);
    return (await loadRuns(this.db, row ? [row] : []))[0]!;
  }

  async get(runId: string): Promise<Run> {
    return (await loadRuns(this.db, [await this.row(runId)], this.cache))[0]!;
  }

  async update(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo> {
    return await this.db.tx(async () => {
      const row = await this.activeRow(runId);
      if (patch.status !== undefined) row.status = patch.status;
      if (patch.endTime !== undefined && patch.endTime !== null) row.end_time = patch.endTime;
      if (patch.runName) {
        row.name = patch.runName;
        await this.db.run(st(this.db).upsert('run_tags', ['run_pk', 'key', 'value']), [
          row.run_pk,
          TAG_RUN_NAME,
          patch.runName,
        ]);
      }
      await this.db.run('UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_pk = ?', [
        row.status,
        row.end_time,
        row.name,
        row.run_pk,
      ]);
      return toRunInfo(row);
    });
  }

  async delete(runId: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.row(runId);
      this.cache.invalidate(row.run_pk);
      await this.db.run(
        `UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?, row_version = row_version + 1 WHERE run_pk = ?`,
        [Date.now(), row.run_pk],
      );
    });
  }

  async restore(runId: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.row(runId);
      this.cache.invalidate(row.run_pk);
      await this.db.run(
        `UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL, row_version = row_version + 1 WHERE run_pk = ?`,
        [row.run_pk],
      );
    });
  }

  /** One transaction: params (write-once), metrics (history + latest), logged-model metrics, tags. */
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const keyIds = await this.keys.ids(batch.metrics.map((m) => m.key));
    await this.db.tx(async () => {
      const run = await this.activeRow(runId);
      await this.logParams(run, batch.params);
      if (batch.metrics.length > 0) await this.logMetrics(run, batch.metrics, keyIds);
      for (const t of batch.tags) await this.setTag(run, t);
    });
  }

  private async logParams(run: RunRow, params: KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    // One read of the stored values and one multi-row insert (the run row is locked, so nothing slips between).
    const stored = new Map<string, string>();
    const keys = [...new Set(params.map((p) => p.key))];
    for (let i = 0; i < keys.length; i += PARAM_CHUNK) {
      const part = keys.slice(i, i + PARAM_CHUNK);
      const rows = await this.db.all<{ key: string; value: string }>(
        `SELECT "key", value FROM params WHERE run_pk = ? AND "key" IN (${part.map(() => '?').join(', ')})`,
        [run.run_pk, ...part],
      );
      for (const r of rows) stored.set(r.key, r.value);
    }
    const conflicts: { key: string; old_value: string; new_value: string }[] = [];
    const fresh = new Map<string, string>();
    for (const p of params) {
      const old = stored.get(p.key);
      if (old === undefined) {
        if (!fresh.has(p.key)) fresh.set(p.key, p.value);
      } else if (old !== p.value) conflicts.push({ key: p.key, old_value: old, new_value: p.value });
    }
    if (conflicts.length > 0) {
      throw invalidParam(
        `Changing param values is not allowed. Params were already logged='${pyRepr(conflicts)}' for run ID='${run.run_uuid}'.`,
      );
    }
    await this.db.runMany(
      st(this.db).insertIgnore('params', ['run_pk', 'key', 'value']),
      [...fresh].map(([key, value]) => [run.run_pk, key, value]),
    );
  }

  /** The message MLflow's single log-parameter call gives for a conflicting value. */
  async logParam(runId: string, p: KeyValue): Promise<void> {
    await this.db.tx(async () => {
      const run = await this.activeRow(runId);
      const old = await this.db.get<{ value: string }>(
        'SELECT value FROM params WHERE run_pk = ? AND "key" = ?',
        [run.run_pk, p.key],
      );
      if (old === undefined) {
        await this.db.run('INSERT INTO params (run_pk, "key", value) VALUES (?, ?, ?)', [
          run.run_pk,
          p.key,
          p.value,
        ]);
      } else if (old.value !== p.value) {
        throw invalidParam(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old.value}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
        );
      }
    });
  }

  private async logMetrics(
    run: RunRow,
    metrics: LogBatchInput['metrics'],
    keyIds: Map<string, number>,
  ): Promise<void> {
    const points: Params[] = [];
    // The latest point per key in this batch: greatest (step, timestamp, value).
    const latest = new Map<number, { step: number; timestamp: number; value: number; isNan: number }>();
    for (const m of metrics) {
      const keyId = keyIds.get(m.key)!;
      const isNan = Number.isNaN(m.value) ? 1 : 0;
      const value = isNan ? 0 : storedMetricValue(m.value);
      points.push([run.run_pk, keyId, m.step, m.timestamp, value, isNan]);
      const cur = latest.get(keyId);
      if (
        cur === undefined ||
        m.step > cur.step ||
        (m.step === cur.step &&
          (m.timestamp > cur.timestamp || (m.timestamp === cur.timestamp && value > cur.value)))
      ) {
        latest.set(keyId, { step: m.step, timestamp: m.timestamp, value, isNan });
      }
    }
    await this.db.runMany(
      st(this.db).insertIgnore('metrics', ['run_pk', 'key_id', 'step', 'timestamp', 'value', 'is_nan']),
      points,
    );
    // One statement per LATEST_CHUNK keys (the keys are distinct, as a multi-row upsert needs).
    const latestRows = [...latest].map(([keyId, l]) => [
      run.run_pk,
      keyId,
      l.step,
      l.timestamp,
      l.value,
      l.isNan,
    ]);
    for (let i = 0; i < latestRows.length; i += LATEST_CHUNK) {
      const part = latestRows.slice(i, i + LATEST_CHUNK);
      await this.db.run(st(this.db).latestMetricUpsert(part.length), part.flat());
    }
    const modelPoints = metrics.filter((m) => m.model_id);
    if (modelPoints.length > 0) {
      await this.db.runMany(
        st(this.db).upsert(
          'logged_model_metrics',
          [
            'model_id',
            'metric_name',
            'timestamp',
            'step',
            'value',
            'is_nan',
            'run_id',
            'dataset_name',
            'dataset_digest',
          ],
          `SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM logged_models WHERE model_id = ?)`,
        ),
        modelPoints.map((m) => {
          const isNan = Number.isNaN(m.value) ? 1 : 0;
          return [
            m.model_id!,
            m.key,
            m.timestamp,
            m.step,
            isNan ? 0 : storedMetricValue(m.value),
            isNan,
            run.run_uuid,
            m.dataset_name ?? null,
            m.dataset_digest ?? null,
            m.model_id!,
          ];
        }),
      );
    }
  }

  private async setTag(run: RunRow, t: KeyValue): Promise<void> {
    await this.db.run(st(this.db).upsert('run_tags', ['run_pk', 'key', 'value']), [
      run.run_pk,
      t.key,
      t.value,
    ]);
    if (t.key === TAG_RUN_NAME)
      await this.db.run('UPDATE runs SET name = ? WHERE run_pk = ?', [t.value, run.run_pk]);
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.db.tx(async () => {
      const run = await this.activeRow(runId);
      const r = await this.db.run('DELETE FROM run_tags WHERE run_pk = ? AND "key" = ?', [run.run_pk, key]);
      if (r.changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void> {
    await this.db.tx(async () => {
      const run = await this.activeRow(runId);
      for (const { dataset: d, tags } of datasets) {
        await this.db.run(
          st(this.db).insertIgnore('datasets', [
            'dataset_uuid',
            'experiment_id',
            'name',
            'digest',
            'source_type',
            'source',
            'schema',
            'profile',
          ]),
          [
            randomUUID(),
            run.experiment_id,
            d.name,
            d.digest,
            d.source_type,
            d.source,
            d.schema ?? null,
            d.profile ?? null,
          ],
        );
        const ds = (await this.db.get<{ dataset_pk: number }>(
          'SELECT dataset_pk FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
          [run.experiment_id, d.name, d.digest],
        ))!;
        const added = await this.db.run(st(this.db).insertIgnore('run_inputs', ['run_pk', 'dataset_pk']), [
          run.run_pk,
          ds.dataset_pk,
        ]);
        if (added.changes === 0) continue;
        for (const t of tags) {
          await this.db.run(st(this.db).upsert('input_tags', ['run_pk', 'dataset_pk', 'name', 'value']), [
            run.run_pk,
            ds.dataset_pk,
            t.key,
            t.value,
          ]);
        }
      }
      for (const m of models) {
        await this.db.run(st(this.db).insertIgnore('run_model_inputs', ['run_pk', 'model_id']), [
          run.run_pk,
          m.model_id,
        ]);
      }
    });
  }

  async logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    await this.db.tx(async () => {
      const run = await this.activeRow(runId);
      for (const m of models) {
        await this.db.run(st(this.db).upsert('run_outputs', ['run_pk', 'model_id', 'step']), [
          run.run_pk,
          m.model_id,
          m.step,
        ]);
      }
    });
  }

  async searchDatasets(
    experimentIds: number[],
  ): Promise<{ experiment_id: string; name: string; digest: string; context?: string }[]> {
    if (experimentIds.length === 0) return [];
    const rows = await this.db.all<{
      experiment_id: number;
      name: string;
      digest: string;
      context: string | null;
    }>(
      `SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value AS context
       FROM datasets d JOIN run_inputs ri ON ri.dataset_pk = d.dataset_pk
       LEFT JOIN input_tags t ON t.run_pk = ri.run_pk AND t.dataset_pk = ri.dataset_pk AND t.name = 'mlflow.data.context'
       WHERE d.experiment_id IN (${experimentIds.map(() => '?').join(',')}) LIMIT 1000`,
      experimentIds,
    );
    return rows.map((r) => {
      const o: { experiment_id: string; name: string; digest: string; context?: string } = {
        experiment_id: String(r.experiment_id),
        name: r.name,
        digest: r.digest,
      };
      if (r.context !== null) o.context = r.context;
      return o;
    });
  }
}
