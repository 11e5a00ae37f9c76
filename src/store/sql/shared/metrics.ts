import type { Metric } from '../../../domain/entities/metric.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import type { MetricKeys } from './metric-keys.js';
import { type PointRow, sampleSeries } from './metric-sampling.js';
import type { SqlRuns } from './runs.js';

const point = (key: string, r: PointRow, runId?: string): Metric => {
  const m: Metric = { key, value: r.is_nan ? Number.NaN : r.value, timestamp: r.timestamp, step: r.step };
  if (runId !== undefined) m.run_id = runId;
  return m;
};

/** get-history's order (MLflow's SQL store: timestamp, step, value). */
const HISTORY_ORDER = 'ORDER BY timestamp, step, value';

export class SqlMetrics {
  constructor(
    private readonly db: SqlDb,
    private readonly runs: SqlRuns,
    private readonly keys: MetricKeys,
  ) {}

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

  /** A page of one series in MLflow's order (timestamp, step, value); limit undefined = all. */
  async history(
    runId: string,
    key: string,
    offset: number,
    limit: number | undefined,
  ): Promise<{ items: Metric[]; hasMore: boolean }> {
    const run = await this.runs.row(runId);
    const keyId = await this.keys.find(key);
    if (keyId === undefined) return { items: [], hasMore: false };
    const rows = await this.db.all<PointRow>(
      `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
       ${HISTORY_ORDER} LIMIT ? OFFSET ?`,
      [run.run_pk, keyId, limit === undefined ? st(this.db).noLimit() : limit + 1, offset],
    );
    const hasMore = limit !== undefined && rows.length > limit;
    return { items: (hasMore ? rows.slice(0, limit) : rows).map((r) => point(key, r)), hasMore };
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
