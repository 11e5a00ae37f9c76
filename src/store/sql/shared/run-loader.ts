import type { KeyValue } from '../../../domain/entities/common.js';
import type { Metric } from '../../../domain/entities/metric.js';
import type { DatasetInput, Run, RunInfo, RunStatus } from '../../../domain/entities/run.js';
import { pushTo } from '../../group-by.js';
import type { SqlDb } from '../sql-db.js';
import type { RunCache } from './run-cache.js';

export interface RunRow {
  run_pk: number;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  deleted_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
  /** Raised by every write to the run (migration 0004): a snapshot is reused only at the same version. */
  row_version: number;
}

export function toRunInfo(r: RunRow): RunInfo {
  return {
    run_id: r.run_uuid,
    run_uuid: r.run_uuid,
    run_name: r.name,
    experiment_id: String(r.experiment_id),
    user_id: r.user_id,
    status: r.status as RunStatus,
    start_time: r.start_time,
    end_time: r.end_time,
    artifact_uri: r.artifact_uri,
    lifecycle_stage: r.lifecycle_stage,
  };
}

export function metricFromRow(r: {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}): Metric {
  return { key: r.key, value: r.is_nan ? Number.NaN : r.value, timestamp: r.timestamp, step: r.step };
}

const CHUNK = 500;

function inList(n: number): string {
  return Array.from({ length: n }, () => '?').join(',');
}

/** Rows of `sql` (which has one `IN (%s)` over run_pk) for all pks, queried in chunks. */
async function byChunks<T>(db: SqlDb, sql: string, pks: number[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < pks.length; i += CHUNK) {
    const part = pks.slice(i, i + CHUNK);
    out.push(...(await db.all<T>(sql.replace('%s', inList(part.length)), part)));
  }
  return out;
}

async function groupRows<V>(
  db: SqlDb,
  sql: string,
  pks: number[],
  map: (r: unknown[]) => V,
): Promise<Map<number, V[]>> {
  const out = new Map<number, V[]>();
  for (let i = 0; i < pks.length; i += CHUNK) {
    const part = pks.slice(i, i + CHUNK);
    for (const r of await db.rows(sql.replace('%s', inList(part.length)), part))
      pushTo(out, r[0] as number, map(r));
  }
  return out;
}

function group<T extends { run_pk: number }, V>(rows: T[], map: (r: T) => V): Map<number, V[]> {
  const out = new Map<number, V[]>();
  for (const r of rows) {
    pushTo(out, r.run_pk, map(r));
  }
  return out;
}

/** Loads complete runs (info, tags, params, latest metrics, inputs, outputs) for the given rows, in order. */
export async function loadRuns(db: SqlDb, allRows: RunRow[], cache?: RunCache): Promise<Run[]> {
  if (allRows.length === 0) return [];
  const hits = new Map<number, Run>();
  if (cache !== undefined) {
    for (const r of allRows) {
      const run = cache.get(r.run_pk, r.run_uuid, Number(r.row_version));
      if (run !== undefined) hits.set(r.run_pk, run);
    }
  }
  const rows = hits.size === 0 ? allRows : allRows.filter((r) => !hits.has(r.run_pk));
  const loaded = rows.length === 0 ? [] : await loadUncached(db, rows);
  if (cache !== undefined)
    for (const [i, run] of loaded.entries()) cache.set(rows[i]!.run_pk, Number(rows[i]!.row_version), run);
  if (hits.size === 0) return loaded;
  const fresh = new Map(rows.map((r, i) => [r.run_pk, loaded[i]!]));
  return allRows.map((r) => hits.get(r.run_pk) ?? fresh.get(r.run_pk)!);
}

async function loadUncached(db: SqlDb, rows: RunRow[]): Promise<Run[]> {
  const pks = rows.map((r) => r.run_pk);
  // Bulk child rows come back as arrays (about twice as fast as objects); column 0 is always run_pk.
  const kv = (r: unknown[]): KeyValue => ({ key: r[1] as string, value: r[2] as string });
  const tags = await groupRows(db, 'SELECT run_pk, "key", value FROM run_tags WHERE run_pk IN (%s)', pks, kv);
  const params = await groupRows(db, 'SELECT run_pk, "key", value FROM params WHERE run_pk IN (%s)', pks, kv);
  const metrics = await groupRows(
    db,
    `SELECT l.run_pk, k."key", l.value, l.timestamp, l.step, l.is_nan
     FROM latest_metrics l JOIN metric_keys k ON k.key_id = l.key_id WHERE l.run_pk IN (%s)`,
    pks,
    (r): Metric => ({
      key: r[1] as string,
      value: r[5] ? Number.NaN : (r[2] as number),
      timestamp: r[3] as number,
      step: r[4] as number,
    }),
  );
  const inputs = await loadDatasetInputs(db, pks);
  const modelInputs = group(
    await byChunks<{ run_pk: number; model_id: string }>(
      db,
      'SELECT run_pk, model_id FROM run_model_inputs WHERE run_pk IN (%s)',
      pks,
    ),
    (r) => ({ model_id: r.model_id }),
  );
  const outputs = group(
    await byChunks<{ run_pk: number; model_id: string; step: number }>(
      db,
      'SELECT run_pk, model_id, step FROM run_outputs WHERE run_pk IN (%s)',
      pks,
    ),
    (r) => ({ model_id: r.model_id, step: r.step }),
  );
  return rows.map((r) => ({
    info: toRunInfo(r),
    data: {
      metrics: metrics.get(r.run_pk) ?? [],
      params: params.get(r.run_pk) ?? [],
      tags: tags.get(r.run_pk) ?? [],
    },
    inputs: { dataset_inputs: inputs.get(r.run_pk) ?? [], model_inputs: modelInputs.get(r.run_pk) ?? [] },
    outputs: { model_outputs: outputs.get(r.run_pk) ?? [] },
  }));
}

async function loadDatasetInputs(db: SqlDb, pks: number[]): Promise<Map<number, DatasetInput[]>> {
  const rows = await byChunks<{
    run_pk: number;
    dataset_pk: number;
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema: string | null;
    profile: string | null;
  }>(
    db,
    `SELECT ri.run_pk, d.dataset_pk, d.name, d.digest, d.source_type, d.source, d."schema", d.profile
     FROM run_inputs ri JOIN datasets d ON d.dataset_pk = ri.dataset_pk WHERE ri.run_pk IN (%s)`,
    pks,
  );
  if (rows.length === 0) return new Map();
  const tagRows = await byChunks<{ run_pk: number; dataset_pk: number; name: string; value: string }>(
    db,
    'SELECT run_pk, dataset_pk, name, value FROM input_tags WHERE run_pk IN (%s)',
    pks,
  );
  const tagMap = new Map<string, KeyValue[]>();
  for (const t of tagRows) {
    const k = `${t.run_pk}:${t.dataset_pk}`;
    pushTo(tagMap, k, { key: t.name, value: t.value });
  }
  return group(rows, (r) => {
    const dataset: DatasetInput['dataset'] = {
      name: r.name,
      digest: r.digest,
      source_type: r.source_type,
      source: r.source,
    };
    if (r.schema !== null) dataset.schema = r.schema;
    if (r.profile !== null) dataset.profile = r.profile;
    return { tags: tagMap.get(`${r.run_pk}:${r.dataset_pk}`) ?? [], dataset };
  });
}
