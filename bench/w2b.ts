import path from 'node:path';
import { commitFloorRecord } from './commit-floor.js';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient, type HttpResult } from './lib/http-client.js';
import { Tally } from './lib/load.js';
import { memOf, RssSampler } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { median, rng, round, summarize } from './lib/stats.js';

const API = '/api/2.0/mlflow';

/**
 * One request of a W2b iteration, in the order FastTrackML's `benchmarks/k6LoggingPerfScript.js` sends them
 * (G-Research/fasttrackml #1109; run by its docker-compose as `k6 run -u 20 -i 100`). `fml` is the k6 request
 * name its report charts. A metric batch holds `keys` keys × `steps` steps (steps 1…); a param batch `params`
 * params. Every batch has keys of its own, so nothing is logged twice into a run.
 */
export interface W2bStep {
  kind: string;
  fml: string;
  path: string;
  keys?: number;
  steps?: number;
  params?: number;
}

export const W2B_STEPS: readonly W2bStep[] = [
  { kind: 'create', fml: 'CreateRun', path: 'runs/create' },
  { kind: 'metric', fml: 'LogMetricSingle', path: 'runs/log-metric' },
  { kind: 'batch40', fml: 'LogMetricBatch10', path: 'runs/log-batch', keys: 10, steps: 4 },
  { kind: 'batch400', fml: 'LogMetricBatch100', path: 'runs/log-batch', keys: 100, steps: 4 },
  { kind: 'batch1000', fml: 'LogMetricBatch500', path: 'runs/log-batch', keys: 500, steps: 2 },
  { kind: 'params10', fml: 'LogParamBatch10', path: 'runs/log-batch', params: 10 },
  { kind: 'params100', fml: 'LogParamBatch100', path: 'runs/log-batch', params: 100 },
  { kind: 'update', fml: 'UpdateRun', path: 'runs/update' },
];

/** Metric points a step logs (log-metric: 1). */
export const stepPoints = (s: W2bStep): number => (s.kind === 'metric' ? 1 : (s.keys ?? 0) * (s.steps ?? 0));
/** Points and params one iteration logs: 1 + 40 + 400 + 1000 and 10 + 100. */
export const W2B_POINTS = W2B_STEPS.reduce((n, s) => n + stepPoints(s), 0);
export const W2B_PARAMS = W2B_STEPS.reduce((n, s) => n + (s.params ?? 0), 0);

/**
 * The bodies of iteration `i` without the run id: a JSON object's members after `{"run_id":"…",` (create's body is
 * whole). Values come from a generator seeded by `i`, so every contender gets the same points and params; the
 * timestamps are the build time, as in the k6 script.
 */
export function w2bBodies(i: number): Map<string, string> {
  const r = rng(5000 + i);
  const ts = Date.now();
  const out = new Map<string, string>();
  for (const s of W2B_STEPS) {
    const rest = (o: object) => JSON.stringify(o).slice(1);
    if (s.kind === 'create')
      out.set(
        s.kind,
        JSON.stringify({ experiment_id: '0', start_time: ts, tags: [{ key: 'mlflow.user', value: 'k6' }] }),
      );
    else if (s.kind === 'metric')
      out.set(s.kind, rest({ key: 'metric1', value: r(), timestamp: ts, step: 0 }));
    else if (s.keys !== undefined) {
      const metrics = [];
      for (let k = 1; k <= s.keys; k++)
        for (let step = 1; step <= (s.steps ?? 1); step++)
          metrics.push({ key: `${s.kind}-metric-${k}`, value: k * step * r(), timestamp: ts, step });
      out.set(s.kind, rest({ metrics }));
    } else if (s.params !== undefined) {
      const params = Array.from({ length: s.params }, (_, k) => ({
        key: `${s.kind}-param-${k + 1}`,
        value: String((k + 1) * r()),
      }));
      out.set(s.kind, rest({ params }));
    }
  }
  return out;
}

export interface W2bOptions {
  backend: BenchBackend;
  /** mltrack first, then the peers on this backend. */
  contenders: Contender[];
  connections: number;
  /** Iterations in all, shared by the connections (k6's `-i` with `-u`). */
  iterations: number;
  /** A peer stops starting iterations after this many seconds (mltrack always runs all of them). */
  peerMaxSec: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

interface Measured {
  tallies: Map<string, Tally>;
  iterLat: number[];
  done: number;
  failedIterations: number;
  ackPoints: number;
  ackParams: number;
  wallMs: number;
  cpu: ReturnType<CpuMeter['stop']>;
  rssPeakMB: number;
  rssSteadyMB: number;
}

/**
 * A request that never throws: a dropped connection (seen once from MLflow on SQLite on a busy machine) is a failed
 * request with status 0 and the error as its body, counted like any other non-2xx.
 */
async function send(client: HttpClient, p: string, body: string): Promise<HttpResult> {
  const t0 = performance.now();
  try {
    return await client.request('POST', p, body, true);
  } catch (e) {
    const msg = `connection error: ${e instanceof Error ? e.message : String(e)}`;
    return { status: 0, bytes: 0, ms: performance.now() - t0, body: Buffer.from(msg) };
  }
}

/** Runs the iterations against one server: each connection runs whole iterations, one request after another. */
async function load(baseUrl: string, pid: number, o: W2bOptions, maxMs: number): Promise<Measured> {
  const client = new HttpClient(baseUrl, o.connections);
  try {
    const tallies = new Map(W2B_STEPS.map((s) => [s.kind, new Tally()]));
    const iterLat: number[] = [];
    let next = 0;
    let done = 0;
    let failedIterations = 0;
    let ackPoints = 0;
    let ackParams = 0;
    const sampler = new RssSampler(pid, 100);
    const meter = new CpuMeter([pid]);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.connections }, async () => {
        for (;;) {
          const i = next++;
          if (i >= o.iterations || performance.now() - t0 >= maxMs) return;
          const bodies = w2bBodies(i); // built before the iteration's clock starts
          const it0 = performance.now();
          let runId = '';
          let failed = false;
          for (const s of W2B_STEPS) {
            const body =
              s.kind === 'create'
                ? bodies.get(s.kind)!
                : s.kind === 'update'
                  ? JSON.stringify({ run_id: runId, end_time: Date.now(), status: 'FINISHED' })
                  : `{"run_id":${JSON.stringify(runId)},${bodies.get(s.kind)!}`;
            const res = await send(client, `${API}/${s.path}`, body);
            tallies.get(s.kind)!.add(res);
            if (res.status !== 200) {
              failed = true;
              if (s.kind === 'create') break; // no run to log into (k6's iteration would throw here)
              continue;
            }
            if (s.kind === 'create')
              runId = (JSON.parse(res.body!.toString('utf8')) as { run: { info: { run_id: string } } }).run
                .info.run_id;
            ackPoints += stepPoints(s);
            ackParams += s.params ?? 0;
          }
          if (failed) failedIterations++;
          if (runId === '') continue;
          iterLat.push(performance.now() - it0);
          done++;
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const cpu = meter.stop();
    const samples = sampler.stop();
    return {
      tallies,
      iterLat,
      done,
      failedIterations,
      ackPoints,
      ackParams,
      wallMs,
      cpu,
      rssPeakMB: memOf(pid).hwmMB,
      rssSteadyMB: median(samples),
    };
  } finally {
    client.close();
  }
}

/**
 * W2b: FastTrackML's logging benchmark shape (benchmarks.md §6, row W2). `connections` clients share `iterations`
 * iterations; each creates a run, logs one metric, log-batches of 40, 400 and 1000 points, log-batches of 10 and
 * 100 params, and finishes the run. One row per contender with iterations/s and the iteration's latency, then one
 * row per request kind (`W2b-batch1000`, …) with its latency; every non-2xx is counted, and the stored metric and
 * param rows are checked against what was acknowledged.
 */
export async function runW2b(o: W2bOptions): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const shape = `${o.connections} connections, ${o.iterations} iterations in all; per iteration runs/create, log-metric, log-batch of 40, 400 and 1000 points (10 × 4, 100 × 4, 500 × 2 steps), log-batch of 10 and of 100 params, runs/update FINISHED (FastTrackML's k6LoggingPerfScript.js)`;
  for (const c of o.contenders) {
    await o.quiet(`W2b ${c.name} ${o.backend}`);
    const maxMs = c.name === 'mltrack' ? Number.POSITIVE_INFINITY : o.peerMaxSec * 1000;
    const { result: m, settled } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w2b-${o.backend}`),
      (server) => load(server.baseUrl, server.pid, o, maxMs),
      async (db) => ({
        dbBytes: await db.bytes(),
        points: await db.count('metrics'),
        params: await db.count('params'),
      }),
    );
    const tallies = [...m.tallies.values()];
    const errors = tallies.reduce((n, t) => n + t.errors, 0);
    const firstError = tallies.find((t) => t.firstError !== undefined)?.firstError;
    const it = summarize(m.iterLat);
    const perSec = m.done / (m.wallMs / 1000);
    const capped = m.done + m.failedIterations < o.iterations;
    // lost: acknowledged but not stored; stored from failed requests: FastTrackML's log-batch is not atomic
    const lostPoints = Math.max(0, m.ackPoints - settled.points);
    const lostParams = Math.max(0, m.ackParams - settled.params);
    const extraPoints = Math.max(0, settled.points - m.ackPoints);
    const extraParams = Math.max(0, settled.params - m.ackParams);
    const statuses = W2B_STEPS.filter((s) => m.tallies.get(s.kind)!.errors > 0)
      .map((s) => `${s.kind} ${m.tallies.get(s.kind)!.statuses()}`)
      .join(', ');
    o.log(
      `W2b ${c.name} ${o.backend}: ${round(perSec, 2)} iterations/s (${m.done}${capped ? `, stopped after ${o.peerMaxSec} s` : ''}), iteration p50 ${it.p50.toFixed(0)} ms, p99 ${it.p99.toFixed(0)} ms, ${errors} errors${firstError ? `, first error: ${firstError}` : ''}`,
    );
    if (lostPoints + lostParams !== 0)
      o.log(
        `W2b ${c.name}: WARNING ${lostPoints} points and ${lostParams} params acknowledged but not stored`,
      );
    if (extraPoints + extraParams !== 0)
      o.log(
        `W2b ${c.name}: ${extraPoints} points and ${extraParams} params stored from requests answered with an error`,
      );
    const common = { backend: o.backend, server: c.name };
    const versions = contenderExtra(c);
    out.push(
      makeRecord(o.env, o.size, {
        ...common,
        workload: 'W2b',
        throughput: round(perSec, 2),
        throughputUnit: 'iterations/s',
        p50: round(it.p50, 2),
        p95: round(it.p95, 2),
        p99: round(it.p99, 2),
        rssPeakMB: round(m.rssPeakMB),
        rssSteadyMB: round(m.rssSteadyMB),
        dbBytes: settled.dbBytes,
        errors,
        extra: {
          query: `${shape}; latencies are a whole iteration's`,
          iterations: m.done,
          failedIterations: m.failedIterations,
          wallSec: round(m.wallMs / 1000, 2),
          stoppedAfterSec: capped ? o.peerMaxSec : null,
          pointsPerSec: round((m.done * W2B_POINTS) / (m.wallMs / 1000)),
          acknowledgedPoints: m.ackPoints,
          acknowledgedParams: m.ackParams,
          lostPoints,
          lostParams,
          storedFromFailedRequests: extraPoints,
          paramsStoredFromFailedRequests: extraParams,
          statuses,
          firstError: firstError ?? null,
          ...versions,
          ...cpuExtra(m.cpu),
        },
      }),
    );
    for (const s of W2B_STEPS) {
      const t = m.tallies.get(s.kind)!;
      const l = summarize(t.lat);
      out.push(
        makeRecord(o.env, o.size, {
          ...common,
          workload: `W2b-${s.kind}`,
          throughput: round(t.lat.length / (m.wallMs / 1000), 1),
          throughputUnit: 'req/s',
          p50: t.lat.length > 0 ? round(l.p50, 2) : null,
          p95: t.lat.length > 0 ? round(l.p95, 2) : null,
          p99: t.lat.length > 0 ? round(l.p99, 2) : null,
          errors: t.errors,
          extra: {
            query: `${s.fml}: POST ${s.path}${stepPoints(s) > 1 ? ` of ${stepPoints(s)} points` : ''}${s.params ? ` of ${s.params} params` : ''}, within W2b's iterations`,
            requests: t.lat.length,
            statuses: t.errors > 0 ? t.statuses() : '',
            firstError: t.firstError ?? null,
            ...versions,
          },
        }),
      );
    }
  }
  if (o.backend === 'sqlite') {
    await o.quiet('W2b floor');
    const txRows = W2B_STEPS.map((s) => Math.max(1, stepPoints(s), s.params ?? 0));
    out.push(
      await commitFloorRecord({
        ...o,
        workload: 'W2b',
        unit: 'iterations/s',
        clients: o.connections,
        sec: Math.min(o.peerMaxSec, 10),
        txRows,
      }),
    );
  }
  return out;
}
