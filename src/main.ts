import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { ServerConfig } from './config/config.js';
import { openStore, redact } from './store/registry.js';
import type { TrackingStore } from './store/types.js';

export interface RunningServer {
  app: FastifyInstance;
  store: TrackingStore;
  url: string;
  close(): Promise<void>;
}

/** Composition root: config → store → app → listen. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  // The local artifact folder exists from the first start (like MLflow's local artifact root).
  if (config.serveArtifacts) await mkdir(config.artifactsDestination, { recursive: true });
  const store = await openStore(config.backendStoreUri, {
    ...config.sql,
    defaultArtifactRoot: config.defaultArtifactRoot,
    cwd: config.cwd,
  });
  const app = await buildApp(
    { config, store },
    {
      logger: {
        level: config.logLevel,
        base: null,
        timestamp: () => `,"time":"${new Date().toISOString()}"`,
      },
    },
  );
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await store.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  app.log.info(
    { backend: redact(config.backendStoreUri), artifacts: config.artifactsDestination },
    `mltrack listening at ${url}`,
  );
  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    url,
    close() {
      // In-flight requests finish (fastify.close waits for them), then the database closes cleanly.
      closing ??= app.close().then(() => store.close());
      return closing;
    },
  };
}
