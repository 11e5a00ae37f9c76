import { rng } from './lib/stats.js';

/** W1 shape (benchmarks.md §6): log-batch of 1000 metrics = 50 keys × 20 steps, increasing timestamps. */
export const W1_KEYS = 50;
export const W1_STEPS_PER_BATCH = 20;
export const W1_BATCH = W1_KEYS * W1_STEPS_PER_BATCH;
export const W1_T0 = 1_700_000_000_000;

export const keyName = (k: number): string => `train/metric_${String(k).padStart(2, '0')}`;

export interface W1Plan {
  clients: number;
  requestsPerClient: number;
  points: number;
}

export function w1Plan(points: number, clients: number): W1Plan {
  const requestsPerClient = Math.ceil(points / W1_BATCH / clients);
  return { clients, requestsPerClient, points: requestsPerClient * clients * W1_BATCH };
}

/**
 * Every point of request `j` of client `c`, in body order (step-major, as a training loop logs them).
 * Deterministic: the HTTP bodies and the raw-SQLite floor insert exactly the same rows.
 */
export function forEachPoint(
  c: number,
  j: number,
  fn: (keyIdx: number, step: number, timestamp: number, value: number) => void,
): void {
  const r = rng(c * 1_000_003 + j + 1);
  for (let s = 0; s < W1_STEPS_PER_BATCH; s++) {
    const step = j * W1_STEPS_PER_BATCH + s;
    const ts = W1_T0 + step * 1000;
    for (let k = 0; k < W1_KEYS; k++) fn(k, step, ts + k, r());
  }
}

/** The JSON body of one log-batch request, built as a string (faster than JSON.stringify of objects). */
export function batchBody(runId: string, c: number, j: number): Buffer {
  const parts: string[] = [];
  forEachPoint(c, j, (k, step, ts, value) => {
    parts.push(`{"key":"${keyName(k)}","value":${value},"timestamp":${ts},"step":${step}}`);
  });
  return Buffer.from(`{"run_id":"${runId}","metrics":[${parts.join(',')}],"params":[],"tags":[]}`);
}
