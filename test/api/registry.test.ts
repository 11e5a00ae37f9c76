import { describe, expect, it } from 'vitest';
import { uniqueName, type WireKv } from '../helpers/api-fixtures.js';
import { expectError, ok, type Query, type Res, sharedTestServer } from '../helpers/http.js';

/** Registered models over HTTP (reference 1.4, 3.1, 4.4, 5.9): CRUD, tags, aliases, latest versions, search. */

const srv = sharedTestServer();

interface WireModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  source: string;
  status: string;
  description?: string;
  user_id?: string;
  run_id?: string;
  run_link?: string;
  status_message?: string;
  model_id?: string;
  tags?: WireKv[];
  aliases?: string[];
}

interface WireRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  user_id?: string;
  latest_versions?: WireModelVersion[];
  tags?: WireKv[];
  aliases?: { alias: string; version: string }[];
}

interface SearchBody {
  registered_models?: WireRegisteredModel[];
  next_page_token?: string;
}

const post = (path: string, body: unknown) => srv.api.post(path, body);

async function createRm(body: Record<string, unknown> = {}): Promise<WireRegisteredModel> {
  return ok<{ registered_model: WireRegisteredModel }>(
    await post('/registered-models/create', { name: uniqueName('rm'), ...body }),
  ).registered_model;
}

async function getRm(name: string): Promise<WireRegisteredModel> {
  return ok<{ registered_model: WireRegisteredModel }>(await srv.api.get('/registered-models/get', { name }))
    .registered_model;
}

async function createMv(name: string, body: Record<string, unknown> = {}): Promise<WireModelVersion> {
  return ok<{ model_version: WireModelVersion }>(
    await post('/model-versions/create', { name, source: `s3://bucket/${name}`, ...body }),
  ).model_version;
}

async function getMv(name: string, version: string): Promise<WireModelVersion> {
  return ok<{ model_version: WireModelVersion }>(await srv.api.get('/model-versions/get', { name, version }))
    .model_version;
}

const byAlias = (name: string, alias: string) => srv.api.get('/registered-models/alias', { name, alias });

async function search(q: Query): Promise<SearchBody> {
  return ok<SearchBody>(await srv.api.get('/registered-models/search', q));
}

const names = async (q: Query) => ((await search(q)).registered_models ?? []).map((m) => m.name);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bad = (res: Res, msg?: string) => expectError(res, 400, 'INVALID_PARAMETER_VALUE', msg);
const missing = (res: Res, msg?: string) => expectError(res, 404, 'RESOURCE_DOES_NOT_EXIST', msg);

describe('registered models: create / get / rename / update / delete', () => {
  it('create returns the model in wire form; get (also under /ajax-api) returns the same', async () => {
    const name = uniqueName('rm');
    const m = await createRm({ name, tags: [{ key: 'team', value: 'core' }], description: 'desc' });
    expect(m).toEqual({
      name,
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.creation_timestamp,
      description: 'desc',
      latest_versions: m.latest_versions,
      tags: [{ key: 'team', value: 'core' }],
      aliases: m.aliases,
    });
    expect(typeof m.creation_timestamp).toBe('number');
    expect(m.latest_versions ?? []).toEqual([]);
    expect(m.aliases ?? []).toEqual([]);
    expect(await getRm(name)).toEqual(m);
    expect(ok(await srv.ajax.get('/registered-models/get', { name }))).toEqual({ registered_model: m });

    const bare = await createRm();
    expect(bare).not.toHaveProperty('description');
    expect(bare).not.toHaveProperty('user_id');
    expect(bare.tags ?? []).toEqual([]);
  });

  it('rejects a missing or bad name, a duplicate, and unknown models', async () => {
    bad(await post('/registered-models/create', {}), "'name'");
    bad(await post('/registered-models/create', { name: '' }));
    bad(await post('/registered-models/create', { name: 'a/b' }));
    bad(await srv.api.get('/registered-models/get'), "'name'");
    const m = await createRm();
    expectError(
      await post('/registered-models/create', { name: m.name }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      `Registered Model (name=${m.name}) already exists.`,
    );
    const gone = uniqueName('missing');
    missing(
      await srv.api.get('/registered-models/get', { name: gone }),
      `Registered Model with name=${gone} not found`,
    );
    missing(await srv.api.patch('/registered-models/update', { name: gone }));
    missing(await srv.api.delete('/registered-models/delete', { name: gone }));
    missing(await post('/registered-models/rename', { name: gone, new_name: uniqueName() }));
    missing(await post('/registered-models/get-latest-versions', { name: gone }));
  });

  it('rename carries the versions along; a clash is RESOURCE_ALREADY_EXISTS', async () => {
    const m = await createRm();
    await createMv(m.name);
    await createMv(m.name);
    await sleep(2);
    const newName = uniqueName('renamed');
    const r = ok<{ registered_model: WireRegisteredModel }>(
      await post('/registered-models/rename', { name: m.name, new_name: newName }),
    ).registered_model;
    expect(r.name).toBe(newName);
    expect(r.last_updated_timestamp).toBeGreaterThan(m.last_updated_timestamp);
    expect((r.latest_versions ?? []).map((v) => `${v.name}/${v.version}`)).toEqual([`${newName}/2`]);
    expect((await getMv(newName, '1')).name).toBe(newName);
    missing(await srv.api.get('/registered-models/get', { name: m.name }));
    missing(await srv.api.get('/model-versions/get', { name: m.name, version: '1' }));

    const other = await createRm();
    expectError(
      await post('/registered-models/rename', { name: newName, new_name: other.name }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      `Registered Model (name=${other.name}) already exists.`,
    );
    bad(await post('/registered-models/rename', { name: newName }));
    expect((await getRm(newName)).latest_versions?.[0]?.version).toBe('2');
  });

  it('update sets the description and bumps last_updated_timestamp', async () => {
    const m = await createRm();
    await sleep(2);
    const u = ok<{ registered_model: WireRegisteredModel }>(
      await srv.api.patch('/registered-models/update', { name: m.name, description: 'new words' }),
    ).registered_model;
    expect(u.description).toBe('new words');
    expect(u.last_updated_timestamp).toBeGreaterThan(m.last_updated_timestamp);
    expect(await getRm(m.name)).toEqual(u);
  });

  it('delete is hard: the model, its versions, tags and aliases are gone; the name can be reused', async () => {
    const m = await createRm({ tags: [{ key: 'old', value: '1' }] });
    await createMv(m.name, { tags: [{ key: 'vt', value: 'x' }] });
    ok(await post('/registered-models/alias', { name: m.name, alias: 'champion', version: '1' }));
    expect(ok(await srv.api.delete('/registered-models/delete', { name: m.name }))).toEqual({});
    missing(await srv.api.get('/registered-models/get', { name: m.name }));
    missing(await byAlias(m.name, 'champion'));
    const versions = ok<{ model_versions?: unknown[] }>(
      await srv.api.get('/model-versions/search', { filter: `name = '${m.name}'` }),
    );
    expect(versions.model_versions ?? []).toEqual([]);

    const again = await createRm({ name: m.name });
    expect(again.tags ?? []).toEqual([]);
    expect(again.aliases ?? []).toEqual([]);
    const v1 = await createMv(m.name);
    expect(v1.version).toBe('1');
    expect(v1.tags ?? []).toEqual([]);
    bad(await byAlias(m.name, 'champion'));
  });
});

describe('registered models: tags', () => {
  it('set upserts, delete removes; deleting a missing tag is fine; bad keys are refused', async () => {
    const m = await createRm({ tags: [{ key: 'a', value: '1' }] });
    expect(ok(await post('/registered-models/set-tag', { name: m.name, key: 'a', value: '2' }))).toEqual({});
    ok(await post('/registered-models/set-tag', { name: m.name, key: 'b', value: 'x' }));
    expect(await getRm(m.name).then((r) => r.tags?.sort((x, y) => x.key.localeCompare(y.key)))).toEqual([
      { key: 'a', value: '2' },
      { key: 'b', value: 'x' },
    ]);
    expect(ok(await srv.api.delete('/registered-models/delete-tag', { name: m.name, key: 'a' }))).toEqual({});
    ok(await srv.api.delete('/registered-models/delete-tag', { name: m.name, key: 'never' }));
    expect((await getRm(m.name)).tags).toEqual([{ key: 'b', value: 'x' }]);
    bad(await post('/registered-models/set-tag', { name: m.name, value: 'v' }));
    bad(await post('/registered-models/set-tag', { name: m.name, key: '../x', value: 'v' }));
    missing(await post('/registered-models/set-tag', { name: uniqueName('missing'), key: 'k', value: 'v' }));
  });
});

describe('registered models: aliases and latest versions', () => {
  it('set, move, get and delete aliases; latest resolves the highest version', async () => {
    const m = await createRm();
    for (let i = 0; i < 3; i++) await createMv(m.name);
    expect(
      ok(await post('/registered-models/alias', { name: m.name, alias: 'champion', version: '1' })),
    ).toEqual({});
    const got = ok<{ model_version: WireModelVersion }>(await byAlias(m.name, 'champion')).model_version;
    expect(got).toMatchObject({ name: m.name, version: '1', aliases: ['champion'] });
    ok(await post('/registered-models/alias', { name: m.name, alias: 'champion', version: '2' }));
    expect((await getMv(m.name, '1')).aliases ?? []).toEqual([]);
    expect((await getMv(m.name, '2')).aliases).toEqual(['champion']);
    expect((await getRm(m.name)).aliases).toEqual([{ alias: 'champion', version: '2' }]);
    for (const latest of ['latest', 'Latest']) {
      expect(
        ok<{ model_version: WireModelVersion }>(await byAlias(m.name, latest)).model_version.version,
      ).toBe('3');
    }
    expect(ok(await srv.api.delete('/registered-models/alias', { name: m.name, alias: 'champion' }))).toEqual(
      {},
    );
    bad(await byAlias(m.name, 'champion'), 'Registered model alias champion not found.');
    expect((await getRm(m.name)).aliases ?? []).toEqual([]);
  });

  it('rejects reserved, malformed and dangling aliases', async () => {
    const m = await createRm();
    await createMv(m.name);
    const set = (alias: unknown, version: unknown = '1') =>
      post('/registered-models/alias', { name: m.name, alias, version });
    bad(await set('latest'), 'reserved');
    bad(await set('LaTeSt'), 'reserved');
    bad(await set('v1'), "Version alias name 'v1' is reserved.");
    bad(await set('V12'), 'reserved');
    bad(await set('has space'), 'Invalid alias name');
    bad(await set(''));
    bad(await set('ok', 'abc'), "Parameter 'version' must be an integer, got 'abc'.");
    missing(await set('ok', '7'));
    ok(await set('v1x'));
    ok(await set('latest_model'));
    bad(await byAlias(m.name, 'nope'), 'Registered model alias nope not found.');
    missing(await byAlias(uniqueName('missing'), 'a'));
  });

  it('get-latest-versions: one per stage without stages, only the asked stages with them (POST and GET)', async () => {
    const m = await createRm();
    for (let i = 0; i < 5; i++) await createMv(m.name);
    for (const [v, s] of [
      ['1', 'staging'],
      ['2', 'Staging'],
      ['3', 'PRODUCTION'],
      ['4', 'Archived'],
    ] as const) {
      ok(await post('/model-versions/transition-stage', { name: m.name, version: v, stage: s }));
    }
    const latest = async (res: ReturnType<typeof post>) =>
      (ok<{ model_versions?: WireModelVersion[] }>(await res).model_versions ?? [])
        .map((v) => `${v.version}:${v.current_stage}`)
        .sort();
    expect(await latest(post('/registered-models/get-latest-versions', { name: m.name }))).toEqual([
      '2:Staging',
      '3:Production',
      '4:Archived',
      '5:None',
    ]);
    expect(
      await latest(post('/registered-models/get-latest-versions', { name: m.name, stages: ['production'] })),
    ).toEqual(['3:Production']);
    expect(
      await latest(
        srv.api.get('/registered-models/get-latest-versions', { name: m.name, stages: ['Staging', 'None'] }),
      ),
    ).toEqual(['2:Staging', '5:None']);
    bad(
      await post('/registered-models/get-latest-versions', { name: m.name, stages: ['Live'] }),
      'Invalid Model Version stage: Live',
    );
    expect(((await getRm(m.name)).latest_versions ?? []).map((v) => v.version).sort()).toEqual([
      '2',
      '3',
      '4',
      '5',
    ]);
  });
});

describe('registered models: search', () => {
  it('filters on name =, LIKE, ILIKE, IN and tags; excludes prompts unless asked for', async () => {
    const p = uniqueName('srch').replace(/-/g, '_');
    const [a, b, c] = [`${p}_Alpha`, `${p}_alpha_2`, `${p}_beta`];
    await createRm({ name: a, tags: [{ key: 'team', value: 'core' }] });
    await createRm({ name: b, tags: [{ key: 'team', value: 'Core' }] });
    await createRm({ name: c });
    const prompt = `${p}_prompt`;
    await createRm({ name: prompt, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    const mine = `name LIKE '${p}%'`;
    expect(await names({ filter: mine })).toEqual([a, b, c]);
    expect(await names({ filter: `name = '${a}'` })).toEqual([a]);
    expect(await names({ filter: `name = '${a.toLowerCase()}'` })).toEqual([]);
    expect(await names({ filter: `name ILIKE '${p.toUpperCase()}_ALPHA%'` })).toEqual([a, b]);
    expect(await names({ filter: `name IN ('${c}', '${a}')` })).toEqual([a, c]);
    expect(await names({ filter: `${mine} AND tags.team = 'core'` })).toEqual([a]);
    expect(await names({ filter: `${mine} AND tag.team ILIKE 'CORE'` })).toEqual([a, b]);
    // The Python client appends this clause to every search_registered_models filter.
    const client = "tag.`mlflow.prompt.is_prompt` != 'true'";
    expect(await names({ filter: `${mine} AND ${client}` })).toEqual([a, b, c]);
    expect(await names({ filter: `name = '${c}' AND ${client}` })).toEqual([c]);
    const prompts = "tags.`mlflow.prompt.is_prompt` = 'true'";
    expect(await names({ filter: `${mine} AND ${prompts}` })).toEqual([prompt]);
    expect(await names({ filter: `name = '${prompt}'` })).toEqual([]);
  });

  it('orders by name (default) or timestamp, and pages with tokens (GET and POST)', async () => {
    const p = uniqueName('page').replace(/-/g, '_');
    const made: string[] = [];
    for (const n of ['c', 'a', 'd', 'b']) {
      made.push((await createRm({ name: `${p}_${n}` })).name);
      await sleep(2);
    }
    const filter = `name LIKE '${p}%'`;
    const sorted = [...made].sort();
    expect(await names({ filter })).toEqual(sorted);
    expect(await names({ filter, order_by: 'name DESC' })).toEqual([...sorted].reverse());
    expect(await names({ filter, order_by: 'timestamp DESC' })).toEqual([...made].reverse());
    expect(await names({ filter, order_by: ['last_updated_timestamp ASC'] })).toEqual(made);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = ok<SearchBody>(
        await post('/registered-models/search', {
          filter,
          max_results: 3,
          ...(token ? { page_token: token } : {}),
        }),
      );
      seen.push(...(body.registered_models ?? []).map((m) => m.name));
      token = body.next_page_token;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(seen).toEqual(sorted);
    expect(pages).toBe(2);
    expect((await search({ filter, max_results: 4 })).next_page_token).toBeUndefined();
  });

  it('rejects bad filters, order_by, max_results and page tokens', async () => {
    const refused: [Query, string?][] = [
      [{ filter: 'creation_timestamp > 1' }, 'Invalid attribute key'],
      [{ filter: "name = 'a' OR name = 'b'" }],
      [{ filter: 'name = a' }],
      [{ order_by: 'creation_timestamp' }, 'Invalid order by key'],
      [{ max_results: 0 }, 'max_results'],
      [{ max_results: 1001 }, 'at most 1000'],
      [{ page_token: 'not-a-token' }, 'Invalid page token'],
    ];
    for (const [q, msg] of refused) {
      expectError(await srv.api.get('/registered-models/search', q), 400, 'INVALID_PARAMETER_VALUE', msg);
    }
  });
});
