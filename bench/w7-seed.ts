import type { KeyValue } from '../src/domain/entities/common.js';
import type { Metric } from '../src/domain/entities/metric.js';
import { openStore } from '../src/store/registry.js';
import type { SqlStore } from '../src/store/sql/shared/sql-store.js';
import { rng } from './lib/stats.js';
import type { RunGenerator } from './w4-peer-seed.js';

/**
 * W7 data shape (benchmarks.md §6, FastTrackML #860 scaled): `experiments` experiments × `runs` runs, each run
 * with `metrics` latest metrics, `params` params and `tags` tags (S: 5 × 1500 runs, 300 / 50 / 20).
 */
export interface W7Shape {
  experiments: number;
  runs: number;
  metrics: number;
  params: number;
  tags: number;
}

export const W7_SEED = 7;
const T0 = 1_700_000_000_000;
/** Runs per outer transaction while seeding mltrack. */
const CHUNK = 500;

/** The name of run i of experiment e (createRun adds it as the mlflow.runName tag). */
export const w7RunName = (e: number, i: number) => `ui-${e}-${i}`;
export const w7ExperimentName = (e: number) => `w7-ui-${e}`;

/** Run i of an experiment: the tags given to createRun (mlflow.runName comes on top), params, metrics at step 50. */
export function w7RunData(shape: W7Shape, i: number, r: () => number) {
  const startTime = T0 + i * 1000;
  const tags: KeyValue[] = [
    { key: 'mlflow.user', value: 'bench' },
    { key: 'mlflow.source.name', value: 'train.py' },
    { key: 'mlflow.source.type', value: 'LOCAL' },
  ];
  for (let t = tags.length; t < shape.tags - 1; t++) tags.push({ key: `tag_${t}`, value: `v${i % (t + 5)}` });
  const params: KeyValue[] = Array.from({ length: shape.params }, (_, p) => ({
    key: `param_${p}`,
    value: String(Math.floor(r() * 10000)),
  }));
  const ts = startTime + 600_000;
  const metrics: Metric[] = Array.from({ length: shape.metrics }, (_, m) => ({
    key: `metric_${m}`,
    value: r(),
    timestamp: ts,
    step: 50,
  }));
  return { startTime, endTime: ts + 1000, tags, params, metrics };
}

/** Experiment e's runs for the peer seeder (bench/w4-peer-seed.ts): the same names and values mltrack gets. */
export const w7Generator = (shape: W7Shape, e: number): RunGenerator => ({
  seed: W7_SEED + e,
  name: (i) => w7RunName(e, i),
  data: (i, r) => w7RunData(shape, i, r),
});

/** Writes the W7 data set into mltrack's store (untimed), experiment e from rng(W7_SEED + e); returns the ids. */
export async function seedW7(
  uri: string,
  shape: W7Shape,
  cwd: string,
): Promise<{ experimentIds: string[]; ms: number }> {
  const t0 = performance.now();
  const store = (await openStore(uri, { defaultArtifactRoot: 'mlflow-artifacts:/', cwd })) as SqlStore;
  try {
    const experimentIds: string[] = [];
    for (let e = 0; e < shape.experiments; e++) {
      const r = rng(W7_SEED + e);
      const experimentId = await store.createExperiment({ name: w7ExperimentName(e) });
      experimentIds.push(experimentId);
      for (let base = 0; base < shape.runs; base += CHUNK) {
        const n = Math.min(CHUNK, shape.runs - base);
        const data = Array.from({ length: n }, (_, k) => w7RunData(shape, base + k, r));
        await store.db.tx(async () => {
          for (const [k, d] of data.entries()) {
            const run = await store.createRun({
              experimentId,
              userId: 'bench',
              startTime: d.startTime,
              runName: w7RunName(e, base + k),
              tags: d.tags,
            });
            const id = run.info.run_id;
            // log-batch takes at most 1000 metrics and 100 params/tags per request; the store has no such limit
            await store.logBatch(id, { metrics: d.metrics, params: d.params, tags: [] });
            await store.updateRun(id, { status: 'FINISHED', endTime: d.endTime });
          }
        });
      }
    }
    return { experimentIds, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}
