import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';

/** Names per lookup statement (far below every dialect's parameter limit). */
const LOOKUP_CHUNK = 500;

/**
 * Metric names ↔ integer ids. New names are inserted in their own short transaction before the caller's write
 * transaction, so the cache never holds an id that a rollback removed (an unused name row is harmless).
 *
 * A batch's unknown names cost one lookup and, for those still missing, one multi-row insert in sorted order (two
 * servers inserting overlapping sets lock the names in the same order, so they cannot deadlock), then one lookup of
 * the new ids. Requests of this process that miss the same name at once share one registration.
 */
export class MetricKeys {
  private readonly cache = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  constructor(private readonly db: SqlDb) {}

  async ids(keys: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing = new Set<string>();
    for (const k of keys) {
      const id = this.cache.get(k);
      if (id === undefined) missing.add(k);
      else out.set(k, id);
    }
    if (missing.size === 0) return out;
    const waits = new Set<Promise<void>>();
    const mine: string[] = [];
    for (const k of missing) {
      const p = this.pending.get(k);
      if (p === undefined) mine.push(k);
      else waits.add(p);
    }
    if (mine.length > 0) {
      const p = this.register(mine.sort());
      for (const k of mine) this.pending.set(k, p);
      waits.add(
        p.finally(() => {
          for (const k of mine) if (this.pending.get(k) === p) this.pending.delete(k);
        }),
      );
    }
    await Promise.all(waits);
    for (const k of missing) out.set(k, this.cache.get(k)!);
    return out;
  }

  private async register(keys: string[]): Promise<void> {
    await this.load(keys);
    const fresh = keys.filter((k) => !this.cache.has(k));
    if (fresh.length === 0) return;
    await this.db.runMany(
      st(this.db).insertIgnore('metric_keys', ['key']),
      fresh.map((k) => [k]),
    );
    await this.load(fresh);
    const lost = fresh.find((k) => !this.cache.has(k));
    if (lost !== undefined) throw new Error(`metric name ${JSON.stringify(lost)} has no id after its insert`);
  }

  /** Reads the ids of existing names into the cache. */
  private async load(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const part = keys.slice(i, i + LOOKUP_CHUNK);
      const rows = await this.db.all<{ key_id: number | string; key: string }>(
        `SELECT key_id, "key" FROM metric_keys WHERE "key" IN (${part.map(() => '?').join(', ')})`,
        part,
      );
      for (const r of rows) this.cache.set(r.key, Number(r.key_id));
    }
  }

  /** Id of an existing name, or undefined (reads never create names). */
  async find(key: string): Promise<number | undefined> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const row = await this.db.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE "key" = ?', [
      key,
    ]);
    if (row !== undefined) this.cache.set(key, row.key_id);
    return row?.key_id;
  }
}
