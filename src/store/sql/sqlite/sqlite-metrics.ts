import type { Metric } from '../../../domain/entities/metric.js';
import type { SqliteDb } from './sqlite-db.js';
import type { MetricKeys } from './sqlite-metric-keys.js';
import type { SqliteRuns } from './sqlite-runs.js';

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

export class SqliteMetrics {
  constructor(
    private readonly db: SqliteDb,
    private readonly runs: SqliteRuns,
    private readonly keys: MetricKeys,
  ) {}

  /** A page of one series in MLflow's order (timestamp, step, value); limit undefined = all. */
  history(
    runId: string,
    key: string,
    offset: number,
    limit: number | undefined,
  ): { items: Metric[]; hasMore: boolean } {
    const run = this.runs.row(runId);
    const keyId = this.keys.find(key);
    if (keyId === undefined) return { items: [], hasMore: false };
    const rows = this.db.all<PointRow>(
      `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
       ORDER BY timestamp, step, value LIMIT ? OFFSET ?`,
      [run.run_pk, keyId, limit === undefined ? -1 : limit + 1, offset],
    );
    const hasMore = limit !== undefined && rows.length > limit;
    return { items: (hasMore ? rows.slice(0, limit) : rows).map((r) => point(key, r)), hasMore };
  }

  /** Several runs' series, ordered by run id, then timestamp, step, value. */
  bulk(runIds: string[], key: string, maxResults: number): Metric[] {
    const keyId = this.keys.find(key);
    if (keyId === undefined) return [];
    const out: Metric[] = [];
    for (const runId of [...new Set(runIds)].sort()) {
      const run = this.runs.row(runId);
      const rows = this.db.all<PointRow>(
        `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ?
         ORDER BY timestamp, step, value LIMIT ?`,
        [run.run_pk, keyId, maxResults - out.length],
      );
      for (const r of rows) out.push(point(key, r, runId));
      if (out.length >= maxResults) break;
    }
    return out;
  }

  /**
   * UI chart sampling: per run, keep the first and last step in range and evenly spaced steps between them, up to
   * maxResults steps; every point at a chosen step is returned. Reads only distinct steps (an index-only scan),
   * then the chosen steps' points.
   */
  bulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Metric[] {
    const keyId = this.keys.find(q.key);
    if (keyId === undefined) return [];
    const out: Metric[] = [];
    for (const runId of [...new Set(q.runIds)].sort()) {
      const run = this.runs.row(runId);
      const range = q.startStep !== undefined && q.endStep !== undefined;
      const steps = this.db
        .all<{ step: number }>(
          `SELECT DISTINCT step FROM metrics WHERE run_pk = ? AND key_id = ?${range ? ' AND step BETWEEN ? AND ?' : ''} ORDER BY step`,
          range ? [run.run_pk, keyId, q.startStep!, q.endStep!] : [run.run_pk, keyId],
        )
        .map((r) => r.step);
      const chosen = sampleSteps(steps, q.maxResults);
      for (const step of chosen) {
        const rows = this.db.all<PointRow>(
          'SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ? AND step = ? ORDER BY timestamp, value',
          [run.run_pk, keyId, step],
        );
        for (const r of rows) out.push(point(q.key, r, runId));
      }
    }
    return out;
  }
}

/** Evenly spaced picks from sorted distinct steps, always keeping the first and the last. */
export function sampleSteps(steps: number[], max: number): number[] {
  if (steps.length <= max) return steps;
  if (max <= 1) return steps.slice(-1);
  const out: number[] = [];
  const stride = (steps.length - 1) / (max - 1);
  let last = -1;
  for (let i = 0; i < max; i++) {
    const idx = Math.round(i * stride);
    if (idx !== last) out.push(steps[idx]!);
    last = idx;
  }
  return out;
}
