import type { KeyValue } from '../src/domain/entities/common.js';
import { openStore } from '../src/store/registry.js';

/** W9 data shape (benchmarks.md §6): N registered models × 10 versions, 3 tags on each, 1 alias per model. */
export const W9_VERSIONS = 10;
export const W9_ALIAS = 'champion';
/** Every W9_TEAM_EVERY-th model carries team=x (the filter of query (a)); the others spread over other teams. */
export const W9_TEAM_EVERY = 10;
const OTHER_TEAMS = ['vision', 'nlp', 'rl', 'search'] as const;
const FRAMEWORKS = ['pytorch', 'sklearn', 'xgboost'] as const;
/** Models seeded at once (each model's calls in order; the models' transactions overlap, their fsyncs coalesce). */
const CHUNK = 50;

export interface W9SeedResult {
  models: number;
  versions: number;
  /** Models with team=x. */
  teamX: number;
  ms: number;
}

export const w9ModelName = (i: number) => `m-${i}`;

/** The version the `champion` alias of model i points to (deterministic, spread over 1…10). */
export const w9AliasVersion = (i: number) => ((i * 7) % W9_VERSIONS) + 1;

export const w9HasTeamX = (i: number) => i % W9_TEAM_EVERY === 0;

/** Version v's source (MLflow also stores it as the version's storage_location). */
export const w9Source = (name: string, v: number) => `s3://bench/${name}/${v}`;

export function w9ModelTags(i: number): KeyValue[] {
  return [
    { key: 'team', value: w9HasTeamX(i) ? 'x' : OTHER_TEAMS[i % OTHER_TEAMS.length]! },
    { key: 'owner', value: `user-${i % 37}` },
    { key: 'framework', value: FRAMEWORKS[i % FRAMEWORKS.length]! },
  ];
}

export function w9VersionTags(i: number, v: number): KeyValue[] {
  return [
    { key: 'dataset', value: `ds-${(i + v) % 13}` },
    {
      key: 'git_commit',
      value: ((i * 1_000_003 + v * 7919) >>> 0).toString(16).padStart(40, '0'),
    },
    { key: 'validation_status', value: v % 3 === 0 ? 'failed' : 'passed' },
  ];
}

/**
 * Writes the W9 data set through mltrack's own store (openStore on `uri`, the registry methods), then closes it (on
 * SQLite a TRUNCATE checkpoint). CHUNK models are seeded at once, each model's calls awaited in order (create,
 * versions 1…10, alias: on a server database the calls of one model run on different connections, and a version
 * is numbered MAX+1 at its commit), so the models' transactions overlap and share their fsyncs. Not measured.
 */
export async function seedW9(uri: string, models: number, cwd: string): Promise<W9SeedResult> {
  const t0 = performance.now();
  const store = await openStore(uri, { defaultArtifactRoot: 'mlflow-artifacts:/', cwd });
  const seedModel = async (i: number) => {
    const name = w9ModelName(i);
    await store.createRegisteredModel({ name, tags: w9ModelTags(i) });
    for (let v = 1; v <= W9_VERSIONS; v++)
      await store.createModelVersion({ name, source: w9Source(name, v), tags: w9VersionTags(i, v) });
    await store.setRegisteredModelAlias(name, W9_ALIAS, w9AliasVersion(i));
  };
  try {
    for (let base = 0; base < models; base += CHUNK) {
      const batch: Promise<void>[] = [];
      for (let i = base; i < Math.min(models, base + CHUNK); i++) batch.push(seedModel(i));
      await Promise.all(batch);
    }
    return w9Counts(models, performance.now() - t0);
  } finally {
    await store.close();
  }
}

/** What the data set of `models` models holds. */
export function w9Counts(models: number, ms: number): W9SeedResult {
  let teamX = 0;
  for (let i = 0; i < models; i++) if (w9HasTeamX(i)) teamX++;
  return { models, versions: models * W9_VERSIONS, teamX, ms };
}
