import path from 'node:path';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import { forSeconds, Tally, w2Body } from './lib/load.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { rng, round, summarize } from './lib/stats.js';
import { mltrackTarget, startTarget } from './lib/targets.js';
import type { W4Data } from './w4.js';
import { FILTER_B } from './w4-search.js';

const API = '/api/2.0/mlflow';

export interface W8Options {
  size: string;
  workDir: string;
  env: BenchEnv;
  /** Seconds of W2 alone (the writers' baseline), then of W8 (writers + readers). */
  w2Sec: number;
  w8Sec: number;
  writers: number;
  readers: number;
  /** W6 reader data: runs × points of one key. */
  w6Runs: number;
  w6Points: number;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

/**
 * W8 mixed read/write (benchmarks.md §6) on the W4 data set: first W2 alone (16 writers logging 10-metric batches
 * into one shared run), then the same writers while 4 readers loop W4's query (b) and a W6-style sampled-history
 * request (get-history-bulk-interval, max_results 320, over `w6Runs` runs of `w6Points` points). Reports the
 * writers' p99 against W2 alone, the readers' latencies, every non-2xx (deadlocks surface as 503), and checks that
 * every acknowledged point is in the database.
 */
export async function runW8(o: W8Options & { backend: string }, data: W4Data): Promise<BenchRecord[]> {
  const rec = (r: Parameters<typeof makeRecord>[2]) =>
    makeRecord(o.env, o.size, { ...r, backend: o.backend });
  await o.quiet('W8 setup');
  const server = await startTarget(mltrackTarget, {
    storeUri: data.db.uri,
    artifactDir: path.join(o.workDir, 'w8-art'),
  });
  const client = new HttpClient(server.baseUrl, o.writers + o.readers);
  const out: BenchRecord[] = [];
  const sampler = new RssSampler(server.pid, 100);
  const rssAtStart = memOf(server.pid).rssMB;
  try {
    // untimed set-up: the writers' run and the W6 series
    const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
      name: 'w8-mixed',
    });
    const newRun = async (name: string) =>
      (
        await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
          experiment_id: exp.experiment_id,
          run_name: name,
          start_time: Date.now(),
        })
      ).run.info.run_id;
    const writerRun = await newRun('w8-writers');
    const w6Runs: string[] = [];
    const r0 = rng(8);
    for (let i = 0; i < o.w6Runs; i++) {
      const id = await newRun(`w8-series-${i}`);
      w6Runs.push(id);
      for (let s = 0; s < o.w6Points; s += 1000) {
        const metrics = Array.from({ length: Math.min(1000, o.w6Points - s) }, (_, k) => ({
          key: 'loss',
          value: r0(),
          timestamp: 1_700_000_000_000 + s + k,
          step: s + k,
        }));
        await client.json(`${API}/runs/log-batch`, { run_id: id, metrics });
      }
    }
    const pointsBefore = await data.db.count('metrics');
    o.log(`W8: set up ${o.w6Runs} series × ${o.w6Points} points; metrics rows ${pointsBefore}`);

    const acknowledged = { points: 0 };
    const writer = (t: Tally, r: () => number, i: number) => async () => {
      const res = await client.request('POST', `${API}/runs/log-batch`, w2Body(writerRun, r, i), true);
      t.add(res);
      if (res.status === 200) acknowledged.points += 10;
    };
    const phase = async (name: string, sec: number, withReaders: boolean) => {
      await o.quiet(name);
      const writes = new Tally();
      const search = new Tally();
      const history = new Tally();
      const rngs = Array.from({ length: o.writers }, (_, i) => rng(100 + i));
      const searchBody = Buffer.from(
        JSON.stringify({
          experiment_ids: [data.experimentId],
          filter: FILTER_B,
          order_by: ['metrics.val_loss ASC'],
          max_results: 1000,
        }),
      );
      const historyPath =
        `${API}/metrics/get-history-bulk-interval?metric_key=loss&max_results=320&` +
        w6Runs.map((id) => `run_ids=${id}`).join('&');
      const meter = new CpuMeter([server.pid]);
      const t0 = performance.now();
      const loops: Promise<number>[] = [forSeconds(sec, o.writers, (i) => writer(writes, rngs[i]!, i)())];
      if (withReaders) {
        loops.push(
          forSeconds(sec, o.readers, async (i) => {
            // half the readers start with the search, half with the history; each alternates
            const turn = (search.lat.length + history.lat.length + i) % 2 === 0;
            if (turn) search.add(await client.request('POST', `${API}/runs/search`, searchBody, true));
            else history.add(await client.request('GET', historyPath, undefined, true));
          }),
        );
      }
      await Promise.all(loops);
      const wallMs = performance.now() - t0;
      const cpu = meter.stop();
      for (const [what, t] of [
        ['writes', writes],
        ['search', search],
        ['history', history],
      ] as const) {
        if (t.lat.length === 0) continue;
        const s = summarize(t.lat);
        o.log(
          `${name} ${what}: ${t.lat.length} requests, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ${t.statuses()}${t.firstError ? `, first error: ${t.firstError}` : ''}`,
        );
      }
      return { writes, search, history, wallMs, cpu };
    };

    const alone = await phase('W8 phase 1: W2 alone', o.w2Sec, false);
    const mixed = await phase('W8 phase 2: writers + readers', o.w8Sec, true);
    const pointsAfter = await data.db.count('metrics');
    const lost = acknowledged.points - (pointsAfter - pointsBefore);
    if (lost !== 0) o.log(`W8: WARNING ${lost} acknowledged points are not in the metrics table`);

    const row = (
      workload: string,
      t: Tally,
      wallMs: number,
      cpu: typeof alone.cpu,
      extra: BenchRecord['extra'],
    ) => {
      const s = summarize(t.lat);
      return rec({
        workload,
        backend: o.backend,
        server: 'mltrack',
        throughput: round(t.lat.length / (wallMs / 1000)),
        throughputUnit: 'req/s',
        p50: round(s.p50, 2),
        p95: round(s.p95, 2),
        p99: round(s.p99, 2),
        errors: t.errors,
        extra: { requests: t.lat.length, statuses: t.statuses(), ...extra, ...cpuExtra(cpu) },
      });
    };
    const aloneP99 = summarize(alone.writes.lat).p99;
    const mixedP99 = summarize(mixed.writes.lat).p99;
    out.push(
      row('W8-W2-alone', alone.writes, alone.wallMs, alone.cpu, {
        query: `${o.writers} writers, log-batch of 10 metrics at step 0 on one run, ${o.w2Sec} s`,
      }),
      row('W8-writers', mixed.writes, mixed.wallMs, mixed.cpu, {
        query: `the same ${o.writers} writers while ${o.readers} readers loop W4b and W6, ${o.w8Sec} s`,
        p99VsAlone: round(mixedP99 / aloneP99, 2),
        acknowledgedPoints: acknowledged.points,
        lostPoints: lost,
      }),
      row('W8-readers-W4b', mixed.search, mixed.wallMs, mixed.cpu, {
        query: `search (b) over ${data.runs} runs, max 1000, during the writes`,
      }),
      row('W8-readers-W6', mixed.history, mixed.wallMs, mixed.cpu, {
        query: `get-history-bulk-interval, ${o.w6Runs} runs × ${o.w6Points} points, max_results 320, during the writes`,
      }),
    );
  } finally {
    client.close();
    stampServerMemory(out, server, sampler.stop(), rssAtStart);
    await server.stop();
  }
  return out;
}
