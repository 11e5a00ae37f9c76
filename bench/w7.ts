import path from 'node:path';
import type { BenchBackend, BenchDatabase } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { round } from './lib/stats.js';
import { REPO_ROOT } from './lib/targets.js';
import { latencyOf } from './w4-search.js';
import { seedW7, type W7Shape, w7ExperimentName } from './w7-seed.js';

const API = '/api/2.0/mlflow';

export interface W7Options {
  backend: BenchBackend;
  contenders: Contender[];
  shape: W7Shape;
  size: string;
  workDir: string;
  env: BenchEnv;
  iterations: number;
  warmups: number;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
  /** Seeds a peer's database with the same data (its own schema); undefined: peers are left out of W7. */
  seedPeer?: (c: Contender, db: BenchDatabase, experimentIds: string[]) => Promise<void>;
}

/** Times `iters` sequential requests after `warmups`; returns latencies, the answer's size and its item count. */
async function timeRequest(
  client: HttpClient,
  pathAndQuery: string,
  body: string,
  warmups: number,
  iters: number,
  count: (res: Record<string, unknown>) => number,
) {
  const first = await client.request('POST', pathAndQuery, body, true);
  if (first.status !== 200)
    throw new Error(`${pathAndQuery} → ${first.status}: ${first.body?.toString().slice(0, 200)}`);
  const items = count(JSON.parse(first.body!.toString('utf8')) as Record<string, unknown>);
  for (let i = 1; i < warmups; i++) await client.request('POST', pathAndQuery, body);
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const r = await client.request('POST', pathAndQuery, body);
    lat.push(r.ms);
    if (r.status !== 200) errors++;
  }
  return { lat, wallMs: performance.now() - t0, bytes: first.bytes, items, errors };
}

/**
 * W7 UI page load (benchmarks.md §6, FastTrackML #860 scaled): the two requests the MLflow UI sends to open an
 * experiment — experiments/search (max 1000) and runs/search (max 100, ordered by start_time, every column) — over
 * `experiments` × `runs` runs with hundreds of metrics each. Reports p50/p99, response bytes (target ≤ 5 MB per
 * 100 runs) and RSS.
 */
export async function runW7(o: W7Options): Promise<BenchRecord[]> {
  const all: BenchRecord[] = [];
  for (const c of o.contenders) {
    const isMltrack = c.name === 'mltrack';
    if (!isMltrack && o.seedPeer === undefined) continue;
    const dir = path.join(o.workDir, `w7-${o.backend}`);
    const { result } = await onFreshServer(
      c,
      o.backend,
      dir,
      async (server, db) => {
        const client = new HttpClient(server.baseUrl, 1);
        const out: BenchRecord[] = [];
        const sampler = new RssSampler(server.pid, 100);
        const rssAtStart = memOf(server.pid).rssMB;
        try {
          let experimentIds: string[];
          if (isMltrack) {
            // mltrack's store writes while the server runs: SQLite is WAL, the others are servers
            const seed = await seedW7(db.uri, o.shape, REPO_ROOT);
            experimentIds = seed.experimentIds;
            o.log(`W7 mltrack ${o.backend}: seeded in ${(seed.ms / 1000).toFixed(1)} s (not measured)`);
          } else {
            experimentIds = [];
            for (let e = 0; e < o.shape.experiments; e++)
              experimentIds.push(
                (
                  await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
                    name: w7ExperimentName(e),
                  })
                ).experiment_id,
              );
            await o.seedPeer!(c, db, experimentIds);
          }
          const dbBytes = await db.bytes();
          await o.quiet(`W7 ${c.name}`);
          const iters = isMltrack ? o.iterations : Math.min(o.iterations, 5);
          const queries = [
            {
              id: 'W7-experiments',
              label: 'experiments/search, max_results 1000',
              path: `${API}/experiments/search`,
              body: JSON.stringify({ max_results: 1000 }),
              count: (r: Record<string, unknown>) =>
                Array.isArray(r.experiments) ? r.experiments.length : 0,
            },
            {
              id: 'W7-runs',
              label: `runs/search, one experiment of ${o.shape.runs} runs × ${o.shape.metrics} metrics + ${o.shape.params} params + ${o.shape.tags} tags, max 100, ORDER BY start_time DESC`,
              path: `${API}/runs/search`,
              body: JSON.stringify({
                experiment_ids: [experimentIds[experimentIds.length - 1]],
                max_results: 100,
                order_by: ['attributes.start_time DESC'],
              }),
              count: (r: Record<string, unknown>) => (Array.isArray(r.runs) ? r.runs.length : 0),
            },
          ];
          for (const q of queries) {
            const meter = new CpuMeter([server.pid]);
            const t = await timeRequest(client, q.path, q.body, isMltrack ? o.warmups : 1, iters, q.count);
            const cpu = meter.stop();
            const l = latencyOf(t.lat);
            o.log(
              `${q.id} ${c.name} ${o.backend}: p50 ${l.p50.toFixed(1)} ms, ${t.items} items, ${t.bytes} bytes`,
            );
            out.push(
              makeRecord(o.env, o.size, {
                workload: q.id,
                backend: o.backend,
                server: c.name,
                throughput: round(t.lat.length / (t.wallMs / 1000)),
                throughputUnit: 'req/s (c=1)',
                p50: round(l.p50, 2),
                p95: round(l.p95, 2),
                p99: round(l.p99, 2),
                dbBytes,
                errors: t.errors,
                extra: {
                  query: q.label,
                  iterations: t.lat.length,
                  returned: `${t.items} items`,
                  responseBytes: t.bytes,
                  ...contenderExtra(c),
                  ...cpuExtra(cpu),
                },
              }),
            );
          }
        } finally {
          client.close();
          stampServerMemory(out, server, sampler.stop(), rssAtStart);
        }
        return out;
      },
      async () => undefined,
    );
    all.push(...result);
  }
  return all;
}
