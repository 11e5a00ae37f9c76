import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../src/config/config.js';
import {
  A,
  buildTestApp,
  type Fixture,
  fixture,
  put as putVia,
  rawGet,
  storeWith,
} from '../artifacts/http-app.js';

let fx: Fixture;
let app: FastifyInstance;
let base: string;
let dest: string;

beforeAll(async () => {
  fx = await fixture('mltrack-api-art-');
  ({ app, base, dest } = fx);
});

afterAll(async () => {
  await fx.close();
});

const put = (url: string, body: string | Buffer, contentType?: string) => putVia(app, url, body, contentType);

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
    res = await app.inject({
      method: 'GET',
      url: '/ajax-api/2.0/mlflow-artifacts/artifacts?path=1/r1/artifacts/dir',
    });
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

    res = await app.inject({
      method: 'DELETE',
      url: `/ajax-api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/page.html`,
    });
    expect(res.json()).toEqual({});
    res = await app.inject({ method: 'GET', url: `${A}/1/r1/artifacts/page.html` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('streams uploads larger than the app body limit and leaves no temp files', async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const payload = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield chunk; // 3 MB against a 1 MB app body limit
      })(),
    );
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
    const res = await app.inject({
      method: 'GET',
      url: `${A}/1/r1/artifacts/${encodeURIComponent('ré sumé;"x".txt')}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain(
      "filename*=UTF-8''r%C3%A9%20sum%C3%A9%3B%22x%22.txt",
    );
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
      expect(res.json(), `${method} ${url}`).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Invalid path',
      });
    }
    expect(await readFile(path.join(base, 'canary.txt'), 'utf8')).toBe('canary');
    expect((await readdir(base)).sort()).toEqual(['canary.txt', 'mlartifacts']);
  });

  it('rejects raw dot segments that reach the server unnormalized (real socket)', async () => {
    // inject() normalizes `/../` and `/%2e%2e/` like a browser would; a raw client does not.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = new URL(address);
      for (const raw of [
        `${A}/../../canary.txt`,
        `${A}/%2e%2e/%2e%2e/canary.txt`,
        `${A}/a/..%2F..%2F..%2Fcanary.txt`,
      ]) {
        const { status, body } = await rawGet(Number(port), raw);
        expect(status, raw).toBe(400);
        expect(JSON.parse(body), raw).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'Invalid path',
        });
      }
    } finally {
      await app.server.close();
    }
  });

  it('never answers a client mistake with a 5xx', async () => {
    const urls = [
      `${A}/%zz`,
      `${A}/a%`,
      `${A}/${'a'.repeat(300)}`,
      `${A}/${'a/'.repeat(3000)}x`,
      `${A}/1/r1/artifacts`,
    ];
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
