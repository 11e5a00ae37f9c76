import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { parseServerConfig, type ServerConfig } from '../../src/config/config.js';
import type { ErrorCode } from '../../src/domain/errors.js';
import { openStore } from '../../src/store/registry.js';
import type { TrackingStore } from '../../src/store/types.js';
import { makeTempDir, removeDir } from './temp-dir.js';

/** In-process HTTP tests: the real app on a real SQLite file in a temp dir, driven with `inject`. */

export type Query = Record<string, string | number | boolean | readonly (string | number)[] | undefined>;

export interface Res {
  readonly status: number;
  readonly headers: LightMyRequestResponse['headers'];
  readonly text: string;
  /** Parsed JSON body (throws if the body is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

export function queryString(q: Query | undefined): string {
  if (q === undefined) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, String(x));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s === '' ? '' : `?${s}`;
}

/** Requests against one mount (`/api/2.0/mlflow` or `/ajax-api/2.0/mlflow`). Every call asserts "no 5xx". */
export class ApiClient {
  constructor(
    readonly app: FastifyInstance,
    readonly prefix: string,
  ) {}

  url(path: string): string {
    return `${this.prefix}${path}`;
  }

  get(path: string, query?: Query): Promise<Res> {
    return this.send({ method: 'GET', url: this.url(path) + queryString(query) });
  }

  post(path: string, body: unknown = {}): Promise<Res> {
    return this.json('POST', path, body);
  }

  patch(path: string, body: unknown = {}): Promise<Res> {
    return this.json('PATCH', path, body);
  }

  delete(path: string, body: unknown = {}): Promise<Res> {
    return this.json('DELETE', path, body);
  }

  json(method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', path: string, body: unknown): Promise<Res> {
    return this.send({
      method,
      url: this.url(path),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  }

  /** Any request; still asserts that the server did not answer with a 5xx. */
  async send(opts: InjectOptions): Promise<Res> {
    const res = await this.sendUnchecked(opts);
    expect(res.status, `${opts.method} ${opts.url} gave ${res.status}: ${res.text}`).toBeLessThan(500);
    return res;
  }

  /** Any request, with no status check (for the documented 5xx cases). */
  async sendUnchecked(opts: InjectOptions): Promise<Res> {
    const r = await this.app.inject(opts);
    return { status: r.statusCode, headers: r.headers, text: r.body, json: <T>() => JSON.parse(r.body) as T };
  }
}

/** Asserts an MLflow JSON error: status, `error_code`, and optionally part of the message. */
export function expectError(res: Res, status: number, code: ErrorCode, message?: string | RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<{ error_code: string; message: string }>();
  expect(body.error_code, body.message).toBe(code);
  expect(typeof body.message).toBe('string');
  if (typeof message === 'string') expect(body.message).toContain(message);
  else if (message !== undefined) expect(body.message).toMatch(message);
}

/** Asserts a 200 JSON response and returns its body. */
export function ok<T = Record<string, unknown>>(res: Res): T {
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json<T>();
}

export interface TestServer {
  readonly app: FastifyInstance;
  readonly store: TrackingStore;
  readonly config: ServerConfig;
  readonly dir: string;
  /** `/api/2.0/mlflow` */
  readonly api: ApiClient;
  /** `/ajax-api/2.0/mlflow` */
  readonly ajax: ApiClient;
  close(): Promise<void>;
}

/** Builds the app over a fresh SQLite database in a new temp dir. `env` feeds parseServerConfig. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = await makeTempDir('mltrack-api-');
  const config = parseServerConfig({ backendStoreUri: 'sqlite:///mlflow.db' }, env, dir);
  // The composition root's own wiring (main.ts): the relative URI resolves against the server directory.
  const store = await openStore(config.backendStoreUri, {
    defaultArtifactRoot: config.defaultArtifactRoot,
    cwd: config.cwd,
  });
  const app = await buildApp({ config, store }, { logger: false });
  await app.ready();
  return {
    app,
    store,
    config,
    dir,
    api: new ApiClient(app, '/api/2.0/mlflow'),
    ajax: new ApiClient(app, '/ajax-api/2.0/mlflow'),
    async close() {
      await app.close();
      await store.close();
      await removeDir(dir);
    },
  };
}

/**
 * One test server for the whole file: started before the first test, closed after the last. The returned object
 * forwards to it, so test bodies can refer to `srv.api`, `srv.store` ... directly.
 */
export function sharedTestServer(env: Record<string, string> = {}): TestServer {
  let current: TestServer | undefined;
  beforeAll(async () => {
    current = await startTestServer(env);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as TestServer, {
    get: (_target, key) => {
      if (current === undefined) throw new Error('the shared test server is not running');
      return Reflect.get(current, key);
    },
  });
}
