import type { KeyValue } from '../../../domain/entities/common.js';
import { storedMetricValue } from '../../../domain/entities/metric.js';
import { invalidParam } from '../../../domain/errors.js';
import type { LogBatchInput } from '../../types.js';
import type { Params, SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import type { RunRow } from './run-loader.js';

/*
 * The params and metrics half of log-batch, inside its transaction with the run row already locked
 * (SqlRuns.activeRow): write-once params, metric history, the latest-metric rule and logged-model metrics.
 */

/** Param keys per lookup statement (far below every dialect's parameter limit). */
const PARAM_CHUNK = 500;
/** Metric keys per latest-metric upsert statement (6 parameters each). */
const LATEST_CHUNK = 500;

/** Python's repr of the non-matching params list, as MLflow's log-batch error shows it. */
function pyRepr(items: { key: string; old_value: string; new_value: string }[]): string {
  const s = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `[${items.map((i) => `{'key': ${s(i.key)}, 'old_value': ${s(i.old_value)}, 'new_value': ${s(i.new_value)}}`).join(', ')}]`;
}

/** Write-once params; a changed value fails the whole batch. */
export async function writeParams(db: SqlDb, run: RunRow, params: KeyValue[]): Promise<void> {
  if (params.length === 0) return;
  // One read of the stored values and one multi-row insert (the run row is locked, so nothing slips between).
  const stored = new Map<string, string>();
  const keys = [...new Set(params.map((p) => p.key))];
  for (let i = 0; i < keys.length; i += PARAM_CHUNK) {
    const part = keys.slice(i, i + PARAM_CHUNK);
    const rows = await db.all<{ key: string; value: string }>(
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
  await db.runMany(
    st(db).insertIgnore('params', ['run_pk', 'key', 'value']),
    [...fresh].map(([key, value]) => [run.run_pk, key, value]),
  );
}

/** History points, each key's latest point (MLflow's rule) and the points of logged models. */
export async function writeMetrics(
  db: SqlDb,
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
  await db.runMany(
    st(db).insertIgnore('metrics', ['run_pk', 'key_id', 'step', 'timestamp', 'value', 'is_nan']),
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
    await db.run(st(db).latestMetricUpsert(part.length), part.flat());
  }
  const modelPoints = metrics.filter((m) => m.model_id);
  if (modelPoints.length > 0) {
    await db.runMany(
      st(db).upsert(
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
