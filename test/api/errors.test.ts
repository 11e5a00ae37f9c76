import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/routes/index.js';
import { createExperiment, createModel, createRun } from '../helpers/api-fixtures.js';
import { expectError, ok, queryString, type Res, startTestServer, type TestServer } from '../helpers/http.js';
import { snapshot, WriteTracker } from '../helpers/state.js';

let srv: TestServer;
let fx: { exp: string; run: string; model: string };
beforeAll(async () => {
  srv = await startTestServer();
  const exp = await createExperiment(srv.api, { tags: [{ key: 't', value: 'v' }] });
  const run = (await createRun(srv.api, { experiment_id: exp })).info.run_id;
  ok(
    await srv.api.post('/runs/log-batch', {
      run_id: run,
      metrics: [{ key: 'm', value: 1, timestamp: 1 }],
      params: [{ key: 'p', value: 'v' }],
      tags: [{ key: 't', value: 'v' }],
    }),
  );
  const model = (await createModel(srv.api, { experiment_id: exp, tags: [{ key: 't', value: 'v' }] })).info
    .model_id;
  fx = { exp, run, model };
});
afterAll(async () => {
  await srv.close();
});

const rawPost = (
  url: string,
  payload: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) => srv.api.send({ method: 'POST', url, payload, headers });

function expectErrorShape(res: Res): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body).sort()).toEqual(['error_code', 'message']);
}

describe('unknown routes', () => {
  it('answer 404 JSON ENDPOINT_NOT_FOUND (which the client needs for its fallbacks)', async () => {
    const cases: [string, string][] = [
      ['GET', '/api/2.0/mlflow/nope'],
      ['POST', '/ajax-api/2.0/mlflow/runs/nope'],
      ['GET', '/api/2.0/nope'],
      ['POST', '/api/3.0/mlflow/runs/create'],
      ['GET', '/api/2.0/mlflow/runs/create'],
      ['PUT', '/api/2.0/mlflow/runs/create'],
      ['DELETE', '/api/2.0/mlflow/experiments/get'],
      ['GET', '/nope'],
    ];
    for (const [method, url] of cases) {
      const res = await srv.api.send({ method: method as 'GET', url });
      expectError(res, 404, 'ENDPOINT_NOT_FOUND', `${method} ${url}`);
    }
  });
});

describe('request bodies and Content-Type', () => {
  const url = '/api/2.0/mlflow/experiments/create';

  it('POST without Content-Type is 400 INVALID_PARAMETER_VALUE; a wrong type is 400 too', async () => {
    expectError(
      await rawPost(url, '{"name":"x1"}', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      'Content-Type header is missing',
    );
    for (const ct of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'multipart/form-data',
    ]) {
      expectError(
        await rawPost(url, '{"name":"x2"}', { 'content-type': ct }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Content-Type',
      );
    }
    const names = (await snapshot(srv.store)) as { experiments: { name: string }[] };
    expect(names.experiments.map((e) => e.name)).not.toContain('x1');
    expect(names.experiments.map((e) => e.name)).not.toContain('x2');
  });

  it('accepts application/json with parameters and in any case', async () => {
    ok(await rawPost(url, '{"name":"ct-1"}', { 'content-type': 'application/json; charset=utf-8' }));
    ok(await rawPost(url, '{"name":"ct-2"}', { 'content-type': 'Application/JSON' }));
  });

  it('an empty body (or JSON null) is {}', async () => {
    expect(ok(await rawPost('/api/2.0/mlflow/runs/search', ''))).toEqual({ runs: [] });
    expect(ok(await rawPost('/api/2.0/mlflow/runs/search', 'null'))).toEqual({ runs: [] });
    expectError(
      await rawPost(url, ''),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'name'",
    );
  });

  it('a JSON string holding JSON (old clients) is decoded twice', async () => {
    const res = ok<{ experiment_id: string }>(
      await rawPost(url, JSON.stringify(JSON.stringify({ name: 'double-encoded' }))),
    );
    expect(typeof res.experiment_id).toBe('string');
  });

  it('malformed JSON, non-object JSON and invalid UTF-8 are 400 INVALID_PARAMETER_VALUE', async () => {
    const before = await snapshot(srv.store);
    for (const body of [
      '{bad',
      '{"name": "x",}',
      '[1,2]',
      '"just a string"',
      '42',
      'true',
      '{"name": "x"} trailing',
    ]) {
      expectError(await rawPost(url, body), 400, 'INVALID_PARAMETER_VALUE');
    }
    expectError(
      await rawPost(url, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(await snapshot(srv.store)).toEqual(before);
  });

  it('PATCH and DELETE are not Content-Type checked; DELETE bodies are read', async () => {
    const id = (await createModel(srv.api, { experiment_id: fx.exp })).info.model_id;
    ok(await srv.api.send({ method: 'DELETE', url: `/api/2.0/mlflow/logged-models/${id}`, payload: '{}' }));
    expectError(await srv.api.get(`/logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('a body over 64 MiB is a JSON 400, not a 5xx or a dropped connection', async () => {
    const res = await rawPost(url, Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
    expectError(res, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('a large valid body (4 MB of tags) is processed', async () => {
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(40000) }));
    ok(await srv.api.post('/runs/log-batch', { run_id: fx.run, tags }));
    const run = ok<{ run: { data: { tags: { key: string; value: string }[] } } }>(
      await srv.api.get('/runs/get', { run_id: fx.run }),
    );
    expect(run.run.data.tags.find((t) => t.key === 'k0')?.value).toHaveLength(8000);
  });

  it('a deeply nested JSON value is a 400, not a 5xx', async () => {
    // Bug: request-fields.ts badType() builds its message with JSON.stringify(value), which overflows the stack
    // on a 5000-deep array (a 10 KB body) -> RangeError -> 500 INTERNAL_ERROR.
    const deep = `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectError(await rawPost(url, deep), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('a malformed %-escape in the path is a JSON 400', async () => {
    expectErrorShape(await srv.api.send({ method: 'GET', url: '/api/2.0/mlflow/logged-models/%E0%A4%A' }));
    expectErrorShape(
      await srv.api.send({
        method: 'DELETE',
        url: '/api/2.0/mlflow/logged-models/m-1/tags/%ZZ',
        payload: '{}',
      }),
    );
  });

  it('errors carry exactly {error_code, message} and the security headers', async () => {
    const res = await srv.api.get('/runs/get', { run_id: 'nope' });
    expectErrorShape(res);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

/** Values that are wrong for (nearly) every field: each request must get a 4xx (and write nothing) or succeed. */
const POISON: readonly unknown[] = [
  null,
  true,
  -1,
  1.5,
  '',
  '%',
  ' ',
  '\u0000',
  'x'.repeat(300),
  '99999999999999999999999',
  '../../etc/passwd',
  {},
  { key: 'a', value: 'b' },
  [],
  [null],
  [{}],
  [[1]],
];

const FIELDS = [
  'experiment_id',
  'experiment_ids',
  'run_id',
  'run_uuid',
  'run_ids',
  'name',
  'new_name',
  'key',
  'value',
  'timestamp',
  'step',
  'metric_key',
  'max_results',
  'page_token',
  'filter',
  'order_by',
  'view_type',
  'run_view_type',
  'status',
  'end_time',
  'start_time',
  'run_name',
  'user_id',
  'tags',
  'params',
  'metrics',
  'datasets',
  'models',
  'model_json',
  'artifact_location',
  'start_step',
  'end_step',
  'model_id',
  'source_run_id',
  'model_type',
];

describe('no client mistake yields a 5xx, and a rejected request writes nothing', () => {
  // Every JSON route gets every poison value in every known field at once, then one field at a time next to
  // valid ids. A request may succeed (a number is a fine experiment name), but a 4xx must leave no trace.
  let fuzz: TestServer;
  let ids: { exp: string; run: string; model: string };
  beforeAll(async () => {
    fuzz = await startTestServer();
    const exp = await createExperiment(fuzz.api, { tags: [{ key: 't', value: 'v' }] });
    const run = (await createRun(fuzz.api, { experiment_id: exp })).info.run_id;
    ok(
      await fuzz.api.post('/runs/log-batch', {
        run_id: run,
        metrics: [{ key: 'm', value: 1, timestamp: 1 }],
        params: [{ key: 'p', value: 'v' }],
        tags: [{ key: 't', value: 'v' }],
      }),
    );
    const model = (await createModel(fuzz.api, { experiment_id: exp, tags: [{ key: 't', value: 'v' }] })).info
      .model_id;
    ids = { exp, run, model };
  });
  afterAll(async () => {
    await fuzz.close();
  });

  const routes = routeTable.map((r) => ({ ...r, label: `${r.method} ${r.path}` }));

  it.each(routes)('$label', async (route) => {
    const path = route.path.replace(':model_id', ids.model).replace(':tag_key', 't');
    const url = `${route.ajaxOnly ? '/ajax-api/2.0' : '/api/2.0'}${path}`;
    const valid = {
      experiment_id: ids.exp,
      experiment_ids: [ids.exp],
      run_id: ids.run,
      run_ids: [ids.run],
      key: 'k',
      metric_key: 'm',
      max_results: 10,
    };
    const bodies: unknown[] = [
      ...POISON.map((v) => Object.fromEntries(FIELDS.map((f) => [f, v]))),
      ...FIELDS.flatMap((f) => [{}, [[1]], '%'].map((v) => ({ ...valid, [f]: v }))),
    ];
    const writes = new WriteTracker(fuzz.store);
    for (const body of bodies) {
      const res =
        route.method === 'GET'
          ? await fuzz.api.sendUnchecked({
              method: 'GET',
              url: url + queryString(toQuery(body as Record<string, unknown>)),
            })
          : await fuzz.api.sendUnchecked({
              method: route.method,
              url,
              headers: { 'content-type': 'application/json' },
              payload: JSON.stringify(body),
            });
      const what = `${route.method} ${url} ${JSON.stringify(body).slice(0, 200)} -> ${res.status} ${res.text.slice(0, 200)}`;
      expect(res.status, what).toBeLessThan(500);
      const wrote = writes.changed();
      if (res.status >= 400) {
        expect(res.json<{ error_code?: string }>().error_code, what).toBeTypeOf('string');
        expect(wrote, `rejected request wrote: ${what}`).toBe(false);
      }
    }
  });
});

/** A JSON body as query parameters: scalars as text, arrays as repeated keys, objects as their JSON. */
function toQuery(body: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    else out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
