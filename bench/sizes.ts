import type { W5Shape } from './w5.js';
import type { W6Shape } from './w6.js';
import type { W7Shape } from './w7-seed.js';
import type { W8Series } from './w8.js';

/** The sizes of `--size`: smoke (seconds, a sanity check), S (2 vCPUs), L (bigger machines). */
export interface SizeSpec {
  w1Points: number;
  w4Runs: number;
  w9Models: number;
  /** W2: seconds of load (20 connections); W3: runs to create (8 clients). */
  w2Sec: number;
  w3Runs: number;
  /** W2b (FastTrackML's logging shape, 20 connections): iterations in all, shared by the connections. */
  w2bIterations: number;
  w7: W7Shape;
  /**
   * W8: seconds of W2 alone, seconds mixed, the W6 readers' series (runs × points), and the smaller series MLflow
   * gets (seeded over HTTP at ~2k points/s).
   */
  w8: { w2Sec: number; w8Sec: number; w6Runs: number; w6Points: number; slow: W8Series };
  /** W12 (DynamoDB accounting): W1 points, W3 runs, W4 runs, W5 points. */
  w12: { w1Points: number; w3Runs: number; w4Runs: number; w5Points: number };
  /** W5 / W6 series, and the smaller ones MLflow gets (it ingests ~1–3k points/s over HTTP here). */
  w5: { shape: W5Shape; slow: W5Shape };
  w6: { shape: W6Shape; slow: W6Shape };
}

export const SIZES: Record<string, SizeSpec> = {
  smoke: {
    w1Points: 20_000,
    w4Runs: 500,
    w9Models: 50,
    w2Sec: 3,
    w3Runs: 200,
    w2bIterations: 40,
    w7: { experiments: 2, runs: 100, metrics: 30, params: 10, tags: 10 },
    w8: { w2Sec: 2, w8Sec: 3, w6Runs: 4, w6Points: 2000, slow: { w6Runs: 4, w6Points: 2000 } },
    w12: { w1Points: 20_000, w3Runs: 50, w4Runs: 200, w5Points: 5000 },
    w5: {
      shape: { longPoints: 30_000, keys: 4, keyPoints: 2000 },
      slow: { longPoints: 26_000, keys: 4, keyPoints: 500 },
    },
    w6: {
      shape: { runs: 4, shortPoints: 1000, longPoints: 10_000 },
      slow: { runs: 2, shortPoints: 500, longPoints: 5000 },
    },
  },
  S: {
    w1Points: 1_000_000,
    w4Runs: 20_000,
    w9Models: 1000,
    w2Sec: 30,
    w3Runs: 10_000,
    w2bIterations: 400,
    w7: { experiments: 5, runs: 1500, metrics: 300, params: 50, tags: 20 },
    w8: { w2Sec: 30, w8Sec: 60, w6Runs: 10, w6Points: 20_000, slow: { w6Runs: 10, w6Points: 2000 } },
    // W3/W4a at 2000 runs, not 10k/20k: DynamoDB Local slows down sharply as one table grows (10k runs did not
    // finish in 10 min here); per-run and per-1000-point units do not depend on the count (--w12-runs overrides)
    w12: { w1Points: 1_000_000, w3Runs: 2000, w4Runs: 2000, w5Points: 100_000 },
    w5: {
      shape: { longPoints: 100_000, keys: 20, keyPoints: 10_000 },
      slow: { longPoints: 30_000, keys: 20, keyPoints: 1000 },
    },
    w6: {
      shape: { runs: 20, shortPoints: 10_000, longPoints: 100_000 },
      slow: { runs: 5, shortPoints: 1000, longPoints: 10_000 },
    },
  },
  /**
   * L: the benchmark reference's large shapes, for a machine bigger than 2 vCPUs (hours on 2 vCPUs; never in CI):
   * W1 10M points, W3 100k runs, W4 100k runs, W5 1M points + 100 keys × 10k, W6 100 runs × 100k points, W7 FastTrackML
   * #860's 50 experiments × 1500 runs × (1500 metrics, 150 params, 50 tags).
   */
  L: {
    w1Points: 10_000_000,
    w4Runs: 100_000,
    w9Models: 10_000,
    w2Sec: 60,
    w3Runs: 100_000,
    w2bIterations: 2000,
    w7: { experiments: 50, runs: 1500, metrics: 1500, params: 150, tags: 50 },
    w8: { w2Sec: 60, w8Sec: 120, w6Runs: 100, w6Points: 100_000, slow: { w6Runs: 10, w6Points: 10_000 } },
    w12: { w1Points: 10_000_000, w3Runs: 100_000, w4Runs: 100_000, w5Points: 1_000_000 },
    w5: {
      shape: { longPoints: 1_000_000, keys: 100, keyPoints: 10_000 },
      slow: { longPoints: 100_000, keys: 100, keyPoints: 1000 },
    },
    w6: {
      shape: { runs: 100, shortPoints: 10_000, longPoints: 100_000 },
      slow: { runs: 10, shortPoints: 1000, longPoints: 10_000 },
    },
  },
};
