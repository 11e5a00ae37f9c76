import fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { m0001 } from '../src/store/sql/migrations/0001-initial.js';
import { CpuMeter, type CpuShare } from './lib/cpu.js';
import { forSeconds } from './lib/load.js';
import { type LatencySummary, summarize } from './lib/stats.js';

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
