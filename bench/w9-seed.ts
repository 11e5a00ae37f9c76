import type { KeyValue } from '../src/domain/entities/common.js';
import { openStore } from '../src/store/registry.js';

/** W9 data shape (benchmarks.md §6): N registered models × 10 versions, 3 tags on each, 1 alias per model. */
export const W9_VERSIONS = 10;
export const W9_ALIAS = 'champion';
/** Every W9_TEAM_EVERY-th model carries team=x (the filter of query (a)); the others spread over other teams. */
export const W9_TEAM_EVERY = 10;
const OTHER_TEAMS = ['vision', 'nlp', 'rl', 'search'] as const;
const FRAMEWORKS = ['pytorch', 'sklearn', 'xgboost'] as const;
/** Models per batch of un-awaited store calls (their fsyncs coalesce; each call is still its own transaction). */
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

function modelTags(i: number): KeyValue[] {
  return [
    { key: 'team', value: w9HasTeamX(i) ? 'x' : OTHER_TEAMS[i % OTHER_TEAMS.length]! },
    { key: 'owner', value: `user-${i % 37}` },
    { key: 'framework', value: FRAMEWORKS[i % FRAMEWORKS.length]! },
  ];
}

function versionTags(i: number, v: number): KeyValue[] {
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
 * Writes the W9 data set into a fresh database through mltrack's own store (openStore, the registry methods), then
 * closes it (a TRUNCATE checkpoint). Calls of CHUNK models are issued without awaiting each one, so their WAL
 * fsyncs are shared; the store is synchronous under its async interface, so versions are created in order.
 * Not measured.
 */
export async function seedW9(dbFile: string, models: number, cwd: string): Promise<W9SeedResult> {
  const t0 = performance.now();
  const store = await openStore(`sqlite:///${dbFile}`, { defaultArtifactRoot: 'mlflow-artifacts:/', cwd });
  let versions = 0;
  let teamX = 0;
  try {
    for (let base = 0; base < models; base += CHUNK) {
      const writes: Promise<unknown>[] = [];
      for (let i = base; i < Math.min(models, base + CHUNK); i++) {
        const name = w9ModelName(i);
        if (w9HasTeamX(i)) teamX++;
        writes.push(store.createRegisteredModel({ name, tags: modelTags(i) }));
        for (let v = 1; v <= W9_VERSIONS; v++) {
          writes.push(
            store.createModelVersion({ name, source: `s3://bench/${name}/${v}`, tags: versionTags(i, v) }),
          );
          versions++;
        }
        writes.push(store.setRegisteredModelAlias(name, W9_ALIAS, w9AliasVersion(i)));
      }
      await Promise.all(writes);
    }
    return { models, versions, teamX, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}
