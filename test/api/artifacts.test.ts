import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, httpStatus } from '../../src/api/errors.js';
import type { AppDeps } from '../../src/api/route.js';
import { registerArtifactRoutes } from '../../src/api/routes/artifacts.js';
import { parseServerConfig, type ServerConfig } from '../../src/config/config.js';
import { MlflowError } from '../../src/domain/errors.js';
import type { TrackingStore } from '../../src/store/types.js';

let base: string;
let dest: string;
let app: FastifyInstance;

/** Only the two store methods the artifact routes use; the real store is built elsewhere. */
function storeWith(runs: Record<string, string>, models: Record<string, string> = {}): TrackingStore {
  return {
    async getRun(runId: string) {
      const uri = runs[runId];
      if (uri === undefined) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
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
async function buildTestApp(config: ServerConfig, store: TrackingStore): Promise<FastifyInstance> {
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

const RUN = 'mlflow-artifacts:/1/r1/artifacts';
const MODEL = 'mlflow-artifacts:/1/models/m-1/artifacts';

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'mltrack-api-art-')));
  dest = path.join(base, 'mlartifacts');
  await writeFile(path.join(base, 'canary.txt'), 'canary');
  const config = parseServerConfig({ artifactsDestination: dest }, {}, base);
  app = await buildTestApp(
    config,
    storeWith(
      { r1: RUN, s3run: 's3://bucket/1/r/artifacts', evil: 'mlflow-artifacts:/../../', abs: '/etc' },
      { 'm-1': MODEL },
    ),
  );
});

afterAll(async () => {
  await app.close();
  await rm(base, { recursive: true, force: true });
});

const A = '/api/2.0/mlflow-artifacts/artifacts';

function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function put(url: string, body: string | Buffer, contentType?: string) {
  return app.inject({
    method: 'PUT',
    url,
    payload: body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
}

describe('artifact proxy', () => {
  it('uploads, lists, downloads and deletes', async () => {
    let res = await put(`${A}/1/r1/artifacts/dir/file.txt`, 'hello', 'text/plain');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    res = await put(`${A}/1/r1/artifacts/model.bin`, Buffer.from([0, 1, 2, 3]));
    expect(res.statusCode).toBe(200);
    res = await put(`${A}/1/r1/artifacts/page.html`, '<script>alert(1)</script>', 'text/html');
    expect(res.statusCode).toBe(200);
    expect(await readFile(path.join(dest, '1/r1/artifacts/dir/file.txt'), 'utf8')).toBe('hello');

    res = await app.inject({ method: 'GET', url: `${A}?path=1/r1/artifacts` });
    expect(res.json()).toEqual({
      files: [
        { path: 'dir', is_dir: true },
        { path: 'model.bin', is_dir: false, file_size: 4 },
        { path: 'page.html', is_dir: false, file_size: 25 },
      ],
    });
    res = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow-artifacts/artifacts?path=1/r1/artifacts/dir' });
    expect(res.json()).toEqual({ files: [{ path: 'file.txt', is_dir: false, file_size: 5 }] });
    for (const p of ['1/r1/artifacts/nope', '1/r1/artifacts/model.bin']) {
      res = await app.inject({ method: 'GET', url: `${A}?path=${p}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
    }

    res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/dir/file.txt` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('hello');
    expect(res.headers['content-disposition']).toBe('attachment; filename=file.txt');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['content-length']).toBe('5');
    res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/model.bin` });
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.rawPayload).toEqual(Buffer.from([0, 1, 2, 3]));
    res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/page.html` });
    expect(res.headers['content-type']).not.toMatch(/html/);
    expect(res.headers['content-security-policy']).toContain('sandbox');

    res = await app.inject({ method: 'DELETE', url: `/ajax-api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/page.html` });
    expect(res.json()).toEqual({});
    res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/page.html` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('streams uploads larger than the app body limit and leaves no temp files', async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const payload = Readable.from((function* () {
      for (let i = 0; i < 12; i++) yield chunk; // 3 MB against a 1 MB app body limit
    })());
    const res = await app.inject({
      method: 'PUT',
      url: `${A}/1/r1/artifacts/big/data.bin`,
      payload,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(await readdir(path.join(dest, '1/r1/artifacts/big'))).toEqual(['data.bin']);
    const got = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/big/data.bin` });
    expect(got.rawPayload.length).toBe(12 * chunk.length);
  });

  it('encodes awkward file names in Content-Disposition', async () => {
    await put(`${A}/1/r1/artifacts/${encodeURIComponent('ré sumé;"x".txt')}`, 'x');
    const res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/${encodeURIComponent('ré sumé;"x".txt')}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''r%C3%A9%20sum%C3%A9%3B%22x%22.txt");
  });

  it('rejects traversal in every form with 400 Invalid path and touches nothing outside', async () => {
    const hostile = [
      ['GET', `${A}/..%2f..%2fcanary.txt`],
      ['GET', `${A}/%252e%252e%252f%252e%252e%252fcanary.txt`],
      ['GET', `${A}/..%5c..%5ccanary.txt`],
      ['GET', `${A}/%2fetc%2fpasswd`],
      ['GET', `${A}?path=..%2F..`],
      ['GET', `${A}?path=/etc`],
      ['PUT', `${A}/..%2Fcanary.txt`],
      ['PUT', `${A}/a/..%2F..%2F..%2Fcanary.txt`],
      ['PUT', `${A}/x%00y`],
      ['DELETE', `${A}/..%2F`],
      ['DELETE', `${A}/%2e`],
      ['DELETE', `${A}/`],
      ['POST', '/api/2.0/mlflow-artifacts/mpu/create/..%2F..%2Fx'],
    ] as const;
    for (const [method, url] of hostile) {
      const res = await app.inject({ method, url, payload: method === 'PUT' ? 'evil' : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.json(), `${method} ${url}`).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
    }
    expect(await readFile(path.join(base, 'canary.txt'), 'utf8')).toBe('canary');
    expect((await readdir(base)).sort()).toEqual(['canary.txt', 'mlartifacts']);
  });

  it('rejects raw dot segments that reach the server unnormalized (real socket)', async () => {
    // inject() normalizes `/../` and `/%2e%2e/` like a browser would; a raw client does not.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = new URL(address);
      for (const raw of [`${A}/../../canary.txt`, `${A}/%2e%2e/%2e%2e/canary.txt`, `${A}/a/..%2F..%2F..%2Fcanary.txt`]) {
        const { status, body } = await rawGet(Number(port), raw);
        expect(status, raw).toBe(400);
        expect(JSON.parse(body), raw).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
      }
    } finally {
      await app.server.close();
    }
  });

  it('never answers a client mistake with a 5xx', async () => {
    const urls = [`${A}/%zz`, `${A}/a%`, `${A}/${'a'.repeat(300)}`, `${A}/${'a/'.repeat(3000)}x`, `${A}/1/r1/artifacts`];
    for (const url of urls) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await app.inject({ method, url, payload: method === 'PUT' ? 'x' : undefined });
        expect(res.statusCode, `${method} ${url}`).toBeLessThan(500);
      }
    }
  });

  it('answers 501 for multipart uploads so the client falls back to PUT', async () => {
    for (const op of ['create', 'complete', 'abort']) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/2.0/mlflow-artifacts/mpu/${op}/1/r1/artifacts/big.bin`,
        payload: { path: 'big.bin', num_parts: 3 },
      });
      expect(res.statusCode).toBe(501);
      expect(res.json()).toEqual({
        error_code: 'NOT_IMPLEMENTED',
        message: 'Multipart upload is not supported for the current artifact repository',
      });
    }
  });

  it('answers 503 text for every proxy route with --no-serve-artifacts', async () => {
    const config = parseServerConfig({ artifactsDestination: dest, serveArtifacts: false }, {}, base);
    const off = await buildTestApp(config, storeWith({}));
    try {
      const res = await off.inject({ method: 'GET', url: `${A}/1/r1/artifacts/dir/file.txt` });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe(
        'Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server ' +
          'running with `--no-serve-artifacts`. To enable artifacts server functionality, run `mlflow server` ' +
          'with `--serve-artifacts`',
      );
      for (const [method, url] of [
        ['GET', A],
        ['PUT', `${A}/x`],
        ['DELETE', `${A}/x`],
        ['POST', '/ajax-api/2.0/mlflow-artifacts/mpu/create/x'],
      ] as const) {
        expect((await off.inject({ method, url })).statusCode).toBe(503);
      }
    } finally {
      await off.close();
    }
  });
});

describe('tracking-side artifact routes', () => {
  beforeAll(async () => {
    await put(`${A}/1/r1/artifacts/top.txt`, 'top');
    await put(`${A}/1/r1/artifacts/dir/file.txt`, 'hello');
    await put(`${A}/1/models/m-1/artifacts/MLmodel`, 'flavors: {}');
    await put(`${A}/1/models/m-1/artifacts/data/weights.bin`, 'w');
  });

  it('lists a run with run-relative paths', async () => {
    let res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list?run_id=r1' });
    expect(res.statusCode).toBe(200);
    const top = res.json();
    expect(top.root_uri).toBe(RUN);
    expect(top.files).toContainEqual({ path: 'dir', is_dir: true });
    expect(top.files).toContainEqual({ path: 'top.txt', is_dir: false, file_size: 3 });
    res = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow/artifacts/list?run_uuid=r1&path=dir' });
    expect(res.json()).toEqual({ root_uri: RUN, files: [{ path: 'dir/file.txt', is_dir: false, file_size: 5 }] });
    res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list?run_id=r1&path=missing' });
    expect(res.json()).toEqual({ root_uri: RUN });
  });

  it('validates list requests and run locations', async () => {
    const cases: [string, number, string][] = [
      ['/api/2.0/mlflow/artifacts/list', 400, 'INVALID_PARAMETER_VALUE'],
      ['/api/2.0/mlflow/artifacts/list?run_id=nope', 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['/api/2.0/mlflow/artifacts/list?run_id=r1&path=..%2F..', 400, 'INVALID_PARAMETER_VALUE'],
      ['/api/2.0/mlflow/artifacts/list?run_id=r1&path=%252e%252e', 400, 'INVALID_PARAMETER_VALUE'],
      ['/api/2.0/mlflow/artifacts/list?run_id=s3run', 400, 'INVALID_PARAMETER_VALUE'],
      ['/api/2.0/mlflow/artifacts/list?run_id=evil', 400, 'INVALID_PARAMETER_VALUE'],
      ['/api/2.0/mlflow/artifacts/list?run_id=abs', 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [url, status, code] of cases) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.json().error_code, url).toBe(code);
    }
    const s3 = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list?run_id=s3run' });
    expect(s3.json().message).toMatch(/not supported by this server yet/);
  });

  it('serves /get-artifact as an attachment', async () => {
    let res = await app.inject({ method: 'GET', url: '/get-artifact?run_uuid=r1&path=dir/file.txt' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('hello');
    expect(res.headers['content-disposition']).toBe('attachment; filename=file.txt');
    res = await app.inject({ method: 'GET', url: '/get-artifact?run_id=r1' });
    expect(res.statusCode).toBe(400);
    res = await app.inject({ method: 'GET', url: '/get-artifact?run_id=r1&path=nope.txt' });
    expect(res.statusCode).toBe(404);
    res = await app.inject({ method: 'GET', url: '/get-artifact?run_id=r1&path=../../../canary.txt' });
    expect(res.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
  });

  it('accepts UI uploads up to 10 MB', async () => {
    const url = '/ajax-api/2.0/mlflow/upload-artifact?run_uuid=r1&path=ui/notes.txt';
    let res = await app.inject({ method: 'POST', url, payload: 'from the ui', headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBe(200);
    expect(await readFile(path.join(dest, '1/r1/artifacts/ui/notes.txt'), 'utf8')).toBe('from the ui');
    const tooBig = Buffer.alloc(10 * 1024 * 1024 + 1);
    res = await app.inject({ method: 'POST', url, payload: tooBig, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Artifact size is too large. Max size is 10MB.',
    });
    res = await app.inject({ method: 'POST', url });
    expect(res.json().message).toBe('Request must specify data.');
    res = await app.inject({ method: 'POST', url: '/ajax-api/2.0/mlflow/upload-artifact?path=x', payload: 'x' });
    expect(res.json().message).toBe('Request must specify run_uuid.');
    res = await app.inject({
      method: 'POST',
      url: '/ajax-api/2.0/mlflow/upload-artifact?run_uuid=r1&path=..%2F..%2F..%2Fcanary.txt',
      payload: 'evil',
    });
    expect(res.statusCode).toBe(400);
    expect(await readFile(path.join(base, 'canary.txt'), 'utf8')).toBe('canary');
  });

  it('lists and serves logged-model artifacts', async () => {
    let res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/logged-models/m-1/artifacts/directories' });
    expect(res.json()).toEqual({
      root_uri: MODEL,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 11 },
        { path: 'data', is_dir: true },
      ],
    });
    res = await app.inject({
      method: 'GET',
      url: '/ajax-api/2.0/mlflow/logged-models/m-1/artifacts/directories?artifact_directory_path=data',
    });
    expect(res.json().files).toEqual([{ path: 'data/weights.bin', is_dir: false, file_size: 1 }]);
    res = await app.inject({
      method: 'GET',
      url: '/ajax-api/2.0/mlflow/logged-models/m-1/artifacts/files?artifact_file_path=MLmodel',
    });
    expect(res.body).toBe('flavors: {}');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    res = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow/logged-models/m-1/artifacts/files' });
    expect(res.json().error_code).toBe('BAD_REQUEST');
    res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/logged-models/m-9/artifacts/directories' });
    expect(res.statusCode).toBe(404);
  });

  it('reads local artifact locations under the server root', async () => {
    const mlruns = path.join(base, 'mlruns');
    await mkdir(path.join(mlruns, '0/r2/artifacts'), { recursive: true });
    await writeFile(path.join(mlruns, '0/r2/artifacts/local.txt'), 'local');
    const config = parseServerConfig({ serveArtifacts: false, defaultArtifactRoot: mlruns, artifactsDestination: dest }, {}, base);
    const localApp = await buildTestApp(config, storeWith({ r2: `file://${mlruns}/0/r2/artifacts`, out: `file://${base}` }));
    try {
      let res = await localApp.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list?run_id=r2' });
      expect(res.json().files).toEqual([{ path: 'local.txt', is_dir: false, file_size: 5 }]);
      res = await localApp.inject({ method: 'GET', url: '/get-artifact?run_id=r2&path=local.txt' });
      expect(res.body).toBe('local');
      res = await localApp.inject({ method: 'GET', url: '/get-artifact?run_id=out&path=canary.txt' });
      expect(res.statusCode).toBe(400);
    } finally {
      await localApp.close();
      await rm(mlruns, { recursive: true, force: true });
    }
  });
});
