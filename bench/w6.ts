import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra } from './lib/contenders.js';
import { cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import type { HttpClient } from './lib/http-client.js';
import { Tally } from './lib/load.js';
import { stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { API, type OnTarget, onFreshTarget, phase, type RunSpec, repeat } from './lib/series.js';
import { round, summarize } from './lib/stats.js';
import { DEFAULT_SLOW_TARGETS } from './w5.js';

/** The MLflow UI's request: 320 points per run. */
export const UI_MAX_RESULTS = 320;
/** MLflow's MAX_RUNS_GET_METRIC_HISTORY_BULK. */
const RUN_IDS_PER_REQUEST = 100;

/** W6's data: `runs` runs, each with a short series (`short`) and a long one (`long`) of one key each. */
export interface W6Shape {
  runs: number;
  shortPoints: number;
  longPoints: number;
}

export interface W6Options {
  backend: BenchBackend;
  shape: W6Shape;
  /** The smaller shape a slow peer gets (marked in every one of its records). */
  slowShape: W6Shape;
  /** Targets that get `slowShape` (default: mlflow). */
  slowTargets?: readonly string[];
  /** mltrack first, then the peers. */
  targets: Contender[];
  size: string;
  workDir: string;
  env: BenchEnv;
  iterations: number;
  warmups: number;
  /** A phase stops after this long once it has 3 timed iterations (default 10 s). */
  phaseBudgetMs?: number;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

const SEED_CLIENTS = 4;
const ms = (v: number) => round(v, 2);

export function w6Runs(s: W6Shape): RunSpec[] {
  return Array.from({ length: s.runs }, (_, i) => ({
    name: `w6-run-${i}`,
    keys: [
      { key: 'short', points: s.shortPoints },
      { key: 'long', points: s.longPoints },
    ],
  }));
}

const shapeText = (s: W6Shape) =>
  `${s.runs} runs, each with key 'short' × ${s.shortPoints} points and key 'long' × ${s.longPoints} points`;

/** Peers' known gaps, noted in their rows. */
const PEER_NOTES: Record<string, string> = {
  'mlflow-go':
    'get-history-bulk-interval is not implemented in Go: proxied to its Python mlflow server (see versions)',
};

/**
 * W6 sampled charts (benchmarks.md §6) against each target in turn, each on a fresh database seeded over HTTP:
 * `GET metrics/get-history-bulk-interval?run_ids=…&metric_key=…&max_results=320` (the MLflow UI's request) over
 * every run (≤ 100 run ids per request), for the short series (`W6-short`) and the long one (`W6-long`). The long
 * row carries long/short p50 and p99 ratios: a sampler independent of series length keeps them near 1. A target
 * that does not implement the endpoint gets a row with null latencies and `extra.unsupported`.
 */
export async function runW6(o: W6Options): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const slow = o.slowTargets ?? DEFAULT_SLOW_TARGETS;
  for (const t of o.targets) {
    const reduced = slow.includes(t.name);
    const shape = reduced ? o.slowShape : o.shape;
    const rows = await onFreshTarget(
      { backend: o.backend, workDir: o.workDir, log: o.log, label: 'W6' },
      t,
      { experiment: 'w6-sampled-charts', runs: w6Runs(shape), concurrency: SEED_CLIENTS },
      (on) => measure(o, on, shape),
      (client) => probe(o, t.name, client),
    );
    for (const r of rows) {
      r.extra.data = shapeText(shape);
      if (o.shape.runs !== 100) r.extra.scaled = `benchmark: 100 runs; here ${shape.runs}`;
      if (reduced)
        r.extra.reducedSize = `fewer runs and points than mltrack (slow ingest over HTTP); full size: ${shapeText(o.shape)}`;
      const note = PEER_NOTES[t.name];
      if (note !== undefined) r.extra.note = note;
      Object.assign(r.extra, contenderExtra(t));
    }
    out.push(...rows);
  }
  return out;
}

const bulkUrl = (key: string, ids: string[]) =>
  `${API}/metrics/get-history-bulk-interval?metric_key=${key}&max_results=${UI_MAX_RESULTS}&` +
  ids.map((id) => `run_ids=${encodeURIComponent(id)}`).join('&');

/**
 * Before seeding: one run with one point, and one bulk-interval request for it. FastTrackML has no such endpoint;
 * its rows then carry null latencies and `extra.unsupported`, and nothing is seeded.
 */
async function probe(o: W6Options, name: string, client: HttpClient): Promise<BenchRecord[] | undefined> {
  const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, { name: 'w6-probe' });
  const run = await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
    experiment_id: exp.experiment_id,
    start_time: Date.now(),
  });
  const id = run.run.info.run_id;
  await client.json(`${API}/runs/log-batch`, {
    run_id: id,
    metrics: [{ key: 'short', value: 1, timestamp: Date.now(), step: 0 }],
  });
  const res = await client.request('GET', bulkUrl('short', [id]), undefined, true);
  if (res.status !== 404 && res.status !== 405 && res.status !== 501) return undefined;
  const body = res.body?.toString('utf8').replace(/\s+/g, ' ').slice(0, 120) ?? '';
  o.log(`W6 ${name}: get-history-bulk-interval answers ${res.status} ${body}: unsupported, not seeded`);
  return ['W6-short', 'W6-long'].map((workload) =>
    makeRecord(o.env, o.size, {
      workload,
      backend: o.backend,
      server: name,
      throughput: null,
      throughputUnit: 'req/s (c=1)',
      extra: { unsupported: `endpoint not implemented (${res.status})`, answer: body },
    }),
  );
}

interface Read {
  ms: number;
  rows: number;
  bytes: number;
  ok: boolean;
}

async function measure(o: W6Options, on: OnTarget, shape: W6Shape): Promise<BenchRecord[]> {
  const budget = o.phaseBudgetMs ?? 10_000;
  const runIds = on.seeded.runIds;
  const chunks: string[][] = [];
  for (let i = 0; i < runIds.length; i += RUN_IDS_PER_REQUEST)
    chunks.push(runIds.slice(i, i + RUN_IDS_PER_REQUEST));
  const errors = new Tally();
  /** One chart: every run's sampled series, one request per 100 runs. */
  const read = async (key: string): Promise<Read> => {
    const r: Read = { ms: 0, rows: 0, bytes: 0, ok: true };
    for (const ids of chunks) {
      const res = await on.client.request('GET', bulkUrl(key, ids), undefined, true);
      r.ms += res.ms;
      r.bytes += res.bytes;
      errors.add(res);
      if (res.status < 200 || res.status >= 300) return { ...r, ok: false };
      r.rows += (JSON.parse(res.body!.toString('utf8')) as { metrics?: unknown[] }).metrics?.length ?? 0;
    }
    return r;
  };

  const out: BenchRecord[] = [];
  const samples: number[] = [];
  for (const [workload, key, points] of [
    ['W6-short', 'short', shape.shortPoints],
    ['W6-long', 'long', shape.longPoints],
  ] as const) {
    await o.quiet(`${workload} ${on.name}`);
    const e0 = errors.errors;
    const want = shape.runs * Math.min(UI_MAX_RESULTS, points);
    const p = await phase(on.server.pid, () => repeat(o.warmups, o.iterations, budget, () => read(key)));
    samples.push(...p.samples);
    const ok = p.value.filter((r) => r.ok);
    const wrong = ok.filter((r) => r.rows !== want).length;
    if (wrong > 0)
      o.log(`${workload} ${on.name}: WARNING ${wrong} answers hold ${ok[0]?.rows} rows, expected ${want}`);
    const s = summarize(ok.map((r) => r.ms));
    o.log(
      `${workload} ${on.name}: ${shape.runs} runs × ${points} points → ${ok[0]?.rows ?? 0} rows, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`,
    );
    const row = makeRecord(o.env, o.size, {
      workload,
      backend: o.backend,
      server: on.name,
      throughput: ok.length > 0 ? round(1000 / s.mean) : null,
      throughputUnit: 'req/s (c=1)',
      p50: ok.length > 0 ? ms(s.p50) : null,
      p95: ok.length > 0 ? ms(s.p95) : null,
      p99: ok.length > 0 ? ms(s.p99) : null,
      errors: errors.errors - e0,
      extra: {
        query: `get-history-bulk-interval, ${shape.runs} runs × key '${key}' (${points} points each), max_results ${UI_MAX_RESULTS}`,
        iterations: ok.length,
        requestsPerRead: chunks.length,
        pointsPerRun: points,
        rowsScanned: shape.runs * points,
        rowsReturned: ok[0]?.rows ?? 0,
        rowsExpected: want,
        wrongCounts: wrong,
        responseBytes: ok[0]?.bytes ?? 0,
        rssBeforeMB: round(p.beforeMB),
        rssGrowthMB: round(p.peakMB - p.beforeMB),
        ...cpuExtra(p.cpu),
      },
    });
    if (errors.errors > e0) row.extra.statuses = errors.statuses();
    out.push(row);
  }
  const [short, long] = out as [BenchRecord, BenchRecord];
  if (short.p50 !== null && long.p50 !== null && short.p99 !== null && long.p99 !== null) {
    long.extra.longVsShortP50 = round(long.p50 / short.p50, 2);
    long.extra.longVsShortP99 = round(long.p99 / short.p99, 2);
    long.extra.seriesLengthRatio = round(shape.longPoints / shape.shortPoints, 1);
  }
  if (errors.firstError !== undefined) o.log(`W6 ${on.name}: first error ${errors.firstError}`);
  stampServerMemory(out, on.server, samples, on.rssBeforeMB);
  return out;
}
