import type { BenchDatabase } from './lib/backends.js';
import { type Contender, contenderExtra } from './lib/contenders.js';
import { CpuMeter, type CpuShare, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient, type HttpResult } from './lib/http-client.js';
import { forSeconds, Tally, w2Body } from './lib/load.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { API } from './lib/series.js';
import { rng, round, summarize } from './lib/stats.js';
import type { RunningTarget } from './lib/targets.js';
import { FILTER_B } from './w4-search.js';

/** What the measurement needs besides the server: phase lengths and the number of loops. */
export interface W8MeasureOptions {
  backend: string;
  size: string;
  env: BenchEnv;
  /** Seconds of W2 alone (the writers' baseline), then of W8 (writers + readers). */
  w2Sec: number;
  w8Sec: number;
  writers: number;
  readers: number;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}

/** One contender's W8 data, in place before the measurement (bench/w8.ts sets it up). */
export interface W8Setup {
  /** The W4 data set: its experiment (searched by the W4b readers) and number of runs. */
  w4ExperimentId: string;
  w4Runs: number;
  /** The run the writers log into (empty). */
  writerRunId: string;
  /** The W6 readers' runs, one key `loss` of `seriesPoints` points each; empty when `historyUnsupported`. */
  seriesRunIds: string[];
  seriesPoints: number;
  /** Why the readers cannot loop W6 (the endpoint's answer), e.g. FastTrackML's 404. */
  historyUnsupported?: string;
  /** Extras for the mixed-phase rows (a smaller W6 series: `reducedSize`). */
  mixedExtra?: BenchRecord['extra'];
}

/** The MLflow UI's sampled-chart request over the W6 runs. */
export const historyPath = (runIds: string[]) =>
  `${API}/metrics/get-history-bulk-interval?metric_key=loss&max_results=320&` +
  runIds.map((id) => `run_ids=${encodeURIComponent(id)}`).join('&');

/** A request whose connection failure counts as an error (status 0) instead of ending the run. */
async function send(client: HttpClient, method: string, path: string, body?: Buffer | string) {
  const t0 = performance.now();
  try {
    return await client.request(method, path, body, true);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const r: HttpResult = { status: 0, bytes: 0, ms: performance.now() - t0, body: Buffer.from(why) };
    return r;
  }
}

interface PhaseResult {
  writes: Tally;
  search: Tally;
  history: Tally;
  wallMs: number;
  cpu: CpuShare;
  acknowledged: number;
}

/**
 * W8 against one running contender whose database holds the set-up: W2 alone (`writers` loops sending W2's
 * log-batch of 10 metrics into one run), then the same writers while `readers` loops alternate W4's query (b) and
 * the W6 sampled-history request (W4b only when the contender lacks get-history-bulk-interval). Every non-2xx (and
 * every connection failure, as status 0) is an error, counted and reported, never fatal. The metrics table must
 * grow by exactly the acknowledged points (writers' values differ per writer: no point is an identical duplicate
 * that MLflow would store once); points stored from failed requests are reported apart.
 */
export async function measureW8(
  o: W8MeasureOptions,
  c: Contender,
  server: RunningTarget,
  db: BenchDatabase,
  s: W8Setup,
): Promise<BenchRecord[]> {
  const pointsBefore = await db.count('metrics');
  const searchBody = Buffer.from(
    JSON.stringify({
      experiment_ids: [s.w4ExperimentId],
      filter: FILTER_B,
      order_by: ['metrics.val_loss ASC'],
      max_results: 1000,
    }),
  );
  const history = historyPath(s.seriesRunIds);
  const withHistory = s.historyUnsupported === undefined && s.seriesRunIds.length > 0;

  const phase = async (name: string, sec: number, n: number, withReaders: boolean): Promise<PhaseResult> => {
    await o.quiet(`${name} ${c.name}`);
    // a client per phase: a peer closes idle keep-alive sockets during the quiet wait (uvicorn after 5 s)
    const client = new HttpClient(server.baseUrl, o.writers + o.readers);
    const r: PhaseResult = {
      writes: new Tally(),
      search: new Tally(),
      history: new Tally(),
      wallMs: 0,
      cpu: { ownPct: 0, foreignPct: 0, irqPct: 0, stealPct: 0 },
      acknowledged: 0,
    };
    const rngs = Array.from({ length: o.writers }, (_, i) => rng(100 + 1000 * n + i));
    const turns = new Array<number>(o.readers).fill(0);
    try {
      const meter = new CpuMeter([server.pid]);
      const t0 = performance.now();
      const loops = [
        forSeconds(sec, o.writers, async (i) => {
          const res = await send(client, 'POST', `${API}/runs/log-batch`, w2Body(s.writerRunId, rngs[i]!, i));
          r.writes.add(res);
          if (res.status === 200) r.acknowledged += 10;
        }),
      ];
      if (withReaders)
        loops.push(
          forSeconds(sec, o.readers, async (i) => {
            // reader i starts with the search when i is even, with the history when odd; each then alternates
            const searchTurn = !withHistory || (i + turns[i]!++) % 2 === 0;
            if (searchTurn) r.search.add(await send(client, 'POST', `${API}/runs/search`, searchBody));
            else r.history.add(await send(client, 'GET', history));
          }),
        );
      await Promise.all(loops);
      r.wallMs = performance.now() - t0;
      r.cpu = meter.stop();
    } finally {
      client.close();
    }
    for (const [what, t] of [
      ['writes', r.writes],
      ['search', r.search],
      ['history', r.history],
    ] as const) {
      if (t.lat.length === 0) continue;
      const l = summarize(t.lat);
      o.log(
        `${name} ${c.name} ${what}: ${t.lat.length} requests, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, ${t.statuses()}${t.errors > 0 ? `; errors: ${t.errorKinds()}` : ''}`,
      );
    }
    return r;
  };

  const rssAtStart = memOf(server.pid).rssMB;
  const sampler = new RssSampler(server.pid, 100);
  const alone = await phase('W8 phase 1: W2 alone', o.w2Sec, 1, false);
  const mixed = await phase('W8 phase 2: writers + readers', o.w8Sec, 2, true);
  const samples = sampler.stop();
  const stored = (await db.count('metrics')) - pointsBefore;
  const acknowledged = alone.acknowledged + mixed.acknowledged;
  // lost: acknowledged but not stored; stored from failed requests: a non-atomic log-batch answered with an error
  const lost = Math.max(0, acknowledged - stored);
  const unacknowledged = Math.max(0, stored - acknowledged);
  if (lost !== 0) o.log(`W8 ${c.name}: WARNING ${lost} acknowledged points are not in the metrics table`);
  if (unacknowledged !== 0)
    o.log(`W8 ${c.name}: ${unacknowledged} points are stored from requests answered with an error`);

  const base = { ...contenderExtra(c) };
  const mixedExtra: BenchRecord['extra'] = { ...s.mixedExtra };
  if (s.historyUnsupported !== undefined)
    mixedExtra.note = `${c.name} has no get-history-bulk-interval (${s.historyUnsupported}): its ${o.readers} readers loop W4b only`;
  const row = (workload: string, p: PhaseResult, t: Tally, extra: BenchRecord['extra']) => {
    const l = summarize(t.lat);
    const has = t.lat.length > 0;
    const rec = makeRecord(o.env, o.size, {
      workload,
      backend: o.backend,
      server: c.name,
      throughput: round(t.lat.length / (p.wallMs / 1000)),
      throughputUnit: 'req/s',
      p50: has ? round(l.p50, 2) : null,
      p95: has ? round(l.p95, 2) : null,
      p99: has ? round(l.p99, 2) : null,
      errors: t.errors,
      extra: { ...extra, requests: t.lat.length, statuses: t.statuses(), ...base, ...cpuExtra(p.cpu) },
    });
    if (t.firstError !== undefined) {
      rec.extra.firstError = t.firstError;
      rec.extra.errorKinds = t.errorKinds();
    }
    return rec;
  };
  const aloneP99 = summarize(alone.writes.lat).p99;
  const mixedP99 = summarize(mixed.writes.lat).p99;
  const out: BenchRecord[] = [
    row('W8-W2-alone', alone, alone.writes, {
      query: `${o.writers} writers, log-batch of 10 metrics at step 0 on one run, ${o.w2Sec} s`,
      acknowledgedPoints: alone.acknowledged,
    }),
    row('W8-writers', mixed, mixed.writes, {
      query: `the same ${o.writers} writers while ${o.readers} readers loop W4b and W6, ${o.w8Sec} s`,
      p99VsAlone: Number.isFinite(aloneP99 + mixedP99) ? round(mixedP99 / aloneP99, 2) : null,
      acknowledgedPoints: acknowledged,
      lostPoints: lost,
      storedFromFailedRequests: unacknowledged,
      ...mixedExtra,
    }),
    row('W8-readers-W4b', mixed, mixed.search, {
      query: `search (b) over ${s.w4Runs} runs, max 1000, during the writes`,
      ...mixedExtra,
    }),
  ];
  const w6Query = `get-history-bulk-interval, ${s.seriesRunIds.length} runs × ${s.seriesPoints} points, max_results 320, during the writes`;
  if (withHistory) out.push(row('W8-readers-W6', mixed, mixed.history, { query: w6Query, ...mixedExtra }));
  else
    out.push(
      makeRecord(o.env, o.size, {
        workload: 'W8-readers-W6',
        backend: o.backend,
        server: c.name,
        throughput: null,
        throughputUnit: 'req/s',
        extra: {
          query: 'get-history-bulk-interval, max_results 320, during the writes',
          unsupported: `endpoint not implemented (${s.historyUnsupported ?? 'no series'}): the readers loop W4b only`,
          ...s.mixedExtra,
          ...base,
        },
      }),
    );
  stampServerMemory(out, server, samples, rssAtStart);
  return out;
}
