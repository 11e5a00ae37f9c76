import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExperiment, createModel, createRun, type WireLoggedModel } from '../helpers/api-fixtures.js';
import { expectError, ok, startTestServer, type TestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

let srv: TestServer;
let exp: string;
beforeAll(async () => {
  srv = await startTestServer();
  exp = await createExperiment(srv.api);
});
afterAll(async () => {
  await srv.close();
});

interface SearchBody {
  models?: WireLoggedModel[];
  next_page_token?: string;
}

const model = (id: string) => `/logged-models/${encodeURIComponent(id)}`;
const getModel = async (id: string) => ok<{ model: WireLoggedModel }>(await srv.api.get(model(id))).model;

describe('logged models: create / get / finalize / delete', () => {
  it('create returns {model} in wire form; get under /api and /ajax-api returns the same', async () => {
    const run = await createRun(srv.api, { experiment_id: exp });
    const m = await createModel(srv.api, {
      experiment_id: exp,
      name: 'my_model',
      model_type: 'sklearn',
      source_run_id: run.info.run_id,
      params: [{ key: 'alpha', value: '0.1' }],
      tags: [{ key: 'owner', value: 'me' }],
    });
    const id = m.info.model_id;
    expect(id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(m.info).toEqual({
      model_id: id,
      experiment_id: exp,
      name: 'my_model',
      creation_timestamp_ms: m.info.creation_timestamp_ms,
      last_updated_timestamp_ms: m.info.creation_timestamp_ms,
      artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
      status: 'LOGGED_MODEL_PENDING',
      model_type: 'sklearn',
      source_run_id: run.info.run_id,
      tags: [{ key: 'owner', value: 'me' }],
      registrations: [],
    });
    expect(typeof m.info.creation_timestamp_ms).toBe('number');
    expect(m.data).toEqual({ params: [{ key: 'alpha', value: '0.1' }], metrics: [] });
    expect(await getModel(id)).toEqual(m);
    expect(ok<{ model: WireLoggedModel }>(await srv.ajax.get(model(id))).model).toEqual(m);
  });

  it('rejects bad creates and writes nothing', async () => {
    const gone = await createExperiment(srv.api);
    ok(await srv.api.post('/experiments/delete', { experiment_id: gone }));
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [{}, 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_id'"],
      [{ experiment_id: '987654' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [{ experiment_id: 'abc' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [{ experiment_id: gone }, 400, 'INVALID_PARAMETER_VALUE'],
      ...['a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b"].map(
        (name): [Record<string, unknown>, number, string, string] => [
          { experiment_id: exp, name },
          400,
          'INVALID_PARAMETER_VALUE',
          'Invalid model name',
        ],
      ),
      [{ experiment_id: exp, tags: [{ key: 'a//b', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ experiment_id: exp, params: [{ key: '../p', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ experiment_id: exp, params: [{ value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ experiment_id: exp, params: 'x' }, 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [body, status, code, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(
          await srv.api.post('/logged-models', body),
          status,
          code as 'INVALID_PARAMETER_VALUE',
          message,
        );
      });
    }
  });

  it('PATCH finalizes with a status name or number (no Content-Type needed); status is required', async () => {
    const m = await createModel(srv.api, { experiment_id: exp });
    const id = m.info.model_id;
    const ready = ok<{ model: WireLoggedModel }>(
      await srv.api.patch(model(id), { model_id: id, status: 'LOGGED_MODEL_READY' }),
    ).model;
    expect(ready.info.status).toBe('LOGGED_MODEL_READY');
    const failed = ok<{ model: WireLoggedModel }>(
      await srv.api.send({
        method: 'PATCH',
        url: srv.api.url(model(id)),
        payload: JSON.stringify({ status: 3 }),
      }),
    ).model;
    expect(failed.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    await expectNoWrites(srv.store, async () => {
      expectError(await srv.api.patch(model(id), {}), 400, 'INVALID_PARAMETER_VALUE', "'status'");
      expectError(await srv.api.patch(model(id), { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await srv.api.patch(model(id), { status: 7 }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(
        await srv.api.patch(model('m-nope'), { status: 'LOGGED_MODEL_READY' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  it('DELETE (with a JSON body) soft-deletes: get, writes and a second delete are 404', async () => {
    const m = await createModel(srv.api, { experiment_id: exp, tags: [{ key: 't', value: '1' }] });
    const id = m.info.model_id;
    expect(ok(await srv.api.delete(model(id), { model_id: id }))).toEqual({});
    expectError(
      await srv.api.get(model(id)),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Logged model with ID '${id}' not found.`,
    );
    expectError(await srv.api.delete(model(id), { model_id: id }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await srv.api.patch(model(id), { status: 'LOGGED_MODEL_READY' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await srv.api.patch(`${model(id)}/tags`, { tags: [{ key: 'a', value: 'b' }] }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(await srv.api.delete(`${model(id)}/tags/t`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await srv.api.post(`${model(id)}/params`, { params: [{ key: 'a', value: 'b' }] }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

describe('logged models: tags and params', () => {
  it('PATCH tags upserts and returns {}; DELETE tags/<key> removes; a missing tag is 404', async () => {
    const m = await createModel(srv.api, { experiment_id: exp, tags: [{ key: 'a', value: '1' }] });
    const id = m.info.model_id;
    expect(
      ok(
        await srv.api.patch(`${model(id)}/tags`, {
          tags: [
            { key: 'a', value: '2' },
            { key: 'b.c d', value: '3' },
          ],
        }),
      ),
    ).toEqual({});
    expect((await getModel(id)).info.tags).toEqual(
      expect.arrayContaining([
        { key: 'a', value: '2' },
        { key: 'b.c d', value: '3' },
      ]),
    );
    expect(ok(await srv.api.delete(`${model(id)}/tags/${encodeURIComponent('b.c d')}`))).toEqual({});
    expect((await getModel(id)).info.tags).toEqual([{ key: 'a', value: '2' }]);
    await expectNoWrites(srv.store, async () => {
      expectError(await srv.api.delete(`${model(id)}/tags/nope`), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(
        await srv.api.patch(`${model(id)}/tags`, { tags: [{ key: '/abs', value: 'x' }] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await srv.api.patch(`${model(id)}/tags`, { tags: [{ key: 'k', value: 'v'.repeat(100001) }] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });
  });

  it('POST params adds params', async () => {
    const m = await createModel(srv.api, { experiment_id: exp, params: [{ key: 'p1', value: 'x' }] });
    const id = m.info.model_id;
    expect(
      ok(await srv.api.post(`${model(id)}/params`, { model_id: id, params: [{ key: 'p2', value: 'y' }] })),
    ).toEqual({});
    expect((await getModel(id)).data.params).toEqual(
      expect.arrayContaining([
        { key: 'p1', value: 'x' },
        { key: 'p2', value: 'y' },
      ]),
    );
    expectError(
      await srv.api.post(`${model(id)}/params`, { params: [{ key: 'a//b', value: 'y' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('metrics logged by a run with model_id appear on the model (NaN as "NaN")', async () => {
    const m = await createModel(srv.api, { experiment_id: exp });
    const run = await createRun(srv.api, { experiment_id: exp });
    ok(
      await srv.api.post('/runs/log-batch', {
        run_id: run.info.run_id,
        metrics: [
          {
            key: 'acc',
            value: 0.5,
            timestamp: 1,
            model_id: m.info.model_id,
            dataset_name: 'ds',
            dataset_digest: 'd',
          },
          { key: 'loss', value: 'NaN', timestamp: 2, model_id: m.info.model_id },
        ],
      }),
    );
    expect((await getModel(m.info.model_id)).data.metrics).toEqual([
      {
        key: 'acc',
        value: 0.5,
        timestamp: 1,
        step: 0,
        model_id: m.info.model_id,
        run_id: run.info.run_id,
        dataset_name: 'ds',
        dataset_digest: 'd',
      },
      {
        key: 'loss',
        value: 'NaN',
        timestamp: 2,
        step: 0,
        model_id: m.info.model_id,
        run_id: run.info.run_id,
      },
    ]);
  });
});

describe('logged models: search', () => {
  let sexp: string;
  let ids: string[];
  beforeAll(async () => {
    sexp = await createExperiment(srv.api);
    ids = [];
    for (const name of ['b_model', 'a_model', 'c_model', 'a_model']) {
      ids.push(
        (await createModel(srv.api, { experiment_id: sexp, name, tags: [{ key: 'n', value: name }] })).info
          .model_id,
      );
      await new Promise((r) => setTimeout(r, 2));
    }
  });

  const search = (body: Record<string, unknown>) =>
    srv.api.post('/logged-models/search', { experiment_ids: [sexp], ...body });
  const found = async (body: Record<string, unknown>) =>
    (ok<SearchBody>(await search(body)).models ?? []).map((m) => m.info.model_id);

  it('filters and orders (order_by objects, ascending by default)', async () => {
    const [b, a1, c, a2] = ids as [string, string, string, string];
    expect(await found({})).toEqual([a2, c, a1, b]);
    expect(await found({ filter: "name = 'a_model'" })).toEqual([a2, a1]);
    expect(await found({ filter: "tags.n LIKE 'c%'" })).toEqual([c]);
    expect(
      await found({
        order_by: [{ field_name: 'name' }, { field_name: 'creation_timestamp_ms', ascending: false }],
      }),
    ).toEqual([a2, a1, b, c]);
    expect(await found({ order_by: [{ field_name: 'creation_time', ascending: true }] })).toEqual([
      b,
      a1,
      c,
      a2,
    ]);
    const viaAjax = ok<SearchBody>(
      await srv.ajax.post('/logged-models/search', { experiment_ids: [sexp], filter: "name = 'c_model'" }),
    );
    expect(viaAjax.models?.map((m) => m.info.model_id)).toEqual([c]);
  });

  it('pages with tokens bound to the request; a token reused with another filter is 400', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = ok<SearchBody>(
        await search({
          max_results: 3,
          filter: "name LIKE '%model'",
          ...(token ? { page_token: token } : {}),
        }),
      );
      seen.push(...(res.models ?? []).map((m) => m.info.model_id));
      token = res.next_page_token;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(pages).toBe(2);
    expect([...seen].sort()).toEqual([...ids].sort());
    const first = ok<SearchBody>(await search({ max_results: 1 }));
    expect(first.next_page_token).toBeTruthy();
    expectError(
      await search({ max_results: 1, filter: "name = 'x'", page_token: first.next_page_token }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('rejects bad searches with 400', async () => {
    expectError(
      await srv.api.post('/logged-models/search', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'experiment_ids'",
    );
    const bad: Record<string, unknown>[] = [
      { filter: 'name = ' },
      { filter: "nope = 'x'" },
      { filter: "metrics.acc > 'x'" },
      { filter: "name = 'a' OR name = 'b'" },
      { order_by: ['name'] },
      { order_by: [{ ascending: true }] },
      { order_by: [{ field_name: 'nope' }] },
      { datasets: [{ dataset_digest: 'x' }] },
      { max_results: 0 },
      { max_results: 'x' },
      { page_token: 'bad token' },
      { experiment_ids: ['abc'] },
    ];
    for (const body of bad) expectError(await search(body), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('GET on /logged-models/search is not a search (it looks up model id "search")', async () => {
    expectError(await srv.api.get('/logged-models/search'), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('64 metric order_by terms give a result or a 400, not a 5xx', async () => {
    // Bug: sqlite-logged-models.ts search() adds one LEFT JOIN per metric order term with no cap; SQLite allows 64
    // tables per join -> 500.
    const order_by = Array.from({ length: 64 }, (_, i) => ({ field_name: `metrics.m${i}` }));
    expect([200, 400]).toContain((await search({ order_by })).status);
  });

  it('32767 experiment_ids give a result or a 400, not a 5xx', async () => {
    // Bug: one bind variable per experiment id; SQLite's limit is 32766 -> 500.
    const res = await srv.api.post('/logged-models/search', {
      experiment_ids: Array.from({ length: 32767 }, () => sexp),
    });
    expect([200, 400]).toContain(res.status);
  });

  it('17000 datasets give a result or a 400, not a 5xx', async () => {
    // Bug: each dataset adds two bind variables (to the EXISTS clause), so 17000 pass SQLite's 32766 limit -> 500.
    const datasets = Array.from({ length: 17000 }, (_, i) => ({
      dataset_name: `d${i}`,
      dataset_digest: 'x',
    }));
    expect([200, 400]).toContain((await search({ datasets })).status);
  });
});

describe('logged models: names', () => {
  it('a model without a name gets a generated one', async () => {
    const m = await createModel(srv.api, { experiment_id: exp, name: '' });
    expect(m.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
  });
});
