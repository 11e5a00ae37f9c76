import path from 'node:path';
import { type BenchBackend, freshDatabase } from './backends.js';
import type { Contender } from './contenders.js';
import { CpuMeter, type CpuShare } from './cpu.js';
import { HttpClient } from './http-client.js';
import type { Tally } from './load.js';
import { memOf, RssSampler } from './proc.js';
import type { BenchRecord } from './record.js';
import { rng, round } from './stats.js';
import { type RunningTarget, startTarget, type Target } from './targets.js';

/**
 * Metric series for the read workloads W5 and W6 (benchmarks.md §6): seeded over HTTP with log-batch requests of
 * 1000 metrics (MLflow's MAX_METRICS_PER_BATCH), so every target — mltrack and the peers — gets the same runs,
 * keys, steps, values and timestamps in its own fresh database, and read back with the MLflow REST API.
 */
export const API = '/api/2.0/mlflow';
export const BATCH = 1000;
const T0 = 1_700_000_000_000;

/** One run's series: each key gets steps 0 … points-1. */
export interface RunSpec {
  name: string;
  keys: { key: string; points: number }[];
}

/** A run's batches, step-major like a training loop (every key of a step, then the next step), 1000 points each. */
function* batchesOf(run: RunSpec, runIndex: number): Generator<object[]> {
  const r = rng(1000 + runIndex);
  const longest = Math.max(...run.keys.map((k) => k.points));
  let batch: object[] = [];
  for (let step = 0; step < longest; step++) {
    for (const [k, spec] of run.keys.entries()) {
      if (step >= spec.points) continue;
      // a decaying loss with noise; the timestamp is one step every 100 ms
      const value = Math.exp(-step / (spec.points / 3)) * (1 + k / 10) + 0.05 * r();
      batch.push({ key: spec.key, value, timestamp: T0 + step * 100, step });
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export interface Seeded {
  experimentId: string;
  runIds: string[];
  points: number;
  requests: number;
  ms: number;
}

/**
 * Creates one experiment and the runs, then sends every run's batches from `concurrency` clients, each taking the
 * next batch in turn. Not part of any measured figure; returns the wall time so that each target's seeding rate
 * can be reported. Throws on the first non-2xx answer.
 */
export async function seedRuns(
  client: HttpClient,
  experiment: string,
  runs: RunSpec[],
  concurrency: number,
): Promise<Seeded> {
  const t0 = performance.now();
  const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, { name: experiment });
  const runIds: string[] = [];
  for (const run of runs) {
    const created = await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
      experiment_id: exp.experiment_id,
      run_name: run.name,
      start_time: T0,
    });
    runIds.push(created.run.info.run_id);
  }
  // the runs' batches round-robin, built lazily (W6 S is 2.2M points), so concurrent clients mostly write
  // different runs
  function* interleaved(): Generator<{ run: number; metrics: object[] }> {
    const gens = runs.map((r, i) => batchesOf(r, i));
    for (let live = gens.length; live > 0; ) {
      live = 0;
      for (const [run, g] of gens.entries()) {
        const n = g.next();
        if (n.done) continue;
        live++;
        yield { run, metrics: n.value };
      }
    }
  }
  const jobs = interleaved();
  let points = 0;
  let requests = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let j = jobs.next(); !j.done; j = jobs.next()) {
        const { run, metrics } = j.value;
        await client.json(`${API}/runs/log-batch`, { run_id: runIds[run], metrics });
        points += metrics.length;
        requests++;
      }
    }),
  );
  return {
    experimentId: exp.experiment_id,
    runIds,
    points,
    requests,
    ms: performance.now() - t0,
  };
}

export interface HistoryRead {
  /** Sum of the requests' times (first byte sent to last byte received); the client's JSON parsing is outside. */
  ms: number;
  pageMs: number[];
  /** Points in each page's answer. */
  pagePoints: number[];
  points: number;
  bytes: number;
  ok: boolean;
}

/**
 * Reads one series with get-history: without `pageSize` one request for the whole series (the documented meaning
 * of an absent max_results, followed by mltrack and MLflow ≥ 3), else pages of `pageSize` following next_page_token.
 */
export async function readHistory(
  client: HttpClient,
  runId: string,
  key: string,
  pageSize: number | undefined,
  errors: Tally,
): Promise<HistoryRead> {
  const out: HistoryRead = { ms: 0, pageMs: [], pagePoints: [], points: 0, bytes: 0, ok: true };
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const q = new URLSearchParams({ run_id: runId, metric_key: key });
    if (pageSize !== undefined) q.set('max_results', String(pageSize));
    if (token !== undefined) q.set('page_token', token);
    const r = await client.request('GET', `${API}/metrics/get-history?${q}`, undefined, true);
    out.ms += r.ms;
    out.pageMs.push(r.ms);
    out.bytes += r.bytes;
    errors.add(r);
    if (r.status < 200 || r.status >= 300) return { ...out, ok: false };
    const body = JSON.parse(r.body!.toString('utf8')) as { metrics?: unknown[]; next_page_token?: string };
    out.pagePoints.push(body.metrics?.length ?? 0);
    out.points += body.metrics?.length ?? 0;
    token = body.next_page_token || undefined;
    if (token === undefined || pageSize === undefined) return out;
  }
  throw new Error(`get-history ${runId}/${key}: more than 10000 pages`);
}

/**
 * Repeats `fn` for `warmups` untimed and then `iterations` timed rounds, but stops early once `budgetMs` has passed
 * and at least `minIterations` were timed (a slow peer must not take the whole run). Returns the timed results.
 */
export async function repeat<T>(
  warmups: number,
  iterations: number,
  budgetMs: number,
  fn: () => Promise<T>,
  minIterations = 3,
): Promise<T[]> {
  const t0 = performance.now();
  for (let i = 0; i < warmups && (i === 0 || performance.now() - t0 < budgetMs / 4); i++) await fn();
  const out: T[] = [];
  const t1 = performance.now();
  while (out.length < iterations) {
    out.push(await fn());
    if (out.length >= minIterations && performance.now() - t1 > budgetMs) break;
  }
  return out;
}

/**
 * The server tree's RSS once it stops moving (< 2 MB over 500 ms, at most 10 s): a multi-process peer answers
 * /health before all its workers have finished importing, and that must not count as growth during the reads.
 */
export async function settledRss(pid: number): Promise<number> {
  let last = memOf(pid).rssMB;
  for (const end = performance.now() + 10_000; performance.now() < end; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = memOf(pid).rssMB;
    if (Math.abs(now - last) < 2) return now;
    last = now;
  }
  return last;
}

export interface Phase<T> {
  value: T;
  /** Server tree RSS just before, the highest sample during (every 20 ms), and all samples (MB). */
  beforeMB: number;
  peakMB: number;
  samples: number[];
  cpu: CpuShare;
}

/** Runs one measured phase against a server, sampling its tree RSS every 20 ms and its CPU share. */
export async function phase<T>(pid: number, fn: () => Promise<T>): Promise<Phase<T>> {
  const beforeMB = memOf(pid).rssMB;
  const sampler = new RssSampler(pid, 20);
  const meter = new CpuMeter([pid]);
  const value = await fn();
  const cpu = meter.stop();
  const samples = sampler.stop();
  return { value, beforeMB, peakMB: Math.max(beforeMB, ...samples), samples, cpu };
}

/** One target on its fresh, seeded database, ready for the reads. */
export interface OnTarget {
  name: string;
  target: Target;
  server: RunningTarget;
  client: HttpClient;
  seeded: Seeded;
  /** Tree RSS of the fresh server before the first read, MB. */
  rssBeforeMB: number;
}

/** A target whose start-up takes longer than this is measured on the server that did the seeding. */
export const RESTART_MAX_STARTUP_MS = 10_000;

/**
 * Fresh database → start the target → `probe` (when it returns rows, the target lacks the endpoint: no seeding)
 * → seed `runs` → stop and start again, so the reads start from a clean server whose peak RSS is the reads' and
 * not the seeding's → `measure` → stop and drop the database. A target that took more than 10 s to start (MLflow
 * with 4 workers: 20–30 s here) is not restarted: it is measured on the seeding server, after its RSS settles,
 * and its records say so (`extra.restartedAfterSeed: false`).
 */
export async function onFreshTarget(
  o: { backend: BenchBackend; workDir: string; log: (m: string) => void; label: string },
  t: Contender,
  seed: { experiment: string; runs: RunSpec[]; concurrency: number },
  measure: (on: OnTarget) => Promise<BenchRecord[]>,
  probe?: (client: HttpClient) => Promise<BenchRecord[] | undefined>,
): Promise<BenchRecord[]> {
  const dir = path.join(o.workDir, `${o.label}-${t.name}-${o.backend}`);
  const db = await freshDatabase(o.backend, dir);
  const ctx = { storeUri: db.uri, artifactDir: path.join(dir, 'art') };
  const running: RunningTarget[] = [];
  const clients: HttpClient[] = [];
  try {
    const writer = await startTarget(t.target, ctx);
    running.push(writer);
    const wc = new HttpClient(writer.baseUrl, Math.max(8, seed.concurrency));
    clients.push(wc);
    const early = probe === undefined ? undefined : await probe(wc);
    if (early !== undefined) return early;
    const seeded = await seedRuns(wc, seed.experiment, seed.runs, seed.concurrency);
    o.log(
      `${o.label} ${t.name}: seeded ${seeded.points} points in ${(seeded.ms / 1000).toFixed(1)} s ` +
        `(${Math.round(seeded.points / (seeded.ms / 1000))} points/s over HTTP, c=${seed.concurrency}; not measured)`,
    );
    const restart = writer.startupMs <= RESTART_MAX_STARTUP_MS;
    let server = writer;
    let client = wc;
    if (restart) {
      wc.close();
      await writer.stop();
      server = await startTarget(t.target, ctx);
      running.push(server);
      client = new HttpClient(server.baseUrl, 8);
      clients.push(client);
    }
    const rssBeforeMB = await settledRss(server.pid);
    const rows = await measure({ name: t.name, target: t.target, server, client, seeded, rssBeforeMB });
    for (const r of rows) {
      r.extra.seedMs = round(seeded.ms);
      r.extra.seedPointsPerSec = round(seeded.points / (seeded.ms / 1000));
      r.extra.restartedAfterSeed = restart;
    }
    return rows;
  } finally {
    for (const c of clients) c.close();
    for (const r of running) await r.stop();
    await db.drop();
  }
}
