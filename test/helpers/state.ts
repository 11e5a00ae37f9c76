import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { expect } from 'vitest';
import type { Metric } from '../../src/domain/entities/metric.js';
import type { TrackingStore } from '../../src/store/types.js';

/**
 * Everything a failed request could have touched, read back through the store: all experiments (with tags), all
 * runs (with params, tags, latest metrics, inputs, outputs), every metric history and every logged model.
 * Compare two snapshots with `toEqual` to prove that a rejected request wrote nothing.
 */
export async function snapshot(store: TrackingStore): Promise<unknown> {
  const experiments = (
    await store.searchExperiments({ viewType: 'ALL', maxResults: 50000, filter: [], orderBy: [] })
  ).items;
  const ids = experiments.map((e) => e.experiment_id);
  const runs = (
    await store.searchRuns({
      experimentIds: ids,
      filter: [],
      viewType: 'ALL',
      maxResults: 50000,
      orderBy: [],
    })
  ).items;
  const histories: Record<string, Metric[]> = {};
  for (const run of runs) {
    for (const m of run.data.metrics) {
      const h = await store.getMetricHistory(run.info.run_id, m.key, {});
      histories[`${run.info.run_id}/${m.key}`] = h.items;
    }
  }
  const models = (
    await store.searchLoggedModels({
      experimentIds: ids,
      filter: [],
      datasets: [],
      maxResults: 50000,
      orderBy: [],
    })
  ).items;
  return { experiments, runs, histories, models };
}

/** Runs `action` (which should be a rejected request and its assertions) and asserts the store is unchanged. */
export async function expectNoWrites(store: TrackingStore, action: () => Promise<unknown>): Promise<void> {
  const before = await snapshot(store);
  await action();
  expect(await snapshot(store)).toEqual(before);
}

function sqliteHandle(store: TrackingStore): DatabaseSync {
  const db = (store as unknown as { db?: { db?: { raw?: DatabaseSync } } }).db?.db?.raw;
  if (db === undefined) throw new Error('this helper needs the SQLite store');
  return db;
}

/**
 * A fingerprint of every row of a SQLite-backed store. `metric_keys` is left out: it is an internal name table
 * that may gain an unused name before a write is rejected, which no client can observe.
 */
export function sqliteFingerprint(store: TrackingStore): string {
  const db = sqliteHandle(store);
  const hash = createHash('sha1');
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'metric_keys' ORDER BY name")
    .all() as { name: string }[];
  for (const { name } of tables) {
    hash.update(name);
    for (const row of db.prepare(`SELECT * FROM "${name}"`).iterate()) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

/**
 * Tracks whether requests change a SQLite store, cheaply enough for loops over thousands of requests:
 * `total_changes()` rules out writes in O(1); only when it moved is the full fingerprint compared.
 */
export class WriteTracker {
  private readonly db: DatabaseSync;
  private changes: number;
  private fingerprint: string;

  constructor(private readonly store: TrackingStore) {
    this.db = sqliteHandle(store);
    this.changes = this.totalChanges();
    this.fingerprint = sqliteFingerprint(store);
  }

  private totalChanges(): number {
    return Number((this.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n);
  }

  /** True when the data differs from the last call (or construction); then remembers the new state. */
  changed(): boolean {
    const n = this.totalChanges();
    if (n === this.changes) return false;
    this.changes = n;
    const fp = sqliteFingerprint(this.store);
    const moved = fp !== this.fingerprint;
    this.fingerprint = fp;
    return moved;
  }
}
