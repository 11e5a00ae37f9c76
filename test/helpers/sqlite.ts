import path from 'node:path';
import { openStore } from '../../src/store/registry.js';
import type { TrackingStore } from '../../src/store/types.js';

export const TEST_ARTIFACT_ROOT = 'mlflow-artifacts:/';

/** A SQLite store on a new database file in `dir` (`file` names it), or in memory when `dir` is undefined. */
export async function openSqliteTestStore(
  dir: string | undefined,
  file = 'mlflow.db',
  defaultArtifactRoot = TEST_ARTIFACT_ROOT,
): Promise<TrackingStore> {
  const uri = dir === undefined ? 'sqlite:///:memory:' : `sqlite:///${path.join(dir, file)}`;
  return openStore(uri, { defaultArtifactRoot, cwd: dir ?? process.cwd() });
}
