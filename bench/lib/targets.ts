import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type Spawned, spawnServer } from './proc.js';

/** Repository root, from dist/bench/lib/ (compiled) or bench/lib/ (sources): both are two levels down. */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes('/dist/') ? '../../..' : '../..',
);

export interface TargetContext {
  port: number;
  /** The store URI (`sqlite:///…`, `postgresql://…`, `mysql://…`); empty for the no-op floor. */
  storeUri: string;
  /** Artifact folder (absolute). */
  artifactDir: string;
}

/**
 * A server under test: how to start it and where it answers. The load generator only needs `baseUrl`, so any
 * MLflow-compatible server fits: mltrack, the no-op floor, and the peers of bench/lib/peers.ts.
 */
export interface Target {
  name: string;
  backend: string;
  healthPath: string;
  /** How long start-up may take (default 30 s; MLflow migrating a fresh PostgreSQL database takes longer). */
  startTimeoutMs?: number;
  /** Runs once the server answers its health check, before any measurement (e.g. a documented peer workaround). */
  afterStart?: (ctx: TargetContext) => Promise<void>;
  command(ctx: TargetContext): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv };
}

export const mltrackTarget: Target = {
  name: 'mltrack',
  backend: 'any',
  healthPath: '/health',
  command: (c) => ({
    cmd: process.execPath,
    args: [
      path.join(REPO_ROOT, 'bin/mltrack.js'),
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(c.port),
      '--backend-store-uri',
      c.storeUri,
      '--artifacts-destination',
      c.artifactDir,
    ],
  }),
};

/** The HTTP+JSON floor: fastify parsing the same bodies and answering `{}` (bench/noop-server.ts). */
export const noopTarget: Target = {
  name: 'floor:fastify-noop',
  backend: 'none',
  healthPath: '/health',
  command: (c) => ({
    cmd: process.execPath,
    args: [path.join(REPO_ROOT, 'dist/bench/noop-server.js'), '--port', String(c.port)],
  }),
};

export interface RunningTarget extends Spawned {
  target: Target;
}

export async function startTarget(target: Target, ctx: Omit<TargetContext, 'port'>): Promise<RunningTarget> {
  const port = await freePort();
  const { cmd, args, env } = target.command({ ...ctx, port });
  const spec: Parameters<typeof spawnServer>[0] = { cmd, args, port, healthPath: target.healthPath };
  if (env !== undefined) spec.env = env;
  if (target.startTimeoutMs !== undefined) spec.startTimeoutMs = target.startTimeoutMs;
  const s = await spawnServer(spec);
  try {
    await target.afterStart?.({ ...ctx, port });
  } catch (e) {
    await s.stop();
    throw e;
  }
  return { ...s, target };
}
