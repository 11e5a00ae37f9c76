import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { type BenchBackend, pgClient } from './backends.js';
import { REPO_ROOT, type Target, type TargetContext } from './targets.js';

/**
 * The side-by-side peers of benchmarks.md §6.0, installed from PyPI by scripts/bench/setup-peers.sh (one venv
 * each) and started on loopback against a fresh database of the same backend as mltrack.
 */
export const PEER_NAMES = ['mlflow', 'fasttrackml', 'mlflow-go'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** What the setup script reported for one peer. */
export interface PeerInstall {
  name: PeerName;
  /** The peer's executable in its venv. */
  exe: string;
  /** `mlflow==3.17.2 …` as pip resolved them. */
  versions: string;
}

/** The Python server's worker count, stated in every report (benchmarks.md §6.0: "always state the worker count"). */
export const MLFLOW_WORKERS = 4;

const SCRIPT_NAME: Record<PeerName, string> = {
  mlflow: 'mlflow',
  fasttrackml: 'fml',
  'mlflow-go': 'mlflow-go',
};

/**
 * Runs the setup script for the wanted peers (idempotent; the first run installs from PyPI, a few minutes) and
 * returns where each one is. Throws with the script's output when it fails.
 */
export function setupPeers(
  wanted: readonly PeerName[],
  log: (m: string) => void,
): Map<PeerName, PeerInstall> {
  const out = new Map<PeerName, PeerInstall>();
  if (wanted.length === 0) return out;
  log(`peers: scripts/bench/setup-peers.sh (${wanted.join(', ')})`);
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/bench/setup-peers.sh')], {
    env: { ...process.env, PEERS: wanted.map((p) => SCRIPT_NAME[p]).join(' ') },
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`setup-peers.sh failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  for (const line of r.stdout.trim().split('\n')) {
    const [script, exe, ...versions] = line.split(' ');
    const name = PEER_NAMES.find((p) => SCRIPT_NAME[p] === script);
    if (name !== undefined && exe !== undefined) out.set(name, { name, exe, versions: versions.join(' ') });
  }
  for (const p of wanted)
    if (!out.has(p)) throw new Error(`setup-peers.sh did not report ${p}:\n${r.stdout}`);
  return out;
}

/** The backends each peer runs on (issue 7: MLflow and FastTrackML on SQLite and PostgreSQL, mlflow-go on PostgreSQL). */
export const PEER_BACKENDS: Record<PeerName, readonly BenchBackend[]> = {
  mlflow: ['sqlite', 'postgres'],
  fasttrackml: ['sqlite', 'postgres'],
  'mlflow-go': ['postgres'],
};

/**
 * FastTrackML spells database URIs its own way: an absolute SQLite path is `sqlite:///abs/path` (SQLAlchemy's
 * `sqlite:////abs/path` fails with "invalid uri authority"), PostgreSQL is `postgres://`.
 */
const fmlUri = (uri: string) =>
  uri.replace(/^sqlite:\/\/\//, 'sqlite://').replace(/^postgresql:\/\//, 'postgres://');

/**
 * mlflow-go-backend 0.2.2 (the newest on PyPI) inserts a `logged_model_metrics` row with an empty model_id for
 * every metric of a log-batch, which the MLflow 3 schema's foreign key to `logged_models` refuses, so every
 * log-batch answers 500 (fixed upstream after the release). To measure it at all, that one foreign key is dropped
 * in mlflow-go's own database; its figures include the extra insert it performs.
 */
async function allowMlflowGoLogBatch(storeUri: string): Promise<void> {
  const c = await pgClient(storeUri);
  try {
    for (let i = 0; ; i++) {
      const r = await c.query<{ conname: string }>(
        `SELECT conname FROM pg_constraint WHERE contype = 'f'
           AND conrelid = to_regclass('logged_model_metrics') AND confrelid = to_regclass('logged_models')`,
      );
      const table = await c.query(`SELECT to_regclass('logged_model_metrics') AS t`);
      if (table.rows[0]?.t !== null) {
        for (const row of r.rows)
          await c.query(`ALTER TABLE logged_model_metrics DROP CONSTRAINT "${row.conname}"`);
        return;
      }
      if (i >= 600) throw new Error('mlflow-go: logged_model_metrics never appeared');
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    await c.end();
  }
}

/** `mlflow server`'s options, shared by MLflow and mlflow-go (whose CLI is MLflow's plus `--go-opts`). */
const mlflowServerArgs = (c: TargetContext, storeUri: string) => [
  'server',
  '--host',
  '127.0.0.1',
  '--port',
  String(c.port),
  '--backend-store-uri',
  storeUri,
  '--artifacts-destination',
  c.artifactDir,
  '--workers',
  String(MLFLOW_WORKERS),
];

/** The Target of one peer on one backend, or undefined when the peer does not run on it. */
export function peerTarget(install: PeerInstall, backend: BenchBackend): Target | undefined {
  if (!PEER_BACKENDS[install.name].includes(backend)) return undefined;
  // the venv's bin first: mlflow-go starts the Python `mlflow server` it proxies to from PATH
  const env = {
    PATH: `${path.dirname(install.exe)}:${process.env.PATH ?? ''}`,
    MLFLOW_LOGGING_LEVEL: 'WARNING',
  };
  switch (install.name) {
    case 'mlflow':
      return {
        name: 'mlflow',
        backend,
        healthPath: '/health',
        startTimeoutMs: 180_000,
        command: (c) => ({
          cmd: install.exe,
          // SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; the venv has psycopg2 (as MLflow documents)
          args: mlflowServerArgs(c, c.storeUri.replace(/^postgresql:\/\//, 'postgresql+psycopg2://')),
          env,
        }),
      };
    case 'fasttrackml':
      return {
        name: 'fasttrackml',
        backend,
        healthPath: '/health',
        startTimeoutMs: 120_000,
        command: (c) => ({
          cmd: install.exe,
          args: [
            'server',
            '-a',
            `127.0.0.1:${c.port}`,
            '-d',
            fmlUri(c.storeUri),
            '--default-artifact-root',
            c.artifactDir,
            '-l',
            'warn',
          ],
        }),
      };
    case 'mlflow-go':
      return {
        name: 'mlflow-go',
        backend,
        healthPath: '/health',
        startTimeoutMs: 180_000,
        afterStart: (c) => allowMlflowGoLogBatch(c.storeUri),
        command: (c) => ({
          cmd: install.exe,
          // per-request INFO lines cost the Go server real time; its own benchmark ran with logging lowered
          args: [...mlflowServerArgs(c, c.storeUri), '--go-opts', 'log_level=error'],
          env,
        }),
      };
  }
}
