import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchBackend } from './backends.js';
import { REPO_ROOT, type Target } from './targets.js';

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
 * FastTrackML spells database URIs its own way: an absolute SQLite path takes three slashes, not SQLAlchemy's four
 * (`sqlite:////tmp/x.db` fails with "invalid uri authority: tmp"), PostgreSQL is `postgres://`.
 */
const fmlUri = (uri: string) =>
  uri.replace(/^sqlite:\/\/\/\//, 'sqlite:///').replace(/^postgresql:\/\//, 'postgres://');
/**
 * MLflow 3.17 runs on SQLAlchemy 2.1, whose default PostgreSQL driver is psycopg (3); the venv has psycopg2-binary
 * (as MLflow's docs ask), so name the driver (a plain `postgresql://` fails with "No module named 'psycopg'").
 */
const psycopg2Uri = (uri: string) => uri.replace(/^postgresql:\/\//, 'postgresql+psycopg2://');

/** The Target of one peer on one backend, or undefined when the peer does not run on it. */
export function peerTarget(install: PeerInstall, backend: BenchBackend): Target | undefined {
  if (!PEER_BACKENDS[install.name].includes(backend)) return undefined;
  const bin = path.dirname(install.exe);
  switch (install.name) {
    case 'mlflow':
      return {
        name: 'mlflow',
        backend,
        healthPath: '/health',
        startTimeoutMs: 180_000,
        command: (c) => ({
          cmd: install.exe,
          args: [
            'server',
            '--host',
            '127.0.0.1',
            '--port',
            String(c.port),
            '--backend-store-uri',
            psycopg2Uri(c.storeUri),
            '--artifacts-destination',
            c.artifactDir,
            '--workers',
            String(MLFLOW_WORKERS),
          ],
          env: { PATH: `${bin}:${process.env.PATH ?? ''}`, MLFLOW_LOGGING_LEVEL: 'WARNING' },
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
        command: (c) => ({
          cmd: install.exe,
          args: [
            'server',
            '--host',
            '127.0.0.1',
            '--port',
            String(c.port),
            '--backend-store-uri',
            c.storeUri,
            '--artifacts-destination',
            c.artifactDir,
            '--workers',
            String(MLFLOW_WORKERS),
            // per-request INFO lines cost the Go server real time; its own benchmark ran with logging lowered
            '--go-opts',
            'log_level=error',
          ],
          // it starts the Python `mlflow server` it proxies to from PATH
          env: { PATH: `${bin}:${process.env.PATH ?? ''}`, MLFLOW_LOGGING_LEVEL: 'WARNING' },
        }),
      };
  }
}
