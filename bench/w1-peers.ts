import path from 'node:path';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import type { BenchEnv } from './lib/env.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { W1_BATCH, type W1Plan } from './w1-data.js';
import { ingest, ingestRowFields } from './w1-ingest.js';

/**
 * W1 against each peer on the backend: the same plan, bodies, client and connections as mltrack, each peer on a
 * fresh database of its own. A peer stops sending after `maxSec` (MLflow ingests a few thousand points per
 * second; 1M points would take minutes), and its throughput covers what it was sent.
 */
export async function runW1Peers(o: {
  backend: BenchBackend;
  peers: Contender[];
  plan: W1Plan;
  maxSec: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const c of o.peers) {
    await o.quiet(`W1 ${c.name} ${o.backend}`);
    const { result: m, settled } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w1-peer-${o.backend}`),
      (server) => ingest(server, o.plan, undefined, o.maxSec * 1000),
      async (db) => ({ dbBytes: await db.bytes(), rows: await db.count('metrics') }),
    );
    const capped = m.points < o.plan.points;
    o.log(
      `W1 ${c.name} ${o.backend}: ${Math.round(m.pointsPerSec)} points/s, p50 ${m.latency.p50.toFixed(1)} ms` +
        `${capped ? ` (stopped after ${o.maxSec} s: ${m.points} of ${o.plan.points} points)` : ''}` +
        `${m.firstError ? `; first error: ${m.firstError}` : ''}`,
    );
    if (settled.rows !== m.points - m.errors * W1_BATCH)
      o.log(`W1 ${c.name}: WARNING metrics table has ${settled.rows} rows, ${m.points} points were sent`);
    const row = ingestRowFields(m, o.plan.clients, settled.dbBytes, settled.rows);
    out.push(
      makeRecord(o.env, o.size, {
        ...row,
        backend: o.backend,
        server: c.name,
        extra: {
          ...row.extra,
          metricRows: settled.rows,
          stoppedAfterSec: capped ? o.maxSec : null,
          ...contenderExtra(c),
        },
      }),
    );
  }
  return out;
}
