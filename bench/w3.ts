import path from 'node:path';
import { commitFloorRecord } from './commit-floor.js';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import { Tally } from './lib/load.js';
import { memOf, RssSampler } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { median, rng, round, summarize } from './lib/stats.js';

const API = '/api/2.0/mlflow';

export interface W3Options {
  backend: BenchBackend;
  /** mltrack first, then the peers on this backend. */
  contenders: Contender[];
  runs: number;
  clients: number;
  /** A peer stops creating runs after this many seconds (mltrack always creates all of them). */
  peerMaxSec: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

/** The one log-batch of a W3 run: 20 params, 10 tags, 30 metrics. */
function runBatch(runId: string, i: number, r: () => number): string {
  const ts = Date.now();
  return JSON.stringify({
    run_id: runId,
    params: Array.from({ length: 20 }, (_, k) => ({
      key: `param_${k}`,
      value: String(Math.floor(r() * 1000)),
    })),
    tags: Array.from({ length: 10 }, (_, k) => ({ key: `tag_${k}`, value: `value-${(i + k) % 13}` })),
    metrics: Array.from({ length: 30 }, (_, k) => ({
      key: `metric_${k}`,
      value: r(),
      timestamp: ts,
      step: 0,
    })),
  });
}

/**
 * W3 run churn (benchmarks.md §6): `clients` clients create runs until `runs` exist; each run is runs/create, one
 * log-batch of 20 params + 10 tags + 30 metrics, and runs/update to FINISHED. Reports runs/s, each request kind's
 * latency (create-run p99 is the headline), RSS, and DB bytes per run (W11).
 */
export async function runW3(o: W3Options): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const c of o.contenders) {
    await o.quiet(`W3 ${c.name} ${o.backend}`);
    const maxMs = c.name === 'mltrack' ? Number.POSITIVE_INFINITY : o.peerMaxSec * 1000;
    const { result, settled } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w3-${o.backend}`),
      async (server) => {
        const client = new HttpClient(server.baseUrl, o.clients);
        try {
          const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
            name: 'w3-churn',
          });
          const kinds = { create: new Tally(), batch: new Tally(), update: new Tally() };
          let next = 0;
          let done = 0;
          const sampler = new RssSampler(server.pid, 100);
          const meter = new CpuMeter([server.pid]);
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: o.clients }, async (_, ci) => {
              const r = rng(300 + ci);
              while (next < o.runs && performance.now() - t0 < maxMs) {
                const i = next++;
                const created = await client.request(
                  'POST',
                  `${API}/runs/create`,
                  JSON.stringify({
                    experiment_id: exp.experiment_id,
                    run_name: `churn-${i}`,
                    start_time: Date.now(),
                  }),
                  true,
                );
                kinds.create.add(created);
                if (created.status !== 200) continue;
                const runId = (
                  JSON.parse(created.body!.toString('utf8')) as { run: { info: { run_id: string } } }
                ).run.info.run_id;
                kinds.batch.add(
                  await client.request('POST', `${API}/runs/log-batch`, runBatch(runId, i, r), true),
                );
                kinds.update.add(
                  await client.request(
                    'POST',
                    `${API}/runs/update`,
                    JSON.stringify({ run_id: runId, status: 'FINISHED', end_time: Date.now() }),
                    true,
                  ),
                );
                done++;
              }
            }),
          );
          const wallMs = performance.now() - t0;
          const cpu = meter.stop();
          const samples = sampler.stop();
          return {
            kinds,
            done,
            wallMs,
            cpu,
            rssPeakMB: memOf(server.pid).hwmMB,
            rssSteadyMB: median(samples),
          };
        } finally {
          client.close();
        }
      },
      async (db) => ({ dbBytes: await db.bytes(), runs: await db.count('runs') }),
    );
    const { kinds, done, wallMs } = result;
    const errors = kinds.create.errors + kinds.batch.errors + kinds.update.errors;
    const create = summarize(kinds.create.lat);
    const batch = summarize(kinds.batch.lat);
    const update = summarize(kinds.update.lat);
    const runsPerSec = done / (wallMs / 1000);
    const capped = done < o.runs;
    const firstError = kinds.create.firstError ?? kinds.batch.firstError ?? kinds.update.firstError;
    o.log(
      `W3 ${c.name} ${o.backend}: ${round(runsPerSec)} runs/s (${done} runs${capped ? `, stopped after ${o.peerMaxSec} s` : ''}), create p99 ${create.p99.toFixed(1)} ms${firstError ? `, first error: ${firstError}` : ''}`,
    );
    out.push(
      makeRecord(o.env, o.size, {
        workload: 'W3',
        backend: o.backend,
        server: c.name,
        throughput: round(runsPerSec),
        throughputUnit: 'runs/s',
        p50: round(create.p50, 2),
        p95: round(create.p95, 2),
        p99: round(create.p99, 2),
        rssPeakMB: round(result.rssPeakMB),
        rssSteadyMB: round(result.rssSteadyMB),
        dbBytes: settled.dbBytes,
        errors,
        extra: {
          query: `${o.clients} clients; per run: runs/create, log-batch (20 params, 10 tags, 30 metrics), runs/update FINISHED; latencies are runs/create's`,
          runs: done,
          wallSec: round(wallMs / 1000, 2),
          stoppedAfterSec: capped ? o.peerMaxSec : null,
          logBatchP50: round(batch.p50, 2),
          logBatchP99: round(batch.p99, 2),
          updateP50: round(update.p50, 2),
          updateP99: round(update.p99, 2),
          bytesPerRun: settled.runs > 0 ? round(settled.dbBytes / settled.runs) : null,
          ...contenderExtra(c),
          ...cpuExtra(result.cpu),
        },
      }),
    );
  }
  if (o.backend === 'sqlite') {
    await o.quiet('W3 floor');
    out.push(
      await commitFloorRecord({
        ...o,
        workload: 'W3',
        unit: 'runs/s',
        clients: o.clients,
        sec: Math.min(o.peerMaxSec, 10),
        txRows: [1, 60, 1],
      }),
    );
  }
  return out;
}
