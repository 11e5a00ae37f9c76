import type { Run } from '../../../domain/entities/run.js';

/**
 * Snapshots of complete runs, keyed by run_pk and the run's row_version. Search pages and run pages re-read the
 * same finished runs over and over; a snapshot saves reloading their params, tags and metrics, and the API layer
 * memoizes each snapshot's wire JSON, so an unchanged run is serialized once. Every write to a run raises its
 * row_version in the database, so a snapshot is used only while the version read with the run's row matches:
 * correct when other processes write the same database too. This process's own writes also drop the entry at
 * once. Snapshots are shared: nobody may mutate a returned Run. Bounded by an estimate of bytes.
 */
export class RunCache {
  private readonly entries = new Map<number, { run: Run; version: number; weight: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  /** The snapshot of the run with this key, id and version (a key freed by a purge may come back for a new run). */
  get(pk: number, runId: string, version: number): Run | undefined {
    const e = this.entries.get(pk);
    if (e === undefined) return undefined;
    if (e.version !== version || e.run.info.run_id !== runId) {
      this.invalidate(pk);
      return undefined;
    }
    // refresh recency: Map iteration order is insertion order, so re-insert
    this.entries.delete(pk);
    this.entries.set(pk, e);
    return e.run;
  }

  set(pk: number, version: number, run: Run): void {
    // Rough heap cost: objects and strings of each key/value plus the memoized wire JSON.
    const weight = 1000 + 300 * (run.data.params.length + run.data.tags.length + run.data.metrics.length);
    if (weight > this.maxBytes / 8) return;
    this.invalidate(pk);
    this.entries.set(pk, { run, version, weight });
    this.bytes += weight;
    for (const [oldPk, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldPk);
      this.bytes -= e.weight;
    }
  }

  invalidate(pk: number): void {
    const e = this.entries.get(pk);
    if (e === undefined) return;
    this.entries.delete(pk);
    this.bytes -= e.weight;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
