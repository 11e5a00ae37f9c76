import type { Metric } from '../../../domain/entities/metric.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import type { MetricKeys } from './metric-keys.js';
import type { SqlRuns } from './runs.js';

interface PointRow {
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

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
   * The bucket starts are computed here from the series' row count (see ntileFirsts), so the database only numbers
   * the rows along the primary key, which is in that order, and returns the picked ones: no sort, no NTILE pass,
   * and only about maxResults rows cross the wire whatever the series' length.
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
    const range = q.startStep !== undefined && q.endStep !== undefined;
    const where = `run_pk = ? AND key_id = ?${range ? ' AND step BETWEEN ? AND ?' : ''}`;
    const args = (pk: number) => (range ? [pk, keyId, q.startStep!, q.endStep!] : [pk, keyId]);
    const out: Metric[] = [];
    for (const run of runs) {
      const counted = await this.db.get<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM metrics WHERE ${where}`,
        args(run.pk),
      );
      const n = Number(counted?.n ?? 0);
      if (n === 0) continue;
      const order = 'ORDER BY step, timestamp, value, is_nan';
      let rows: (PointRow & { rn: number | string })[];
      if (n <= q.maxResults) {
        rows = await this.db.all(
          `SELECT value, timestamp, step, is_nan, 0 AS rn FROM metrics WHERE ${where} ${order}`,
          args(run.pk),
        );
      } else {
        const t = ntileFirsts(n, q.maxResults);
        // 1-based row numbers rn: bucket starts are every (size + 1) rows below `bigEnd`, then every `size` rows.
        rows = await this.db.all(
          `SELECT value, timestamp, step, is_nan, rn FROM (
             SELECT value, timestamp, step, is_nan, ROW_NUMBER() OVER (${order}) AS rn
             FROM metrics WHERE ${where}) numbered
           WHERE (rn <= ? AND (rn - 1) % ? = 0) OR (rn > ? AND (rn - 1 - ?) % ? = 0) OR rn = ?
           ORDER BY rn`,
          [...args(run.pk), t.bigEnd, t.size + 1, t.bigEnd, t.bigEnd, t.size, n],
        );
        // The last row came back as an extra pick unless it starts a bucket: it replaces the last bucket start.
        if (rows.length > q.maxResults) rows.splice(rows.length - 2, 1);
      }
      for (const r of rows) out.push(point(q.key, r, run.id));
    }
    return out;
  }
}

/**
 * NTILE(buckets) over n > buckets rows: the first (n mod buckets) buckets hold size + 1 rows, the rest size rows,
 * with size = floor(n / buckets). Returns size and the row count of the big buckets together (bigEnd).
 */
export function ntileFirsts(n: number, buckets: number): { size: number; bigEnd: number } {
  const size = Math.floor(n / buckets);
  return { size, bigEnd: (n % buckets) * (size + 1) };
}
