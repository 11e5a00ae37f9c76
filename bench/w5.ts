import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra } from './lib/contenders.js';
import { cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { runPool } from './lib/http-client.js';
import { Tally } from './lib/load.js';
import { stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import {
  type HistoryRead,
  type OnTarget,
  onFreshTarget,
  type Phase,
  phase,
  type RunSpec,
  readHistory,
  repeat,
} from './lib/series.js';
import { median, round, summarize } from './lib/stats.js';

/** MLflow's page size for get-history (GET_METRIC_HISTORY_MAX_RESULTS, used by its client). */
export const HISTORY_PAGE = 25_000;

/** W5's data: one run with one long series, and one run with `keys` series of `keyPoints` each. */
export interface W5Shape {
  longPoints: number;
  keys: number;
  keyPoints: number;
}

export interface W5Options {
  backend: BenchBackend;
  /** The full shape, and the smaller one a slow peer gets (marked in every one of its records). */
  shape: W5Shape;
  slowShape: W5Shape;
  /** Targets that get `slowShape` (default: mlflow, which ingests ~1–3k points/s over HTTP on 2 vCPUs). */
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

export const DEFAULT_SLOW_TARGETS: readonly string[] = ['mlflow'];
const SEED_CLIENTS = 4;
const KEYS_CONCURRENCY = 4;
const ms = (v: number) => round(v, 2);

export function w5Runs(s: W5Shape): RunSpec[] {
  return [
    { name: 'w5-long', keys: [{ key: 'loss', points: s.longPoints }] },
    {
      name: 'w5-keys',
      keys: Array.from({ length: s.keys }, (_, k) => ({ key: `metric_${k}`, points: s.keyPoints })),
    },
  ];
}

const shapeText = (s: W5Shape) =>
  `1 run × 1 key × ${s.longPoints} points; 1 run × ${s.keys} keys × ${s.keyPoints} points`;

/**
 * W5 long series (benchmarks.md §6) against each target in turn, each on a fresh database seeded over HTTP:
 * - `W5-full`: get-history of the long series in one request (no max_results: the whole series);
 * - `W5-paged`: the same series in pages of 25,000 following next_page_token (latencies: the whole pass);
 * - `W5-page`: each page request of those passes (one page of 25,000);
 * - `W5-keys-c4`: the "UI after training" pattern, every key of the many-keys run read at c=4 (per request).
 * Each row records the server's RSS growth during its phase (peak sampled every 20 ms − RSS just before).
 */
export async function runW5(o: W5Options): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const slow = o.slowTargets ?? DEFAULT_SLOW_TARGETS;
  for (const t of o.targets) {
    const reduced = slow.includes(t.name);
    const shape = reduced ? o.slowShape : o.shape;
    const runs = w5Runs(shape);
    const rows = await onFreshTarget(
      { backend: o.backend, workDir: o.workDir, log: o.log, label: 'W5' },
      t,
      { experiment: 'w5-long-series', runs, concurrency: SEED_CLIENTS },
      (on) => measure(o, on, shape),
    );
    for (const r of rows) {
      r.extra.data = shapeText(shape);
      if (o.shape.keys !== 100) r.extra.scaled = `benchmark: 100 keys × 10k points; here ${shape.keys} keys`;
      if (reduced)
        r.extra.reducedSize = `fewer points than mltrack (slow ingest over HTTP); full size: ${shapeText(o.shape)}`;
      Object.assign(r.extra, contenderExtra(t));
    }
    out.push(...rows);
  }
  return out;
}

async function measure(o: W5Options, on: OnTarget, shape: W5Shape): Promise<BenchRecord[]> {
  const budget = o.phaseBudgetMs ?? 10_000;
  const [longRun, keysRun] = on.seeded.runIds as [string, string];
  const out: BenchRecord[] = [];
  const allSamples: number[] = [];
  const sampled = new Set<Phase<unknown>>();
  const errors = new Tally();
  let wrong = 0;
  const check = (r: HistoryRead, want: number, what: string) => {
    if (!r.ok || r.points === want) return;
    wrong++;
    if (wrong <= 3) o.log(`W5 ${on.name}: WARNING ${what} returned ${r.points} points, expected ${want}`);
  };
  const rec = (
    workload: string,
    p: Phase<unknown>,
    lat: number[],
    points: number,
    extra: BenchRecord['extra'],
  ) => {
    if (!sampled.has(p)) allSamples.push(...p.samples);
    sampled.add(p);
    const s = summarize(lat);
    return makeRecord(o.env, o.size, {
      workload,
      backend: o.backend,
      server: on.name,
      throughput: lat.length > 0 ? round(points / (s.p50 / 1000)) : null,
      throughputUnit: 'points/s (at p50)',
      p50: lat.length > 0 ? ms(s.p50) : null,
      p95: lat.length > 0 ? ms(s.p95) : null,
      p99: lat.length > 0 ? ms(s.p99) : null,
      errors: 0,
      extra: {
        ...extra,
        iterations: lat.length,
        rssBeforeMB: round(p.beforeMB),
        rssGrowthMB: round(p.peakMB - p.beforeMB),
        ...cpuExtra(p.cpu),
      },
    });
  };
  const count = (row: BenchRecord, before: number) => {
    row.errors = errors.errors - before;
    if (errors.errors > before) row.extra.statuses = errors.statuses();
  };

  await o.quiet(`W5 ${on.name} full read`);
  let e0 = errors.errors;
  const full = await phase(on.server.pid, () =>
    repeat(o.warmups, o.iterations, budget, async () => {
      const r = await readHistory(on.client, longRun, 'loss', undefined, errors);
      check(r, shape.longPoints, 'the full read');
      return r;
    }),
  );
  const fullLat = full.value.filter((r) => r.ok).map((r) => r.ms);
  o.log(
    `W5-full ${on.name}: ${shape.longPoints} points, p50 ${median(fullLat).toFixed(1)} ms, RSS +${(full.peakMB - full.beforeMB).toFixed(0)} MB`,
  );
  const fullRow = rec('W5-full', full, fullLat, shape.longPoints, {
    query: `get-history of ${shape.longPoints} points in one request (no max_results)`,
    points: shape.longPoints,
    responseBytes: full.value[0]?.bytes ?? 0,
  });
  count(fullRow, e0);
  out.push(fullRow);

  await o.quiet(`W5 ${on.name} paged read`);
  e0 = errors.errors;
  const paged = await phase(on.server.pid, () =>
    repeat(Math.min(o.warmups, 1), Math.max(3, Math.ceil(o.iterations / 2)), budget, async () => {
      const r = await readHistory(on.client, longRun, 'loss', HISTORY_PAGE, errors);
      check(r, shape.longPoints, 'the paged read');
      return r;
    }),
  );
  const passes = paged.value.filter((r) => r.ok);
  // one page of 25,000: the full pages only (a last, shorter page would flatter the figure)
  const pages = passes.flatMap((r) => r.pageMs.filter((_, i) => r.pagePoints[i] === HISTORY_PAGE));
  // FastTrackML ignores max_results on get-history: the whole series in one answer, without a token
  const ignored = passes.some((r) => r.pagePoints.some((n) => n > HISTORY_PAGE));
  if (ignored)
    o.log(`W5-paged ${on.name}: max_results ${HISTORY_PAGE} ignored (one answer > ${HISTORY_PAGE} points)`);
  o.log(
    `W5-paged ${on.name}: ${passes[0]?.pageMs.length ?? 0} pages, pass p50 ${median(passes.map((r) => r.ms)).toFixed(1)} ms, page p50 ${pages.length > 0 ? `${median(pages).toFixed(1)} ms` : '–'}`,
  );
  const pagedRow = rec(
    'W5-paged',
    paged,
    passes.map((r) => r.ms),
    shape.longPoints,
    {
      query: `get-history of ${shape.longPoints} points in pages of ${HISTORY_PAGE} following next_page_token (latency: the whole pass)`,
      pages: passes[0]?.pageMs.length ?? 0,
      pagingIgnored: ignored,
      responseBytes: passes[0]?.bytes ?? 0,
    },
  );
  count(pagedRow, e0);
  const pageRow = rec('W5-page', paged, pages, Math.min(HISTORY_PAGE, shape.longPoints), {
    query: `one get-history page of ${HISTORY_PAGE} points (every full page of the W5-paged passes)`,
    ...(ignored ? { unsupported: `max_results ignored: no page of ${HISTORY_PAGE}` } : {}),
  });
  out.push(pagedRow, pageRow);

  await o.quiet(`W5 ${on.name} keys at c=${KEYS_CONCURRENCY}`);
  e0 = errors.errors;
  const wallMs: number[] = [];
  const keys = await phase(on.server.pid, () =>
    repeat(Math.min(o.warmups, 1), Math.max(3, Math.ceil(o.iterations / 4)), budget, async () => {
      const lat: number[] = [];
      wallMs.push(
        await runPool(shape.keys, KEYS_CONCURRENCY, async (k) => {
          const r = await readHistory(on.client, keysRun, `metric_${k}`, HISTORY_PAGE, errors);
          check(r, shape.keyPoints, `metric_${k}`);
          if (r.ok) lat.push(r.ms);
        }),
      );
      return lat;
    }),
  );
  const keyLat = keys.value.flat();
  const passMs = wallMs.slice(-keys.value.length);
  o.log(
    `W5-keys-c4 ${on.name}: ${shape.keys} keys, pass ${median(passMs).toFixed(1)} ms, request p50 ${median(keyLat).toFixed(1)} ms`,
  );
  const keysRow = rec('W5-keys-c4', keys, keyLat, shape.keyPoints, {
    query: `get-history of each of ${shape.keys} keys × ${shape.keyPoints} points (pages of ${HISTORY_PAGE}), one after another from ${KEYS_CONCURRENCY} clients (latency: per key)`,
    totalMsMedian: ms(median(passMs)),
    passes: passMs.length,
  });
  count(keysRow, e0);
  if (passMs.length > 0) {
    keysRow.throughput = round((shape.keys * shape.keyPoints) / (median(passMs) / 1000));
    keysRow.throughputUnit = `points/s (c=${KEYS_CONCURRENCY}, median pass)`;
  }
  out.push(keysRow);

  for (const r of out) r.extra.wrongCounts = wrong;
  if (errors.firstError !== undefined) o.log(`W5 ${on.name}: first error ${errors.firstError}`);
  stampServerMemory(out, on.server, allSamples, on.rssBeforeMB);
  return out;
}
