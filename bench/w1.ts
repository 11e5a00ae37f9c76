import path from 'node:path';
import { type BenchBackend, freshDatabase } from './lib/backends.js';
import type { Contender } from './lib/contenders.js';
import { cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { round } from './lib/stats.js';
import { mltrackTarget, noopTarget, startTarget } from './lib/targets.js';
import { W1_BATCH, type W1Plan, w1Plan } from './w1-data.js';
import { sqliteFloor } from './w1-floor.js';
import { type ServerFloorResult, serverFloors } from './w1-floor-server.js';
import { type IngestResult, ingest, ingestRowFields } from './w1-ingest.js';
import { runW1Peers } from './w1-peers.js';

export interface W1Options {
  backend: BenchBackend;
  points: number;
  clients: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  /** Waits for the machine to be quiet before each measured phase. */
  quiet: (what: string) => Promise<void>;
  /** Peers measured side by side (bench/lib/contenders.ts), and how long each may ingest. */
  peers: Contender[];
  peerMaxSec: number;
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
  const db = await freshDatabase(o.backend, path.join(o.workDir, `w1-${o.backend}`));
  let m: IngestResult;
  let settled: { dbBytes: number; metricRows: number };
  let startupMs: number;
  try {
    await o.quiet(`W1 mltrack ${o.backend}`);
    const server = await startTarget(mltrackTarget, {
      storeUri: db.uri,
      artifactDir: path.join(o.workDir, 'w1-art'),
    });
    startupMs = server.startupMs;
    try {
      m = await ingest(server, plan, db.file);
    } finally {
      await server.stop();
    }
    settled = { dbBytes: await db.bytes(), metricRows: await db.count('metrics') };
  } finally {
    await db.drop();
  }
  if (m.firstError !== undefined) o.log(`W1 mltrack: ${m.errors} errors, first: ${m.firstError}`);
  if (settled.metricRows !== m.points - m.errors * W1_BATCH) {
    o.log(`W1 mltrack: WARNING metrics table has ${settled.metricRows} rows, expected ${m.points}`);
  }
  o.log(
    `W1 mltrack ${o.backend}: ${Math.round(m.pointsPerSec)} points/s, p50 ${m.latency.p50.toFixed(1)} ms`,
  );

  // 2. HTTP+JSON floor: same bodies, same client, fastify that parses and answers {}
  await o.quiet('W1 noop');
  const noop = await startTarget(noopTarget, { storeUri: '', artifactDir: '' });
  let n: IngestResult;
  try {
    n = await ingest(noop, plan);
  } finally {
    await noop.stop();
  }
  o.log(`W1 noop: ${Math.round(n.pointsPerSec)} points/s`);

  // 3. the peers, each on a fresh database of the same backend
  const peerRows = await runW1Peers({ ...o, plan, maxSec: o.peerMaxSec });

  // 4. the database's own floors (in this process; the servers are stopped)
  const floors = await databaseFloors(o, plan);
  const best = Math.max(...floors.map((f) => f.rowsPerSec));
  const full = floors.find((f) => f.name.endsWith('+latest'));

  const row = ingestRowFields(m, plan.clients, settled.dbBytes, settled.metricRows);
  return [
    ...peerRows,
    rec({
      ...row,
      backend: o.backend,
      server: 'mltrack',
      extra: {
        ...row.extra,
        dbBytesLiveWithWal: m.dbBytesLive ?? null,
        startupMs: round(startupMs),
        vsBestFloor: round(m.pointsPerSec / best, 3),
        vsFloorWithLatest: full === undefined ? null : round(m.pointsPerSec / full.rowsPerSec, 3),
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
    ...floors.map((f) =>
      rec({
        workload: 'W1',
        backend: o.backend,
        server: f.name,
        throughput: Math.round(f.rowsPerSec),
        throughputUnit: 'rows/s',
        dbBytes: f.dbBytes,
        extra: {
          rows: f.rows,
          clients: f.clients,
          wallSec: round(f.wallMs / 1000, 2),
          bytesPerPoint: round(f.dbBytes / f.rows),
          ...cpuExtra(f.cpu),
        },
      }),
    ),
  ];
}

/** The raw-database floors of the backend, measured after mltrack's server stopped. */
async function databaseFloors(o: W1Options, plan: W1Plan): Promise<ServerFloorResult[]> {
  if (o.backend !== 'sqlite') {
    const list = await serverFloors(o.backend, plan, path.join(o.workDir, 'w1-floor'), o.log, o.quiet);
    return list.map((f) => ({ ...f, clients: plan.clients }));
  }
  const out: ServerFloorResult[] = [];
  for (const latest of [false, true]) {
    const name = latest ? 'floor:sqlite-raw+latest' : 'floor:sqlite-raw';
    await o.quiet(`W1 ${name}`);
    const f = sqliteFloor(plan, path.join(o.workDir, `w1-${name.replace(/\W/g, '-')}.db`), latest);
    o.log(`W1 ${name}: ${Math.round(f.rowsPerSec)} rows/s`);
    out.push({ name, ...f, clients: 1 });
  }
  return out;
}
