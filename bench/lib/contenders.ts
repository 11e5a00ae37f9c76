import path from 'node:path';
import { type BenchBackend, type BenchDatabase, freshDatabase } from './backends.js';
import { PEER_NAMES, type PeerInstall, type PeerName, peerTarget } from './peers.js';
import { mltrackTarget, type RunningTarget, startTarget, type Target } from './targets.js';

/** A server measured in a workload: mltrack or a peer (floors are measured by each workload itself). */
export interface Contender {
  /** `mltrack`, `mlflow`, `fasttrackml`, `mlflow-go`: the record's `server`. */
  name: string;
  target: Target;
  /** Peer package versions as pip resolved them (empty for mltrack). */
  versions: string;
}

export const MLTRACK: Contender = { name: 'mltrack', target: mltrackTarget, versions: '' };

/** The installed peers that run on a backend, in the order of PEER_NAMES. */
export function peersOn(backend: BenchBackend, installs: Map<PeerName, PeerInstall>): Contender[] {
  const out: Contender[] = [];
  for (const name of PEER_NAMES) {
    const install = installs.get(name);
    const target = install === undefined ? undefined : peerTarget(install, backend);
    if (install !== undefined && target !== undefined) out.push({ name, target, versions: install.versions });
  }
  return out;
}

/** The record extras naming what a peer row measured. */
export const contenderExtra = (c: Contender): Record<string, string> =>
  c.versions === '' ? {} : { versions: c.versions };

/**
 * Starts a contender on a fresh database of the backend, runs `fn`, stops the server, then runs `settle` on the
 * database (sizes and counts are read once the server has stopped and, on SQLite, checkpointed), and drops it.
 */
export async function onFreshServer<T, S>(
  c: Contender,
  backend: BenchBackend,
  dir: string,
  fn: (server: RunningTarget, db: BenchDatabase) => Promise<T>,
  settle: (db: BenchDatabase) => Promise<S>,
): Promise<{ result: T; settled: S; startupMs: number }> {
  const db = await freshDatabase(backend, path.join(dir, c.name));
  try {
    const server = await startTarget(c.target, {
      storeUri: db.uri,
      artifactDir: path.join(dir, `${c.name}-art`),
    });
    let result: T;
    try {
      result = await fn(server, db);
    } finally {
      await server.stop();
    }
    return { result, settled: await settle(db), startupMs: server.startupMs };
  } finally {
    await db.drop();
  }
}
