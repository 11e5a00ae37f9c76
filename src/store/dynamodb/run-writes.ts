import type { KeyValue } from '../../domain/entities/common.js';
import { storedMetricValue } from '../../domain/entities/metric.js';
import { type Dataset, TAG_DATASET_CONTEXT, TAG_RUN_NAME } from '../../domain/entities/run.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import type { LogBatchInput } from '../types.js';
import { conditionFailed, type Ddb, failedConditions, type Item } from './ddb.js';
import { chunkId, encodeBucketChunk, encodeChunk, MAX_POINTS, type Point } from './history-codec.js';
import * as K from './keys.js';
import { raiseLatest } from './latest.js';
import { writeLoggedModelMetrics } from './logged-model-items.js';
import type { RunMeta } from './run-items.js';
import type { DynamoRuns } from './runs.js';

/** Python's repr of the non-matching params list, as MLflow's log-batch error shows it. */
function pyRepr(items: { key: string; old_value: string; new_value: string }[]): string {
  const s = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `[${items.map((i) => `{'key': ${s(i.key)}, 'old_value': ${s(i.old_value)}, 'new_value': ${s(i.new_value)}}`).join(', ')}]`;
}

/** Parallel map with bounded concurrency. */
export async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * log-batch and the other writes to a run's children.
 *
 * A batch is validated completely before anything is written (the run is active, no param changes value), so a
 * refused batch writes nothing. Params go in one TransactWriteItems whose conditions keep them write-once even
 * against concurrent writers. Metric history goes as packed chunks whose sort keys hash their content, tags as
 * plain puts, latest values as conditional updates (MLflow's latest rule as the condition), points carrying a
 * model_id also as logged-model metric items (logged-model-items.ts): every write is
 * idempotent, so if DynamoDB fails part-way (503 to the client) the client's retry completes the batch without
 * duplicating a point. The run's version is raised last.
 */
export class DynamoRunWrites {
  constructor(
    private readonly ddb: Ddb,
    private readonly runs: DynamoRuns,
    private readonly historyTtl: () => number | undefined,
  ) {}

  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const m = await this.runs.activeMeta(runId);
    await this.writeParams(m, batch.params);
    await this.writeMetrics(m, batch.metrics);
    const tags = new Map(batch.tags.map((t) => [t.key, t.value]));
    await this.ddb.batchWrite([...tags].map(([key, value]) => this.tagItem(m, key, value)));
    const name = tags.get(TAG_RUN_NAME);
    if (name !== undefined && name !== m.name) {
      const stale = await this.runs.writeNameTrigrams(m.experiment_id, runId, name, m.name);
      await this.runs.bump(m, {
        set: ['#nm = :nm'],
        names: { '#nm': 'name' },
        values: { ':nm': name },
        tags,
      });
      await this.runs.dropNameTrigrams(m.experiment_id, runId, stale);
    } else if (batch.params.length + batch.metrics.length + batch.tags.length > 0) {
      await this.runs.bump(m, { tags });
    }
  }

  private tagItem(m: RunMeta, key: string, value: string): Item {
    return { ...K.runTag(m.experiment_id, m.run_id, key), key, value, lsi3sk: K.tagLsi3(key, value) };
  }

  private async writeParams(m: RunMeta, params: KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    const wanted = new Map<string, string>();
    for (const p of params) if (!wanted.has(p.key)) wanted.set(p.key, p.value);
    const stored = new Map(
      (await this.ddb.batchGet([...wanted.keys()].map((k) => K.runParam(m.experiment_id, m.run_id, k)))).map(
        (i) => [i.key as string, i.value as string],
      ),
    );
    const conflicts = params
      .filter((p) => stored.has(p.key) && stored.get(p.key) !== p.value)
      .map((p) => ({ key: p.key, old_value: stored.get(p.key)!, new_value: p.value }));
    // Within one batch the first value of a key wins and a different later one is a conflict, as in SQL.
    for (const p of params) {
      if (!stored.has(p.key) && wanted.get(p.key) !== p.value) {
        conflicts.push({ key: p.key, old_value: wanted.get(p.key)!, new_value: p.value });
      }
    }
    if (conflicts.length > 0) {
      throw invalidParam(
        `Changing param values is not allowed. Params were already logged='${pyRepr(conflicts)}' for run ID='${m.run_id}'.`,
      );
    }
    const fresh = [...wanted].filter(([k]) => !stored.has(k));
    for (let i = 0; i < fresh.length; i += 100) {
      const part = fresh.slice(i, i + 100);
      try {
        await this.ddb.transact(
          part.map(([key, value]) => ({
            Put: {
              Item: {
                ...K.runParam(m.experiment_id, m.run_id, key),
                key,
                value,
                lsi3sk: K.paramLsi3(key, value),
              },
              ConditionExpression: 'attribute_not_exists(SK) OR #v = :v',
              ExpressionAttributeNames: { '#v': 'value' },
              ExpressionAttributeValues: { ':v': value },
            },
          })),
        );
      } catch (e) {
        if (!conditionFailed(e)) throw e;
        // A concurrent writer stored a different value first: report it like a stored conflict.
        const lost = failedConditions(e).map((j) => part[j]![0]);
        const now = await this.ddb.batchGet(lost.map((k) => K.runParam(m.experiment_id, m.run_id, k)));
        throw invalidParam(
          `Changing param values is not allowed. Params were already logged='${pyRepr(
            now.map((i) => ({
              key: i.key as string,
              old_value: i.value as string,
              new_value: wanted.get(i.key as string)!,
            })),
          )}' for run ID='${m.run_id}'.`,
        );
      }
    }
  }

  private async writeMetrics(m: RunMeta, metrics: LogBatchInput['metrics']): Promise<void> {
    if (metrics.length === 0) return;
    const byKey = new Map<string, Point[]>();
    const latest = new Map<
      string,
      { key: string; step: number; timestamp: number; value: number; nan: boolean }
    >();
    for (const x of metrics) {
      const nan = Number.isNaN(x.value);
      const value = nan ? 0 : storedMetricValue(x.value);
      let pts = byKey.get(x.key);
      if (pts === undefined) {
        pts = [];
        byKey.set(x.key, pts);
      }
      pts.push({ step: x.step, timestamp: x.timestamp, value: nan ? Number.NaN : value });
      const cur = latest.get(x.key);
      if (
        cur === undefined ||
        x.step > cur.step ||
        (x.step === cur.step &&
          (x.timestamp > cur.timestamp || (x.timestamp === cur.timestamp && value > cur.value)))
      ) {
        latest.set(x.key, { key: x.key, step: x.step, timestamp: x.timestamp, value, nan });
      }
    }
    const ttl = this.historyTtl();
    await this.ddb.batchWrite(historyChunks(m.run_id, byKey, ttl));
    await raiseLatest(this.ddb, m.run_id, [...latest.values()]);
    // Points that name a logged model also go to that model (as the SQL stores' log-batch does).
    await writeLoggedModelMetrics(this.ddb, m.run_id, metrics);
  }

  async logParam(runId: string, p: KeyValue): Promise<void> {
    const m = await this.runs.activeMeta(runId);
    const key = K.runParam(m.experiment_id, runId, p.key);
    const conflict = (old: string) =>
      invalidParam(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
      );
    const old = await this.ddb.get<{ value: string }>(key);
    if (old !== undefined) {
      if (old.value !== p.value) throw conflict(old.value);
      return;
    }
    try {
      await this.ddb.put(
        { ...key, key: p.key, value: p.value, lsi3sk: K.paramLsi3(p.key, p.value) },
        {
          ConditionExpression: 'attribute_not_exists(SK) OR #v = :v',
          ExpressionAttributeNames: { '#v': 'value' },
          ExpressionAttributeValues: { ':v': p.value },
        },
      );
    } catch (e) {
      if (!conditionFailed(e)) throw e;
      throw conflict((await this.ddb.get<{ value: string }>(key))?.value ?? '');
    }
    await this.runs.bump(m);
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    const m = await this.runs.activeMeta(runId);
    const gone = await this.ddb.delete(K.runTag(m.experiment_id, runId, key), { ReturnValues: 'ALL_OLD' });
    if (gone === undefined) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    await this.runs.bump(m, { tags: new Map([[key, null]]) });
  }

  async logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void> {
    const m = await this.runs.activeMeta(runId);
    const e = m.experiment_id;
    for (const { dataset: d, tags } of datasets) {
      // The experiment's dataset: the first description of a (name, digest) wins, as the SQL insert-ignore does.
      const key = K.dataset(e, d.name, d.digest);
      const fields: Item = { name: d.name, digest: d.digest, source_type: d.source_type, source: d.source };
      if (d.schema !== undefined) fields.schema = d.schema;
      if (d.profile !== undefined) fields.profile = d.profile;
      try {
        await this.ddb.put({ ...key, ...fields }, { ConditionExpression: 'attribute_not_exists(SK)' });
      } catch (err) {
        if (!conditionFailed(err)) throw err;
      }
      const stored = (await this.ddb.get(key))!;
      const context = tags.find((t) => t.key === TAG_DATASET_CONTEXT)?.value;
      // A run lists a dataset once: the first input's tags are kept.
      try {
        await this.ddb.put(
          {
            ...K.runInput(e, runId, d.name, d.digest),
            name: stored.name,
            digest: stored.digest,
            source_type: stored.source_type,
            source: stored.source,
            ...(stored.schema !== undefined ? { schema: stored.schema } : {}),
            ...(stored.profile !== undefined ? { profile: stored.profile } : {}),
            tags,
          },
          { ConditionExpression: 'attribute_not_exists(SK)' },
        );
      } catch (err) {
        if (!conditionFailed(err)) throw err;
        continue;
      }
      await this.ddb.update({
        Key: key,
        UpdateExpression: context === undefined ? 'SET nocontext = :t' : 'ADD contexts :c',
        ExpressionAttributeValues: context === undefined ? { ':t': true } : { ':c': new Set([context]) },
      });
    }
    await this.ddb.batchWrite(
      [...new Set(models.map((x) => x.model_id))].map((id) => ({
        ...K.runModelInput(e, runId, id),
        model_id: id,
      })),
    );
    await this.runs.bump(m);
  }

  async logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    const m = await this.runs.activeMeta(runId);
    const last = new Map(models.map((x) => [x.model_id, x.step]));
    await this.ddb.batchWrite(
      [...last].map(([id, step]) => ({ ...K.runOutput(m.experiment_id, runId, id), model_id: id, step })),
    );
    await this.runs.bump(m);
  }

  async searchDatasets(
    experimentIds: string[],
  ): Promise<{ experiment_id: string; name: string; digest: string; context?: string }[]> {
    const out: { experiment_id: string; name: string; digest: string; context?: string }[] = [];
    for (const e of experimentIds) {
      for (const d of await this.ddb.prefix(K.expPk(e), 'D#')) {
        const base = { experiment_id: e, name: d.name as string, digest: d.digest as string };
        if (d.nocontext === true) out.push(base);
        for (const c of [...((d.contexts as Set<string> | undefined) ?? [])].sort())
          out.push({ ...base, context: c });
        if (out.length >= 1000) return out.slice(0, 1000);
      }
    }
    return out;
  }
}

/** A key with at least this many points in one batch gets chunks of its own; fewer share a bucket chunk. */
const OWN_CHUNK_POINTS = 64;

/**
 * The history items of one batch (history-codec.ts): big series in chunks of their own, small ones packed
 * together by bucket, so a batch of many keys with few points each costs a few items, not one per key. Content
 * ids make a retried batch rewrite the same items.
 */
export function historyChunks(
  runId: string,
  byKey: ReadonlyMap<string, Point[]>,
  ttl: number | undefined,
): Item[] {
  const out: Item[] = [];
  const extra = ttl === undefined ? {} : { ttl };
  const buckets = new Map<number, { keys: string[]; entries: { keyIndex: number; point: Point }[] }>();
  for (const [key, pts] of byKey) {
    if (pts.length >= OWN_CHUNK_POINTS) {
      for (let i = 0; i < pts.length; i += MAX_POINTS) {
        const d = encodeChunk(pts.slice(i, i + MAX_POINTS));
        out.push({ PK: K.historyPk(runId), SK: K.historyOwnSk(key, chunkId(runId, key, d)), d, ...extra });
      }
      continue;
    }
    const b = K.keyBucket(key);
    const bucket = buckets.get(b) ?? { keys: [], entries: [] };
    buckets.set(b, bucket);
    const keyIndex = bucket.keys.push(key) - 1;
    for (const point of pts) bucket.entries.push({ keyIndex, point });
  }
  for (const [b, { keys, entries }] of buckets) {
    // A batch has at most 1000 metrics (MLflow's limit), so a bucket chunk stays far below the item size limit.
    const d = encodeBucketChunk(entries);
    out.push({
      PK: K.historyPk(runId),
      SK: K.historyBucketSk(b, chunkId(runId, keys.join('\0'), d)),
      k: keys,
      d,
      ...extra,
    });
  }
  return out;
}
