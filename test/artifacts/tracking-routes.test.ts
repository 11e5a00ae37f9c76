import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../src/config/config.js';
import { A, buildTestApp, type Fixture, fixture, MODEL, put as putVia, RUN, storeWith } from './http-app.js';

// In-process HTTP tests of the tracking server's own artifact routes (run list, get-artifact, upload-artifact,
// logged-model artifacts), kept beside test/api/artifacts.test.ts, which covers the artifact proxy.

let fx: Fixture;
let app: FastifyInstance;
let base: string;
let dest: string;

beforeAll(async () => {
  fx = await fixture('mltrack-track-art-');
  ({ app, base, dest } = fx);
});

afterAll(async () => {
  await fx.close();
});

const put = (url: string, body: string | Buffer, contentType?: string) => putVia(app, url, body, contentType);

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
    res = await app.inject({
      method: 'GET',
      url: '/ajax-api/2.0/mlflow/artifacts/list?run_uuid=r1&path=dir',
    });
    expect(res.json()).toEqual({
      root_uri: RUN,
      files: [{ path: 'dir/file.txt', is_dir: false, file_size: 5 }],
    });
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
    let res = await app.inject({
      method: 'POST',
      url,
      payload: 'from the ui',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(200);
    expect(await readFile(path.join(dest, '1/r1/artifacts/ui/notes.txt'), 'utf8')).toBe('from the ui');
    const tooBig = Buffer.alloc(10 * 1024 * 1024 + 1);
    res = await app.inject({
      method: 'POST',
      url,
      payload: tooBig,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Artifact size is too large. Max size is 10MB.',
    });
    res = await app.inject({ method: 'POST', url });
    expect(res.json().message).toBe('Request must specify data.');
    res = await app.inject({
      method: 'POST',
      url: '/ajax-api/2.0/mlflow/upload-artifact?path=x',
      payload: 'x',
    });
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
    let res = await app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/logged-models/m-1/artifacts/directories',
    });
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
    const config = parseServerConfig(
      { serveArtifacts: false, defaultArtifactRoot: mlruns, artifactsDestination: dest },
      {},
      base,
    );
    const localApp = await buildTestApp(
      config,
      storeWith({ r2: `file://${mlruns}/0/r2/artifacts`, out: `file://${base}` }),
    );
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
