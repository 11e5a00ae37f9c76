import type { KeyValue } from '../src/domain/entities/common.js';
import type { Metric } from '../src/domain/entities/metric.js';
import { openStore } from '../src/store/registry.js';
import type { SqlStore } from '../src/store/sql/shared/sql-store.js';
import { rng } from './lib/stats.js';

/** W4 data shape (benchmarks.md §6): one experiment, N runs × 50 params, 20 tags, 30 latest metrics. */
export const W4_PARAMS = 50;
export const W4_TAGS = 20;
export const W4_METRICS = 30;
export const OPTIMIZERS = ['adam', 'sgd', 'adamw', 'rmsprop'] as const;
const TEAMS = ['vision', 'nlp', 'rl'] as const;
const T0 = 1_700_000_000_000;
/** Runs per outer transaction while seeding. */
const CHUNK = 1000;
/** The seed of the data set's generator (rng from bench/lib/stats.ts). */
export const W4_SEED = 42;

export interface SeedResult {
  experimentId: string;
  runs: number;
  ms: number;
}

/** The name of the W4 run i (createRun adds it as the mlflow.runName tag: the 20th tag). */
export const w4RunName = (i: number) => `sweep-${i}`;

/** One W4 run's data, apart from its name: the 19 tags given to createRun, 50 params and 30 metrics at step 100. */
export interface W4RunData {
  startTime: number;
  endTime: number;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: Metric[];
}

/**
 * The data of run i. `r` is the data set's generator, rng(42), consumed in run order (run 0 first): seedW4 and
 * seedW4Peer (bench/w4-peer-seed.ts) both call this for i = 0, 1, … so every server gets the same values.
 */
export function runData(i: number, r: () => number): W4RunData {
  const startTime = T0 + i * 1000;
  const tags: KeyValue[] = [
    { key: 'mlflow.user', value: 'bench' },
    { key: 'mlflow.source.name', value: 'train.py' },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    {
      key: 'mlflow.source.git.commit',
      value: Math.floor(r() * 2 ** 52)
        .toString(16)
        .padStart(40, '0'),
    },
    { key: 'team', value: TEAMS[i % TEAMS.length]! },
  ];
  // + mlflow.runName, added by createRun → 20 tags
  for (let t = tags.length; t < W4_TAGS - 1; t++)
    tags.push({ key: `tag_${t}`, value: `value-${i % (t + 7)}` });
  const params: KeyValue[] = [
    { key: 'optimizer', value: OPTIMIZERS[Math.floor(r() * OPTIMIZERS.length)]! },
    { key: 'lr', value: String(10 ** -(1 + r() * 4)) },
    { key: 'batch_size', value: String(2 ** (4 + Math.floor(r() * 6))) },
  ];
  for (let p = params.length; p < W4_PARAMS; p++)
    params.push({ key: `param_${p}`, value: String(Math.floor(r() * 1000)) });
  const ts = startTime + 3_600_000;
  const metrics: Metric[] = [{ key: 'val_loss', value: r(), timestamp: ts, step: 100 }];
  for (let m = metrics.length; m < W4_METRICS; m++)
    metrics.push({ key: `metric_${m}`, value: r() * 100, timestamp: ts, step: 100 });
  return { startTime, endTime: ts + 1000, tags, params, metrics };
}

/**
 * Writes the W4 data set straight into a fresh database through mltrack's own store code (createRun, logBatch,
 * updateRun), batching CHUNK runs per outer transaction (the store's transactions nest into it). Not measured.
 */
export async function seedW4(uri: string, runs: number, cwd: string): Promise<SeedResult> {
  const t0 = performance.now();
  const store = (await openStore(uri, {
    defaultArtifactRoot: 'mlflow-artifacts:/',
    cwd,
  })) as SqlStore;
  try {
    const experimentId = await store.createExperiment({ name: 'w4-search' });
    const r = rng(W4_SEED);
    for (let base = 0; base < runs; base += CHUNK) {
      const n = Math.min(CHUNK, runs - base);
      const data = Array.from({ length: n }, (_, k) => runData(base + k, r));
      // Every store call below joins the outer transaction (one commit and one fsync per chunk).
      await store.db.tx(async () => {
        for (const [k, d] of data.entries()) {
          const run = await store.createRun({
            experimentId,
            userId: 'bench',
            startTime: d.startTime,
            runName: w4RunName(base + k),
            tags: d.tags,
          });
          const id = run.info.run_id;
          await store.logBatch(id, { metrics: d.metrics, params: d.params, tags: [] });
          await store.updateRun(id, { status: 'FINISHED', endTime: d.endTime });
        }
      });
    }
    return { experimentId, runs, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}
