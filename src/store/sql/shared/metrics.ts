import type { Metric } from '../../../domain/entities/metric.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import { closeCursor, HistoryCursors, pullRows } from './history-cursors.js';
import type { MetricKeys } from './metric-keys.js';
import { type PointRow, sampleSeries } from './metric-sampling.js';
import type { SqlRuns } from './runs.js';

const point = (key: string, r: PointRow, runId?: string): Metric => {
  const m: Metric = { key, value: r.is_nan ? Number.NaN : r.value, timestamp: r.timestamp, step: r.step };
  if (runId !== undefined) m.run_id = runId;
  return m;
};

/** Rows per read of a parked history cursor. */
const CURSOR_CHUNK_ROWS = 5000;

/** get-history's order (MLflow's SQL store: timestamp, step, value; is_nan makes it total, so pages never overlap). */
const HISTORY_ORDER = 'ORDER BY timestamp, step, value, is_nan';

export class SqlMetrics {
  constructor(
    private readonly db: SqlDb,
    private readonly runs: SqlRuns,
    private readonly keys: MetricKeys,
  ) {
    // SQLite only: a parked cursor holds a read-only connection of this process, which is cheap; on PostgreSQL and
    // MySQL it would hold a pooled connection between requests.
    this.cursors = db.dialect === 'sqlite' ? new HistoryCursors() : undefined;
  }
  private readonly cursors: HistoryCursors | undefined;

  /**
   * The whole series in history()'s order, read through db.stream: memory stays at a chunk whatever the length
   * (SQLite sorts through temporary files beyond a small cache; PostgreSQL and MySQL stream from the server).
   */
  async historyChunks(runId: string, key: string, chunkRows: number): Promise<AsyncIterable<Metric[]>> {
    const run = await this.runs.row(runId);
    const keyId = await this.keys.find(key);
    if (keyId === undefined) return (async function* () {})();
    const chunks = this.db.stream(
      `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ? ${HISTORY_ORDER}`,
      [run.run_pk, keyId],
      chunkRows,
    );
    return (async function* () {
      for await (const rows of chunks) {
        yield rows.map((r) => {
          const [value, timestamp, step, isNan] = r as [number, number, number, number];
          return point(key, { value, timestamp, step, is_nan: isNan });
        });
      }
    })();
  }

  /**
   * A page of one series in MLflow's order (timestamp, step, value); limit undefined = all. On SQLite a page that
   * has more after it parks its cursor (HistoryCursors) and returns its id; the next page, given that id and the
   * offset it stopped at, reads on from there instead of sorting and skipping again.
   */
  async history(
    runId: string,
    key: string,
    offset: number,
    limit: number | undefined,
    cursorId?: string,
  ): Promise<{ items: Metric[]; hasMore: boolean; cursor?: string }> {
    const run = await this.runs.row(runId);
    const keyId = await this.keys.find(key);
    if (keyId === undefined) return { items: [], hasMore: false };
    const sql = `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
       ${HISTORY_ORDER} LIMIT ? OFFSET ?`;
    if (limit !== undefined && this.cursors !== undefined) {
      const c = this.cursors.take(cursorId, run.run_pk, keyId, offset) ?? {
        runPk: run.run_pk,
        keyId,
        pos: offset,
        chunks: this.db
          .stream(sql, [run.run_pk, keyId, st(this.db).noLimit(), offset], CURSOR_CHUNK_ROWS)
          [Symbol.asyncIterator](),
        buf: [],
        done: false,
      };
      let rows: unknown[][];
      try {
        rows = await pullRows(c, limit + 1);
      } catch (e) {
        await closeCursor(c);
        throw e;
      }
      const hasMore = rows.length > limit;
      if (hasMore) {
        c.buf.unshift(rows.pop()!);
        c.pos -= 1;
      }
      const items = rows.map((r) => {
        const [value, timestamp, step, isNan] = r as [number, number, number, number];
        return point(key, { value, timestamp, step, is_nan: isNan });
      });
      if (!hasMore) {
        await closeCursor(c);
        return { items, hasMore };
      }
      return { items, hasMore, cursor: this.cursors.park(c) };
    }
    const rows = await this.db.all<PointRow>(sql, [
      run.run_pk,
      keyId,
      limit === undefined ? st(this.db).noLimit() : limit + 1,
      offset,
    ]);
    const hasMore = limit !== undefined && rows.length > limit;
    return { items: (hasMore ? rows.slice(0, limit) : rows).map((r) => point(key, r)), hasMore };
  }

  /** Closes the parked history cursors (before the database closes). */
  async close(): Promise<void> {
    await this.cursors?.closeAll();
  }

  /** Several runs' series, ordered by run id, then timestamp, step, value. */
  async bulk(runIds: string[], key: string, maxResults: number): Promise<Metric[]> {
    const keyId = await this.keys.find(key);
    if (keyId === undefined) return [];
    const out: Metric[] = [];
    for (const runId of [...new Set(runIds)].sort()) {
      const run = await this.runs.row(runId);
      const rows = await this.db.all<PointRow>(
        `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
         ${HISTORY_ORDER} LIMIT ?`,
        [run.run_pk, keyId, maxResults - out.length],
      );
      for (const r of rows) out.push(point(key, r, runId));
      if (out.length >= maxResults) break;
    }
    return out;
  }

  /**
   * UI chart sampling, MLflow 3.17's rule: per run, the rows of the series (within [startStep, endStep]) in
   * (step, timestamp, value, is_nan) order are cut into maxResults NTILE buckets and the first row of each is kept;
   * the series' last row is always included, replacing the last pick when the page is full. Runs come back in the
   * order asked; an unknown run is RESOURCE_DOES_NOT_EXIST.
   *
   * The bucket starts are computed from the series' row count and found along the primary key, which is in that
   * order (metric-sampling.ts): no sort, no NTILE pass, and only about maxResults rows per run are read out.
   */
  async bulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<Metric[]> {
    const runs: { id: string; pk: number }[] = [];
    for (const id of q.runIds) runs.push({ id, pk: (await this.runs.row(id)).run_pk });
    const keyId = await this.keys.find(q.key);
    if (keyId === undefined) return [];
    const out: Metric[] = [];
    for (const run of runs) {
      const series = { runPk: run.pk, keyId, startStep: q.startStep, endStep: q.endStep };
      for (const r of await sampleSeries(this.db, series, q.maxResults)) out.push(point(q.key, r, run.id));
    }
    return out;
  }
}
