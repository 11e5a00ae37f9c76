import { DatabaseSync } from 'node:sqlite';
import { m0001 } from '../src/store/sql/migrations/0001-initial.js';
import { fileSize } from './lib/backends.js';
import { CpuMeter, type CpuShare } from './lib/cpu.js';
import { forEachPoint, W1_KEYS, type W1Plan } from './w1-data.js';

export interface FloorResult {
  rows: number;
  wallMs: number;
  rowsPerSec: number;
  dbBytes: number;
  cpu: CpuShare;
}

/**
 * The W1 physical floor: the same rows straight into the same `metrics` table (mltrack's migration DDL) in a fresh
 * file: WAL, synchronous=NORMAL, one reused prepared statement, one transaction per 1000 rows, requests in the
 * order the server sees them (round-robin over clients), WAL checkpoints outside the timed loop as in the server. With `latest`, each transaction also upserts the 50
 * latest_metrics rows the way log-batch does.
 */
export function sqliteFloor(plan: W1Plan, dbFile: string, latest: boolean): FloorResult {
  const db = new DatabaseSync(dbFile);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    // The server checkpoints the WAL from a background thread, off the request path; the floor likewise keeps
    // checkpoints out of the timed inserts (one TRUNCATE checkpoint after the clock stops).
    db.exec('PRAGMA wal_autocheckpoint = 0');
    db.exec(m0001.sqlite);
    const ins = db.prepare(
      'INSERT OR IGNORE INTO metrics (run_pk, key_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const up = db.prepare(
      `INSERT INTO latest_metrics (run_pk, key_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_pk, key_id) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp,
         value = excluded.value, is_nan = excluded.is_nan
       WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
    );
    const last: [number, number, number][] = Array.from({ length: W1_KEYS }, () => [0, 0, 0]);
    let rows = 0;
    const meter = new CpuMeter([]);
    const t0 = performance.now();
    for (let j = 0; j < plan.requestsPerClient; j++) {
      for (let c = 0; c < plan.clients; c++) {
        const runPk = c + 1;
        db.exec('BEGIN IMMEDIATE');
        forEachPoint(c, j, (k, step, ts, value) => {
          ins.run(runPk, k + 1, step, ts, value, 0);
          const l = last[k]!;
          l[0] = step;
          l[1] = ts;
          l[2] = value;
          rows++;
        });
        if (latest) for (let k = 0; k < W1_KEYS; k++) up.run(runPk, k + 1, ...last[k]!, 0);
        db.exec('COMMIT');
      }
    }
    const wallMs = performance.now() - t0;
    const cpu = meter.stop();
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return {
      rows,
      wallMs,
      rowsPerSec: rows / (wallMs / 1000),
      dbBytes: fileSize(dbFile) + fileSize(`${dbFile}-wal`),
      cpu,
    };
  } finally {
    db.close();
  }
}
