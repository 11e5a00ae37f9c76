import type { Metric } from '../../domain/entities/metric.js';
import { MlflowError } from '../../domain/errors.js';
import { conditionFailed, type Ddb } from './ddb.js';
import * as K from './keys.js';

/**
 * Latest metric values of a run, in LATEST_SHARDS items of its metric partition (`MH#<run>` / `L#<shard>`), each a
 * map key → [step, timestamp, stored value as a string] ("NaN" for NaN; ±MAX_VALUE for ±Infinity, as MLflow stores
 * them). A log-batch reads the shards it touches, keeps MLflow's latest rule (greatest step, then timestamp, then
 * value) per key, and writes back each changed shard conditioned on the shard's version, so concurrent writers to
 * one run retry instead of overwriting each other. One batch costs a few small writes whatever its number of keys.
 */
export type LatestEntry = [step: number, timestamp: number, value: string];
interface Shard {
  PK: string;
  SK: string;
  v: number;
  m: Record<string, LatestEntry>;
}

export interface LatestPoint {
  key: string;
  step: number;
  timestamp: number;
  /** Stored value (0 for NaN). */
  value: number;
  nan: boolean;
}

const storedOf = (e: LatestEntry): number => (e[2] === 'NaN' ? 0 : Number(e[2]));

/** MLflow's rule: is `p` newer than the stored entry? */
export function newer(p: LatestPoint, e: LatestEntry | undefined): boolean {
  if (e === undefined) return true;
  if (p.step !== e[0]) return p.step > e[0];
  if (p.timestamp !== e[1]) return p.timestamp > e[1];
  return p.value > storedOf(e);
}

export const toMetric = (key: string, e: LatestEntry): Metric => ({
  key,
  value: Number(e[2]),
  timestamp: e[1],
  step: e[0],
});

/** Latest metrics of a run from its shard items, in key order. */
export function latestMetrics(shards: readonly { m?: Record<string, LatestEntry> }[]): Metric[] {
  const all: [string, LatestEntry][] = [];
  for (const s of shards) for (const [k, e] of Object.entries(s.m ?? {})) all.push([k, e]);
  all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return all.map(([k, e]) => toMetric(k, e));
}

/** Reads every shard of a run (one query on its metric partition). */
export async function readLatest(ddb: Ddb, runId: string): Promise<Metric[]> {
  return latestMetrics(
    (await ddb.prefix(K.historyPk(runId), 'L#')) as unknown as { m?: Record<string, LatestEntry> }[],
  );
}

/** The latest value of one key for many runs (one shard item each, 100 per request). */
export async function latestOfKey(
  ddb: Ddb,
  runIds: readonly string[],
  key: string,
): Promise<Map<string, number>> {
  const shard = K.latestShard(key);
  const items = await ddb.batchGet(runIds.map((r) => K.latestShardKey(r, shard)));
  const out = new Map<string, number>();
  for (const it of items) {
    const e = (it as unknown as Shard).m?.[key];
    if (e !== undefined) out.set((it.PK as string).slice(3), Number(e[2]));
  }
  return out;
}

/** Applies a batch's per-key latest points (already reduced to one per key) to the run's shards. */
export async function raiseLatest(ddb: Ddb, runId: string, points: readonly LatestPoint[]): Promise<void> {
  const byShard = new Map<number, LatestPoint[]>();
  for (const p of points) {
    const s = K.latestShard(p.key);
    const list = byShard.get(s) ?? [];
    list.push(p);
    byShard.set(s, list);
  }
  for (let attempt = 0; ; attempt++) {
    const current = new Map(
      (await ddb.batchGet([...byShard.keys()].map((s) => K.latestShardKey(runId, s)))).map((i) => [
        i.SK as string,
        i as unknown as Shard,
      ]),
    );
    try {
      await Promise.all(
        [...byShard].map(async ([s, pts]) => {
          const key = K.latestShardKey(runId, s);
          const cur = current.get(key.SK);
          const m: Record<string, LatestEntry> = { ...(cur?.m ?? {}) };
          let changed = false;
          for (const p of pts) {
            if (!newer(p, m[p.key])) continue;
            m[p.key] = [p.step, p.timestamp, p.nan ? 'NaN' : String(p.value)];
            changed = true;
          }
          if (!changed) return;
          await ddb.put(
            { ...key, v: (cur?.v ?? 0) + 1, m },
            cur === undefined
              ? { ConditionExpression: 'attribute_not_exists(PK)' }
              : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': cur.v } },
          );
        }),
      );
      return;
    } catch (e) {
      // Another writer changed a shard first: read again and re-apply (shards already written are newer-or-equal,
      // so re-applying to them is a no-op).
      if (!conditionFailed(e)) throw e;
      if (attempt >= 20) {
        throw new MlflowError(
          'TEMPORARILY_UNAVAILABLE',
          `Too many concurrent writers to run ${runId}; retry later.`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
  }
}
