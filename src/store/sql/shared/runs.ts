import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../../domain/entities/common.js';
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
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import type { SqlExperiments } from './experiments.js';
import type { MetricKeys } from './metric-keys.js';
import { writeMetrics, writeParams } from './run-batch-writes.js';
import type { RunCache } from './run-cache.js';
import { loadRuns, type RunRow, toRunInfo } from './run-loader.js';

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
      await writeParams(this.db, run, batch.params);
      if (batch.metrics.length > 0) await writeMetrics(this.db, run, batch.metrics, keyIds);
      for (const t of batch.tags) await this.setTag(run, t);
    });
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
