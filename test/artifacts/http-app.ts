import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorBody, httpStatus } from '../../src/api/errors.js';
import type { AppDeps } from '../../src/api/route.js';
import { registerArtifactRoutes } from '../../src/api/routes/artifacts.js';
import { parseServerConfig, type ServerConfig } from '../../src/config/config.js';
import { MlflowError } from '../../src/domain/errors.js';
import type { TrackingStore } from '../../src/store/types.js';

/** Shared set-up for the artifact HTTP tests: a real Fastify app built only from registerArtifactRoutes. */

export const A = '/api/2.0/mlflow-artifacts/artifacts';
export const RUN = 'mlflow-artifacts:/1/r1/artifacts';
export const MODEL = 'mlflow-artifacts:/1/models/m-1/artifacts';

/** Only the two store methods the artifact routes use; the real store is built elsewhere. */
export function storeWith(runs: Record<string, string>, models: Record<string, string> = {}): TrackingStore {
  return {
    async getRun(runId: string) {
      const uri = runs[runId];
      if (uri === undefined)
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
      return { info: { run_id: runId, run_uuid: runId, artifact_uri: uri } };
    },
    async getLoggedModel(modelId: string) {
      const uri = models[modelId];
      if (uri === undefined) {
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`);
      }
      return { info: { model_id: modelId, artifact_uri: uri } };
    },
  } as unknown as TrackingStore;
}

/** The app's own wiring, reduced to what the artifact routes need: raw-buffer parser and MLflow errors. */
export async function buildTestApp(config: ServerConfig, store: TrackingStore): Promise<FastifyInstance> {
  const a = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  a.removeAllContentTypeParsers();
  a.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  a.setErrorHandler((err, _req, reply) => {
    if (err instanceof MlflowError) {
      return reply.code(httpStatus(err.code)).type('application/json').send(errorBody(err.code, err.message));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(400).send(errorBody('BAD_REQUEST', String((err as Error).message)));
    }
    return reply.code(500).send(errorBody('INTERNAL_ERROR', 'Internal server error'));
  });
  const deps: AppDeps = { config, store };
  await registerArtifactRoutes(a, deps);
  await a.ready();
  return a;
}

export function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Fixture {
  base: string;
  dest: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Temp dir with `canary.txt` (must never change) next to `mlartifacts/`, and an app serving artifacts. */
export async function fixture(prefix: string): Promise<Fixture> {
  const base = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  const dest = path.join(base, 'mlartifacts');
  await writeFile(path.join(base, 'canary.txt'), 'canary');
  const config = parseServerConfig({ artifactsDestination: dest }, {}, base);
  const app = await buildTestApp(
    config,
    storeWith(
      { r1: RUN, s3run: 's3://bucket/1/r/artifacts', evil: 'mlflow-artifacts:/../../', abs: '/etc' },
      { 'm-1': MODEL },
    ),
  );
  return {
    base,
    dest,
    app,
    async close() {
      await app.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

export function put(app: FastifyInstance, url: string, body: string | Buffer, contentType?: string) {
  return app.inject({
    method: 'PUT',
    url,
    payload: body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
}
