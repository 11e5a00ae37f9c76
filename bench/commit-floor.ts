import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { m0001 } from '../src/store/sql/migrations/0001-initial.js';
import { CpuMeter, type CpuShare, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { forSeconds } from './lib/load.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { type LatencySummary, round, summarize } from './lib/stats.js';

export interface CommitFloorResult {
  ops: number;
  wallMs: number;
  opsPerSec: number;
  latency: LatencySummary;
  /** fdatasync of the WAL alone, p50 in ms, measured in the same run. */
  fsyncP50Ms: number;
  cpu: CpuShare;
}

/**
 * The floor of small durable writes (W2, W3): `clients` concurrent loops, each operation `txRows.length`
 * transactions in a row (the i-th inserts `txRows[i]` rows into mltrack's `metrics` table), each acknowledged only
 * after an fdatasync of the WAL covers its commit — the durability mltrack promises, with the same group fsync
 * (one sync serves every commit made before it started). No HTTP, JSON, validation or run bookkeeping: what is
 * left is the disk's sync latency and SQLite's commit.
 */
export async function commitFloor(o: {
  dbFile: string;
  clients: number;
  sec: number;
  txRows: number[];
}): Promise<CommitFloorResult> {
  const db = new DatabaseSync(o.dbFile);
  let walFd: number | undefined;
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(m0001.sqlite);
    walFd = fs.openSync(`${o.dbFile}-wal`, 'r+');
    const fd = walFd;
    const sync = () => new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
    let syncing: Promise<void> | undefined;
    let next: Promise<void> | undefined;
    const durable = (): Promise<void> => {
      if (syncing === undefined) {
        syncing = sync().finally(() => {
          syncing = undefined;
        });
        return syncing;
      }
      next ??= syncing.then(() => {
        next = undefined;
        return durable();
      });
      return next;
    };
    const ins = db.prepare(
      'INSERT INTO metrics (run_pk, key_id, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, 0)',
    );
    let seq = 0;
    // the sync of one small commit, alone (an fdatasync with nothing new to write costs almost nothing)
    const fsyncs: number[] = [];
    for (let i = 0; i < 50; i++) {
      ins.run(0, 0, seq++, Date.now(), 0);
      const t0 = performance.now();
      await sync();
      fsyncs.push(performance.now() - t0);
    }
    let ops = 0;
    const lat: number[] = [];
    const meter = new CpuMeter([]);
    const wallMs = await forSeconds(o.sec, o.clients, async (c) => {
      const t0 = performance.now();
      for (const rows of o.txRows) {
        db.exec('BEGIN IMMEDIATE');
        for (let r = 0; r < rows; r++) ins.run(c + 1, r + 1, seq++, Date.now(), Math.random());
        db.exec('COMMIT');
        await durable();
      }
      lat.push(performance.now() - t0);
      ops++;
    });
    const cpu = meter.stop();
    return {
      ops,
      wallMs,
      opsPerSec: ops / (wallMs / 1000),
      latency: summarize(lat),
      fsyncP50Ms: summarize(fsyncs).p50,
      cpu,
    };
  } finally {
    if (walFd !== undefined) fs.closeSync(walFd);
    db.close();
  }
}

/** The floor row of W2/W3 (SQLite): `txRows` transactions per operation from `clients` loops for `sec` seconds. */
export async function commitFloorRecord(o: {
  workload: string;
  unit: string;
  clients: number;
  sec: number;
  txRows: number[];
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
}): Promise<BenchRecord> {
  const f = await commitFloor({
    dbFile: path.join(o.workDir, `${o.workload.toLowerCase()}-floor.db`),
    clients: o.clients,
    sec: o.sec,
    txRows: o.txRows,
  });
  o.log(
    `${o.workload} floor:sqlite-durable-commit: ${round(f.opsPerSec)} ops/s, fdatasync p50 ${f.fsyncP50Ms.toFixed(2)} ms`,
  );
  return makeRecord(o.env, o.size, {
    workload: o.workload,
    backend: 'sqlite',
    server: 'floor:sqlite-durable-commit',
    throughput: round(f.opsPerSec),
    throughputUnit: o.unit,
    p50: round(f.latency.p50, 2),
    p95: round(f.latency.p95, 2),
    p99: round(f.latency.p99, 2),
    extra: {
      query: `${o.clients} loops, ${o.txRows.length} transaction(s) per operation (${o.txRows.join(', ')} rows), each acknowledged after a group fdatasync of the WAL`,
      fsyncP50Ms: round(f.fsyncP50Ms, 2),
      ...cpuExtra(f.cpu),
    },
  });
}
