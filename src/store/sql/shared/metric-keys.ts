import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';

/**
 * Metric names ↔ integer ids. New names are inserted in their own short transaction before the caller's write
 * transaction, so the cache never holds an id that a rollback removed (an unused name row is harmless).
 */
export class MetricKeys {
  private readonly cache = new Map<string, number>();
  constructor(private readonly db: SqlDb) {}

  async ids(keys: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const k of keys) {
      if (out.has(k)) continue;
      const id = this.cache.get(k);
      if (id === undefined) missing.push(k);
      else out.set(k, id);
    }
    if (missing.length > 0) {
      await this.db.tx(async () => {
        for (const k of new Set(missing))
          await this.db.run(st(this.db).insertIgnore('metric_keys', ['key']), [k]);
      });
      for (const k of new Set(missing)) {
        const row = (await this.db.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE "key" = ?', [
          k,
        ]))!;
        this.cache.set(k, row.key_id);
        out.set(k, row.key_id);
      }
    }
    return out;
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
