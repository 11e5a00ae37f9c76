import path from 'node:path';
import { commitFloorRecord } from './commit-floor.js';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import { forSeconds, Tally, w2Body } from './lib/load.js';
import { memOf, RssSampler } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { median, rng, round, summarize } from './lib/stats.js';

const API = '/api/2.0/mlflow';

export interface W2Options {
  backend: BenchBackend;
  /** mltrack first, then the peers on this backend. */
  contenders: Contender[];
  connections: number;
  sec: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

/**
 * W2 training-loop logging (mlflow-go's k6 LogBatch shape, benchmarks.md §6): `connections` clients send
 * log-batch requests of 10 metrics at step 0 into one shared run for `sec` seconds, against each contender on a
 * fresh database. Reports req/s, latency percentiles, every non-2xx, and checks the acknowledged points are stored.
 */
export async function runW2(o: W2Options): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const c of o.contenders) {
    await o.quiet(`W2 ${c.name} ${o.backend}`);
    const { result, settled } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w2-${o.backend}`),
      async (server) => {
        const client = new HttpClient(server.baseUrl, o.connections);
        try {
          const run = await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
            experiment_id: '0',
            run_name: 'w2-training-loop',
            start_time: Date.now(),
          });
          const runId = run.run.info.run_id;
          const t = new Tally();
          let acknowledged = 0;
          const rngs = Array.from({ length: o.connections }, (_, i) => rng(200 + i));
          const sampler = new RssSampler(server.pid, 100);
          const meter = new CpuMeter([server.pid]);
          const wallMs = await forSeconds(o.sec, o.connections, async (i) => {
            const r = await client.request('POST', `${API}/runs/log-batch`, w2Body(runId, rngs[i]!, i), true);
            t.add(r);
            if (r.status === 200) acknowledged += 10;
          });
          const cpu = meter.stop();
          const samples = sampler.stop();
          return {
            t,
            wallMs,
            cpu,
            acknowledged,
            rssPeakMB: memOf(server.pid).hwmMB,
            rssSteadyMB: median(samples),
          };
        } finally {
          client.close();
        }
      },
      async (db) => ({ dbBytes: await db.bytes(), rows: await db.count('metrics') }),
    );
    const s = summarize(result.t.lat);
    // lost: acknowledged but not stored; unacknowledged: stored from requests that were answered with an error
    const lost = Math.max(0, result.acknowledged - settled.rows);
    const unacknowledged = Math.max(0, settled.rows - result.acknowledged);
    o.log(
      `W2 ${c.name} ${o.backend}: ${round(result.t.lat.length / (result.wallMs / 1000))} req/s, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ${result.t.statuses()}${result.t.firstError ? `, first error: ${result.t.firstError}` : ''}`,
    );
    if (lost !== 0) o.log(`W2 ${c.name}: WARNING ${lost} acknowledged points are not in the metrics table`);
    if (unacknowledged !== 0)
      o.log(
        `W2 ${c.name}: ${unacknowledged} points are stored from requests answered with an error (not atomic)`,
      );
    out.push(
      makeRecord(o.env, o.size, {
        workload: 'W2',
        backend: o.backend,
        server: c.name,
        throughput: round(result.t.lat.length / (result.wallMs / 1000)),
        throughputUnit: 'req/s',
        p50: round(s.p50, 2),
        p95: round(s.p95, 2),
        p99: round(s.p99, 2),
        rssPeakMB: round(result.rssPeakMB),
        rssSteadyMB: round(result.rssSteadyMB),
        dbBytes: settled.dbBytes,
        errors: result.t.errors,
        extra: {
          query: `${o.connections} connections, log-batch of 10 metrics at step 0 on one run, ${o.sec} s`,
          requests: result.t.lat.length,
          statuses: result.t.statuses(),
          acknowledgedPoints: result.acknowledged,
          lostPoints: lost,
          storedFromFailedRequests: unacknowledged,
          ...contenderExtra(c),
          ...cpuExtra(result.cpu),
        },
      }),
    );
  }
  if (o.backend === 'sqlite') {
    await o.quiet('W2 floor');
    out.push(
      await commitFloorRecord({
        ...o,
        workload: 'W2',
        unit: 'req/s',
        clients: o.connections,
        sec: o.sec,
        txRows: [10],
      }),
    );
  }
  return out;
}
