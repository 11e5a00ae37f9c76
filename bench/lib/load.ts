import type { HttpResult } from './http-client.js';

/** Latencies and statuses of one kind of request in a load phase. */
export class Tally {
  readonly lat: number[] = [];
  readonly byStatus = new Map<number, number>();
  errors = 0;
  firstError: string | undefined;
  add(r: HttpResult): void {
    this.lat.push(r.ms);
    this.byStatus.set(r.status, (this.byStatus.get(r.status) ?? 0) + 1);
    if (r.status < 200 || r.status >= 300) {
      this.errors++;
      this.firstError ??= `${r.status} ${r.body?.toString('utf8').slice(0, 200) ?? ''}`;
    }
  }
  statuses(): string {
    return [...this.byStatus].map(([s, n]) => `${s}×${n}`).join(' ');
  }
}

/** Runs `loops` concurrent loops of `step` until `sec` seconds have passed; returns the wall time (ms). */
export async function forSeconds(
  sec: number,
  loops: number,
  step: (loop: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  const end = t0 + sec * 1000;
  await Promise.all(
    Array.from({ length: loops }, async (_, i) => {
      while (performance.now() < end) await step(i);
    }),
  );
  return performance.now() - t0;
}

/**
 * W2's request (mlflow-go's k6 shape): a log-batch of 10 metrics at step 0 on one shared run, from writer `writer`.
 * The value's integer part is the writer's index: two writers' rng streams can yield the same value for the same
 * key in the same millisecond (mulberry32 with neighbouring seeds repeats outputs at equal positions), and an
 * identical (key, step, timestamp, value) point is, by MLflow's rule, the same point, stored once — which a
 * stored-versus-acknowledged check would misread as a lost point.
 */
export function w2Body(runId: string, r: () => number, writer: number): string {
  const ts = Date.now();
  const metrics = Array.from({ length: 10 }, (_, k) => ({
    key: `w2_metric_${k}`,
    value: writer + r(),
    timestamp: ts,
    step: 0,
  }));
  return JSON.stringify({ run_id: runId, metrics, params: [], tags: [] });
}
