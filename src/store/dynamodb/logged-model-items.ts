import type { KeyValue } from '../../domain/entities/common.js';
import type { LoggedModel, LoggedModelStatus } from '../../domain/entities/logged-model.js';
import { type Metric, storedMetricValue } from '../../domain/entities/metric.js';
import type { Ddb, Item } from './ddb.js';
import * as K from './keys.js';

/**
 * The items of a logged model (keys.ts "logged models"): META `EXP#<exp>` / `LM#<model>`, children
 * `LM#<model>#T#<key>` (tags), `LM#<model>#P#<key>` (params), `LM#<model>#M#<name>#<ts>#<step>#<run>` (metric
 * points), and the pointer `LMODEL#<model>` → experiment. Shared by DynamoLoggedModels and log-batch.
 */

/** Logged-model META item. */
export interface ModelMeta {
  PK: string;
  SK: string;
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: LoggedModelStatus;
  lifecycle_stage: 'active' | 'deleted';
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  creator_id?: string;
}

/**
 * A metric point of a model. `value` is the stored double as a string (DynamoDB numbers cannot hold every double,
 * e.g. ±MAX_VALUE, which stands for ±Infinity); NaN is `"NaN"`.
 */
export interface ModelMetricItem {
  key: string;
  value: string;
  timestamp: number;
  step: number;
  run_id: string;
  dataset_name?: string;
  dataset_digest?: string;
}

/** A model's META with its children, in key order. */
export interface ModelState {
  meta: ModelMeta;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: ModelMetricItem[];
}

/**
 * The value a metric point has in SQL comparisons and ordering: the SQL stores keep 0 in the value column of a
 * NaN point (with is_nan set) and compare that column, so NaN counts as 0 there too.
 */
export const sqlMetricValue = (m: ModelMetricItem): number => (m.value === 'NaN' ? 0 : Number(m.value));

/** The model id and child kind (`T`, `P`, `M`; undefined for META) of an `LM#...` sort key. */
function parseSk(sk: string): { modelId: string; kind?: string } {
  const rest = sk.slice(K.loggedModelsPrefix.length);
  const i = rest.indexOf('#');
  if (i < 0) return { modelId: rest };
  const j = rest.indexOf('#', i + 1);
  return { modelId: rest.slice(0, i), kind: rest.slice(i + 1, j < 0 ? undefined : j) };
}

/** Groups `LM#...` items (META and children, any order) into models; children without a META are dropped. */
export function assembleModels(items: readonly Item[]): ModelState[] {
  const byId = new Map<string, ModelState>();
  const children: { modelId: string; kind: string | undefined; item: Item }[] = [];
  for (const item of items) {
    const { modelId, kind } = parseSk(item.SK as string);
    if (kind === undefined) {
      byId.set(modelId, { meta: item as unknown as ModelMeta, tags: [], params: [], metrics: [] });
    } else children.push({ modelId, kind, item });
  }
  for (const { modelId, kind, item } of children) {
    const s = byId.get(modelId);
    if (s === undefined) continue;
    if (kind === 'T') s.tags.push({ key: item.key as string, value: item.value as string });
    else if (kind === 'P') s.params.push({ key: item.key as string, value: item.value as string });
    else if (kind === 'M') s.metrics.push(item as unknown as ModelMetricItem);
  }
  return [...byId.values()];
}

export function toLoggedModel(s: ModelState): LoggedModel {
  const m = s.meta;
  const info: LoggedModel['info'] = {
    model_id: m.model_id,
    experiment_id: m.experiment_id,
    name: m.name,
    creation_timestamp_ms: m.creation_timestamp_ms,
    last_updated_timestamp_ms: m.last_updated_timestamp_ms,
    artifact_uri: m.artifact_location,
    status: m.status,
    tags: s.tags,
    registrations: [],
  };
  if (m.model_type !== undefined) info.model_type = m.model_type;
  if (m.source_run_id !== undefined) info.source_run_id = m.source_run_id;
  if (m.status_message !== undefined) info.status_message = m.status_message;
  if (m.creator_id !== undefined) info.creator_id = m.creator_id;
  // The SQL stores list a model's metrics by (timestamp, step); the sort is stable, so ties stay in key order.
  const metrics = [...s.metrics]
    .sort((a, b) => a.timestamp - b.timestamp || a.step - b.step)
    .map((x): Metric => {
      const out: Metric = {
        key: x.key,
        value: Number(x.value),
        timestamp: x.timestamp,
        step: x.step,
        model_id: m.model_id,
        run_id: x.run_id,
      };
      if (x.dataset_name !== undefined) out.dataset_name = x.dataset_name;
      if (x.dataset_digest !== undefined) out.dataset_digest = x.dataset_digest;
      return out;
    });
  return { info, data: { params: s.params, metrics } };
}

/** Model id → experiment id for the models that exist (consistent reads of their pointers). */
export async function modelExperiments(ddb: Ddb, modelIds: readonly string[]): Promise<Map<string, string>> {
  const ptrs = await ddb.batchGet([...new Set(modelIds)].map((id) => K.loggedModelPointer(id)));
  return new Map(ptrs.map((p) => [p.model_id as string, p.experiment_id as string]));
}

/**
 * log-batch's metrics that carry a model_id, written to their logged models as the SQL stores do: one point per
 * (model, metric name, timestamp, step, run), replaced by a later write of the same point (dataset included), and
 * only for models that exist (deleted ones too). Models are never removed from the table (delete is a lifecycle
 * change), so a pointer read once stays true and the puts need no condition; they are idempotent, so a retried
 * batch rewrites the same items.
 */
export async function writeLoggedModelMetrics(
  ddb: Ddb,
  runId: string,
  metrics: readonly Metric[],
): Promise<void> {
  const points = metrics.filter((m) => m.model_id);
  if (points.length === 0) return;
  const expOf = await modelExperiments(
    ddb,
    points.map((p) => p.model_id!),
  );
  // The last write of a point in the batch wins, as with the SQL upsert (a BatchWriteItem takes each key once).
  const items = new Map<string, Item>();
  for (const p of points) {
    const exp = expOf.get(p.model_id!);
    if (exp === undefined) continue;
    const key = K.loggedModelMetric(exp, p.model_id!, p.key, p.timestamp, p.step, runId);
    const item: Item & ModelMetricItem = {
      ...key,
      key: p.key,
      value: Number.isNaN(p.value) ? 'NaN' : String(storedMetricValue(p.value)),
      timestamp: p.timestamp,
      step: p.step,
      run_id: runId,
    };
    if (p.dataset_name !== undefined) item.dataset_name = p.dataset_name;
    if (p.dataset_digest !== undefined) item.dataset_digest = p.dataset_digest;
    items.set(key.SK, item);
  }
  await ddb.batchWrite([...items.values()]);
}
