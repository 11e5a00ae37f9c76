import path from 'node:path';
import { cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { round } from './lib/stats.js';
import { mltrackTarget, noopTarget, startTarget } from './lib/targets.js';
import { W1_BATCH, w1Plan } from './w1-data.js';
import { sqliteFloor } from './w1-floor.js';
import { type IngestResult, ingest, settleDb } from './w1-ingest.js';

export interface W1Options {
  points: number;
  clients: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  /** Waits for the machine to be quiet before each measured phase. */
  quiet: (what: string) => Promise<void>;
}

const latencyFields = (r: IngestResult) => ({
  p50: round(r.latency.p50, 2),
  p95: round(r.latency.p95, 2),
  p99: round(r.latency.p99, 2),
});

/** W1 bulk ingest: mltrack over HTTP, the fastify no-op HTTP floor, and the raw-SQLite floor, in one run. */
export async function runW1(o: W1Options): Promise<BenchRecord[]> {
  const plan = w1Plan(o.points, o.clients);
  const rec = (r: Parameters<typeof makeRecord>[2]) => makeRecord(o.env, o.size, r);
  o.log(
    `W1: ${plan.points} points = ${plan.clients} clients × ${plan.requestsPerClient} batches of ${W1_BATCH}`,
  );

  // 1. mltrack
  const dir = path.join(o.workDir, 'w1-mltrack');
  const dbFile = path.join(dir, 'mlflow.db');
  await o.quiet('W1 mltrack');
  const server = await startTarget(mltrackTarget, { dbFile, artifactDir: path.join(dir, 'art') });
  let m: IngestResult;
  try {
    m = await ingest(server, plan, dbFile);
  } finally {
    await server.stop();
  }
  const settled = settleDb(dbFile);
  if (m.firstError !== undefined) o.log(`W1 mltrack: ${m.errors} errors, first: ${m.firstError}`);
  if (settled.metricRows !== m.points - m.errors * W1_BATCH) {
    o.log(`W1 mltrack: WARNING metrics table has ${settled.metricRows} rows, expected ${m.points}`);
  }
  o.log(`W1 mltrack: ${Math.round(m.pointsPerSec)} points/s, p50 ${m.latency.p50.toFixed(1)} ms`);

  // 2. HTTP+JSON floor: same bodies, same client, fastify that parses and answers {}
  await o.quiet('W1 noop');
  const noop = await startTarget(noopTarget, { dbFile: '', artifactDir: '' });
  let n: IngestResult;
  try {
    n = await ingest(noop, plan);
  } finally {
    await noop.stop();
  }
  o.log(`W1 noop: ${Math.round(n.pointsPerSec)} points/s`);

  // 3. raw node:sqlite floors (in this process; the servers are stopped)
  await o.quiet('W1 sqlite floor');
  const f = sqliteFloor(plan, path.join(o.workDir, 'w1-floor.db'), false);
  o.log(`W1 sqlite floor: ${Math.round(f.rowsPerSec)} rows/s`);
  await o.quiet('W1 sqlite floor + latest');
  const fl = sqliteFloor(plan, path.join(o.workDir, 'w1-floor-latest.db'), true);
  o.log(`W1 sqlite floor + latest_metrics: ${Math.round(fl.rowsPerSec)} rows/s`);

  return [
    rec({
      workload: 'W1',
      backend: 'sqlite',
      server: 'mltrack',
      throughput: Math.round(m.pointsPerSec),
      throughputUnit: 'points/s',
      ...latencyFields(m),
      rssPeakMB: round(m.rssPeakMB),
      rssSteadyMB: round(m.rssSteadyMB),
      dbBytes: settled.dbBytes,
      errors: m.errors,
      extra: {
        points: m.points,
        requests: m.requests,
        clients: plan.clients,
        wallSec: round(m.wallMs / 1000, 2),
        reqPerSec: round(m.reqPerSec),
        bytesPerPoint: round(settled.dbBytes / settled.metricRows),
        dbBytesLiveWithWal: m.dbBytesLive ?? null,
        startupMs: round(server.startupMs),
        ...cpuExtra(m.cpu),
        vsSqliteFloor: round(m.pointsPerSec / f.rowsPerSec, 3),
        vsSqliteFloorWithLatest: round(m.pointsPerSec / fl.rowsPerSec, 3),
        vsHttpFloor: round(m.pointsPerSec / n.pointsPerSec, 3),
      },
    }),
    rec({
      workload: 'W1',
      backend: 'none',
      server: 'floor:fastify-noop',
      throughput: Math.round(n.pointsPerSec),
      throughputUnit: 'points/s',
      ...latencyFields(n),
      rssPeakMB: round(n.rssPeakMB),
      rssSteadyMB: round(n.rssSteadyMB),
      errors: n.errors,
      extra: { reqPerSec: round(n.reqPerSec), wallSec: round(n.wallMs / 1000, 2), ...cpuExtra(n.cpu) },
    }),
    rec({
      workload: 'W1',
      backend: 'sqlite',
      server: 'floor:sqlite-raw',
      throughput: Math.round(f.rowsPerSec),
      throughputUnit: 'rows/s',
      dbBytes: f.dbBytes,
      extra: {
        rows: f.rows,
        wallSec: round(f.wallMs / 1000, 2),
        bytesPerPoint: round(f.dbBytes / f.rows),
        ...cpuExtra(f.cpu),
      },
    }),
    rec({
      workload: 'W1',
      backend: 'sqlite',
      server: 'floor:sqlite-raw+latest',
      throughput: Math.round(fl.rowsPerSec),
      throughputUnit: 'rows/s',
      dbBytes: fl.dbBytes,
      extra: {
        rows: fl.rows,
        wallSec: round(fl.wallMs / 1000, 2),
        bytesPerPoint: round(fl.dbBytes / fl.rows),
        ...cpuExtra(fl.cpu),
      },
    }),
  ];
}
