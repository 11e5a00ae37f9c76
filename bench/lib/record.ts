import type { BenchEnv } from './env.js';
import { round, summarize } from './stats.js';

/** One measured row: the JSON shape of benchmarks.md §6 ("How to report"), plus the unit and extras. */
export interface BenchRecord {
  /** W1, W4a … W4e, W4b-c8, W10-idle. */
  workload: string;
  size: string;
  backend: string;
  /** `mltrack`, or a floor: `floor:sqlite-raw`, `floor:fastify-noop`, … */
  server: string;
  throughput: number | null;
  throughputUnit: string;
  /** Latencies in ms. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  rssPeakMB: number | null;
  rssSteadyMB: number | null;
  dbBytes: number | null;
  errors: number;
  env: BenchEnv;
  /** What is compared against what, and anything else worth keeping (bytes/point, response bytes, …). */
  extra: Record<string, number | string | boolean | null>;
}

export type RecordInit = Omit<
  BenchRecord,
  'env' | 'size' | 'p50' | 'p95' | 'p99' | 'rssPeakMB' | 'rssSteadyMB' | 'dbBytes' | 'errors' | 'extra'
> &
  Partial<BenchRecord>;

export function makeRecord(env: BenchEnv, size: string, r: RecordInit): BenchRecord {
  // Canonical key order in the JSON: the §6 fields first, then the extras.
  return {
    workload: r.workload,
    size: r.size ?? size,
    backend: r.backend,
    server: r.server,
    throughput: r.throughput,
    throughputUnit: r.throughputUnit,
    p50: r.p50 ?? null,
    p95: r.p95 ?? null,
    p99: r.p99 ?? null,
    rssPeakMB: r.rssPeakMB ?? null,
    rssSteadyMB: r.rssSteadyMB ?? null,
    dbBytes: r.dbBytes ?? null,
    errors: r.errors ?? 0,
    env,
    extra: r.extra ?? {},
  };
}

/**
 * The shared fields of a one-client HTTP query row (W4, W9): throughput from the iterations over the wall time and
 * the latency percentiles, in ms with two decimals.
 */
export function serialQueryRow(
  workload: string,
  t: { lat: number[]; wallMs: number; errors: number },
  dbBytes: number | null,
): RecordInit {
  const s = summarize(t.lat);
  return {
    workload,
    backend: 'sqlite',
    server: 'mltrack',
    throughput: round(t.lat.length / (t.wallMs / 1000)),
    throughputUnit: 'req/s (c=1)',
    p50: round(s.p50, 2),
    p95: round(s.p95, 2),
    p99: round(s.p99, 2),
    dbBytes,
    errors: t.errors,
  };
}
