import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createExperiment,
  createModel,
  createRun,
  uniqueName,
  type WireLoggedModel,
} from '../helpers/api-fixtures.js';
import { expectError, ok, type Query, type Res, sharedTestServer } from '../helpers/http.js';

/** Model versions over HTTP (reference 1.4, 3.6, 4.5, 5.9): lifecycle, stages, sources, download URIs, search. */

const srv = sharedTestServer();

interface WireModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  source: string;
  description?: string;
  run_id?: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

const post = (path: string, body: unknown) => srv.api.post(path, body);

async function newModel(tags: { key: string; value: string }[] = []): Promise<string> {
  const name = uniqueName('mv');
  ok(await post('/registered-models/create', { name, tags }));
  return name;
}

const create = (name: string, body: Record<string, unknown> = {}) =>
  post('/model-versions/create', { name, source: `s3://bucket/${name}`, ...body });

async function createMv(name: string, body: Record<string, unknown> = {}): Promise<WireModelVersion> {
  return ok<{ model_version: WireModelVersion }>(await create(name, body)).model_version;
}

const get = (name: string, version: string) => srv.api.get('/model-versions/get', { name, version });

async function getMv(name: string, version: string): Promise<WireModelVersion> {
  return ok<{ model_version: WireModelVersion }>(await get(name, version)).model_version;
}

async function downloadUri(name: string, version: string): Promise<string> {
  return ok<{ artifact_uri: string }>(
    await srv.api.get('/model-versions/get-download-uri', { name, version }),
  ).artifact_uri;
}

async function keys(q: Query): Promise<string[]> {
  const body = ok<{ model_versions?: WireModelVersion[] }>(await srv.api.get('/model-versions/search', q));
  return (body.model_versions ?? []).map((v) => `${v.name}/${v.version}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bad = (res: Res, msg?: string) => expectError(res, 400, 'INVALID_PARAMETER_VALUE', msg);
const missing = (res: Res, msg?: string) => expectError(res, 404, 'RESOURCE_DOES_NOT_EXIST', msg);
const BAD_SOURCE = 'Invalid model version source';

describe('model versions: create / get / update / delete', () => {
  it('create numbers versions 1, 2, ... (strings), READY, and bumps the model', async () => {
    const name = await newModel();
    const before = ok<{ registered_model: { last_updated_timestamp: number } }>(
      await srv.api.get('/registered-models/get', { name }),
    ).registered_model;
    await sleep(2);
    const v1 = await createMv(name, {
      tags: [{ key: 'k', value: 'v' }],
      description: 'd',
      run_link: 'http://x/r',
    });
    expect(v1).toEqual({
      name,
      version: '1',
      creation_timestamp: v1.creation_timestamp,
      last_updated_timestamp: v1.creation_timestamp,
      current_stage: 'None',
      description: 'd',
      source: `s3://bucket/${name}`,
      status: 'READY',
      run_link: 'http://x/r',
      tags: [{ key: 'k', value: 'v' }],
      aliases: v1.aliases,
    });
    expect(v1.aliases ?? []).toEqual([]);
    expect(await getMv(name, '1')).toEqual(v1);
    expect(ok(await srv.ajax.get('/model-versions/get', { name, version: '1' }))).toEqual({
      model_version: v1,
    });
    const after = ok<{ registered_model: { last_updated_timestamp: number; latest_versions: unknown[] } }>(
      await srv.api.get('/registered-models/get', { name }),
    ).registered_model;
    expect(after.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp);
    expect(after.latest_versions).toEqual([v1]);

    const v2 = await createMv(name);
    expect(v2.version).toBe('2');
    for (const field of ['description', 'run_id', 'run_link', 'user_id', 'status_message', 'model_id']) {
      expect(v2).not.toHaveProperty(field);
    }
    expect(v2.tags ?? []).toEqual([]);
  });

  it('errors: missing fields, a non-integer version, unknown models and versions', async () => {
    const name = await newModel();
    await createMv(name);
    bad(await post('/model-versions/create', { source: 's3://b/x' }), "'name'");
    bad(await post('/model-versions/create', { name }), "'source'");
    bad(await get(name, 'abc'), "Parameter 'version' must be an integer, got 'abc'.");
    bad(await srv.api.get('/model-versions/get', { name }), "'version'");
    bad(await srv.api.delete('/model-versions/delete', { name, version: 'x1' }), "got 'x1'");
    bad(await post('/model-versions/transition-stage', { name, version: '1', stage: 'Live' }), 'Live');
    missing(await get(name, '9'), `Model Version (name=${name}, version=9) not found`);
    for (const res of [
      await create(uniqueName('missing')),
      await get(uniqueName('missing'), '1'),
      await srv.api.patch('/model-versions/update', { name, version: '9' }),
      await srv.api.delete('/model-versions/delete', { name, version: '9' }),
      await srv.api.get('/model-versions/get-download-uri', { name, version: '9' }),
      await post('/model-versions/set-tag', { name, version: '9', key: 'k', value: 'v' }),
    ]) {
      missing(res);
    }
  });

  it('update sets the description; tags set and delete', async () => {
    const name = await newModel();
    const v = await createMv(name);
    await sleep(2);
    const u = ok<{ model_version: WireModelVersion }>(
      await srv.api.patch('/model-versions/update', { name, version: '1', description: 'better' }),
    ).model_version;
    expect(u.description).toBe('better');
    expect(u.last_updated_timestamp).toBeGreaterThan(v.last_updated_timestamp);
    for (const value of ['1', '2'])
      ok(await post('/model-versions/set-tag', { name, version: '1', key: 'a', value }));
    expect((await getMv(name, '1')).tags).toEqual([{ key: 'a', value: '2' }]);
    expect(ok(await srv.api.delete('/model-versions/delete-tag', { name, version: '1', key: 'a' }))).toEqual(
      {},
    );
    expect((await getMv(name, '1')).tags ?? []).toEqual([]);
  });

  it('delete is soft: hidden, number never reused, aliases removed, tags kept', async () => {
    const name = await newModel();
    await createMv(name);
    await createMv(name, { tags: [{ key: 'keep', value: 'me' }] });
    ok(await post('/registered-models/alias', { name, alias: 'champion', version: '2' }));
    expect(ok(await srv.api.delete('/model-versions/delete', { name, version: '2' }))).toEqual({});
    missing(await get(name, '2'));
    expect(await keys({ filter: `name = '${name}'` })).toEqual([`${name}/1`]);
    bad(await srv.api.get('/registered-models/alias', { name, alias: 'champion' }));
    expect(ok(await srv.api.get('/registered-models/alias', { name, alias: 'latest' }))).toMatchObject({
      model_version: { version: '1' },
    });
    expect((await createMv(name)).version).toBe('3');
    // Not visible through the API: read the SQLite file behind the test server (read-only).
    const db = new DatabaseSync(path.join(srv.dir, 'mlflow.db'), { readOnly: true });
    const sql = `SELECT t.key, t.value FROM model_version_tags t JOIN registered_models m USING (model_pk)
      WHERE m.name = ? AND t.version = 2`;
    const kept = db.prepare(sql).all(name);
    db.close();
    expect(kept.map((t) => ({ ...t }))).toEqual([{ key: 'keep', value: 'me' }]);
  });

  it('transition-stage: any case of the stage; archive_existing_versions only for Staging/Production', async () => {
    const name = await newModel();
    for (let i = 0; i < 3; i++) await createMv(name);
    const transition = (version: string, stage: string, archive_existing_versions?: boolean) =>
      post('/model-versions/transition-stage', { name, version, stage, archive_existing_versions });
    const moved = ok(await transition('1', 'production'));
    expect(moved).toMatchObject({ model_version: { version: '1', current_stage: 'Production' } });
    ok(await transition('2', 'Production', false));
    ok(await transition('3', 'Production', true));
    const stages = async () =>
      Promise.all(['1', '2', '3'].map(async (v) => (await getMv(name, v)).current_stage));
    expect(await stages()).toEqual(['Archived', 'Archived', 'Production']);
    for (const stage of ['None', 'archived']) {
      bad(await transition('1', stage, true), 'Valid stages are Staging, Production');
    }
    expect(await stages()).toEqual(['Archived', 'Archived', 'Production']);
  });
});

describe('model versions: sources and download URIs', () => {
  it('get-download-uri is the source for a plain version', async () => {
    const name = await newModel();
    await createMv(name, { source: 's3://bucket/some/model' });
    expect(await downloadUri(name, '1')).toBe('s3://bucket/some/model');
  });

  it('models:/<model_id> resolves to the logged model (artifacts, source run) and tags it', async () => {
    const exp = await createExperiment(srv.api);
    const run = await createRun(srv.api, { experiment_id: exp });
    const lm = await createModel(srv.api, { experiment_id: exp, name: 'lm', source_run_id: run.info.run_id });
    const id = lm.info.model_id;
    const name = await newModel();
    const v = await createMv(name, { source: `models:/${id}`, model_id: id });
    expect(v).toMatchObject({ version: '1', source: `models:/${id}`, run_id: run.info.run_id, model_id: id });
    expect(await downloadUri(name, '1')).toBe(lm.info.artifact_uri);
    const other = await createRun(srv.api, { experiment_id: exp });
    expect((await createMv(name, { source: `models:/${id}`, run_id: other.info.run_id })).run_id).toBe(
      other.info.run_id,
    );

    const tagged = ok<{ model: WireLoggedModel }>(await srv.api.get(`/logged-models/${id}`)).model;
    const tag = tagged.info.tags?.find((t) => t.key === 'mlflow.modelVersions')?.value;
    // MLflow's server writes the version as a number (its client later adds a string-version entry of its own).
    expect(JSON.parse(tag ?? 'null')).toEqual([
      { name, version: 1 },
      { name, version: 2 },
    ]);

    bad(await create(name, { source: `models:/${id}`, model_id: `m-${'0'.repeat(32)}` }), BAD_SOURCE);
    const unknown = await create(name, { source: `models:/m-${'f'.repeat(32)}` });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
  });

  it('models:/<name>/<version> resolves to that version’s download URI', async () => {
    const base = await newModel();
    await createMv(base, { source: 's3://bucket/base/1' });
    const name = await newModel();
    await createMv(name, { source: `models:/${base}/1` });
    expect(await downloadUri(name, '1')).toBe('s3://bucket/base/1');
    bad(await create(name, { source: `models:/${base}@champion` }));
  });

  it('a local source must lie inside the run’s local artifact directory', async () => {
    const root = path.join(srv.dir, 'local-artifacts');
    const exp = await createExperiment(srv.api, { artifact_location: root });
    const run = await createRun(srv.api, { experiment_id: exp });
    const artifacts = run.info.artifact_uri;
    expect(artifacts).toBe(path.join(root, run.info.run_id, 'artifacts'));
    const name = await newModel();
    const run_id = run.info.run_id;
    ok(await create(name, { source: path.join(artifacts, 'model'), run_id }));
    ok(await create(name, { source: pathToFileURL(path.join(artifacts, 'model')).href, run_id }));
    const refused: Record<string, unknown>[] = [
      { source: path.join(artifacts, 'model') },
      { source: '/etc/passwd', run_id },
      { source: `${artifacts}/../../other/model`, run_id },
      { source: 'relative/model', run_id },
      { source: path.join(artifacts, 'model'), run_id: (await createRun(srv.api)).info.run_id },
    ];
    for (const body of refused) {
      bad(await create(name, body), BAD_SOURCE);
    }
    // With model_id, the logged model's artifact directory is the one that counts.
    const lm = await createModel(srv.api, { experiment_id: exp, source_run_id: run_id });
    const model_id = lm.info.model_id;
    expect(lm.info.artifact_uri).toBe(path.join(root, 'models', model_id, 'artifacts'));
    ok(await create(name, { source: path.join(lm.info.artifact_uri, 'model'), model_id }));
    bad(await create(name, { source: path.join(artifacts, 'model'), model_id }), BAD_SOURCE);
  });

  // fileURLToPath throws on a file: URI with a remote host or a bad escape: that must be a 400, never a 500.
  it('file: sources with a remote host or a bad escape are a 400, not a 5xx', async () => {
    const exp = await createExperiment(srv.api, {
      artifact_location: path.join(srv.dir, 'local-artifacts-2'),
    });
    const run_id = (await createRun(srv.api, { experiment_id: exp })).info.run_id;
    const name = await newModel();
    for (const source of ['file://evil.example.com/etc/passwd', 'file:%zz']) {
      bad(await create(name, { source, run_id }), BAD_SOURCE);
    }
  });

  it('non-local sources must not contain .. segments (decoded repeatedly)', async () => {
    const name = await newModel();
    for (const source of [
      's3://bucket/a/b',
      'mlflow-artifacts:/1/models/m',
      'http://host/a/b',
      'runs:/abc/model',
    ]) {
      ok(await create(name, { source }));
    }
    for (const source of [
      'mlflow-artifacts:/1/../../etc',
      'http://host/a/../b',
      'https://host/a/%2E%2E/b',
      'http://host/a/%252e%252e/b',
      's3://bucket/a/b%00',
    ]) {
      bad(await create(name, { source }), BAD_SOURCE);
    }
  });

  // Reference 3.6: a non-local source is refused when resolving its path changes it.
  it('non-local sources whose path changes when resolved (`.` segments) are refused', async () => {
    const name = await newModel();
    bad(await create(name, { source: 's3://bucket/a/./b' }));
  });

  // MLflow 3.17: a prompt version skips the model source rules but must use a placeholder source.
  it('prompt versions skip model source validation but need a placeholder source', async () => {
    const prompt = 'mlflow.prompt.is_prompt';
    const name = await newModel([{ key: prompt, value: 'true' }]);
    const tags = [
      { key: prompt, value: 'true' },
      { key: 'mlflow.prompt.text', value: 'Hi {{x}}' },
    ];
    expect((await createMv(name, { source: 'prompt-template', tags })).version).toBe('1');
    expect((await createMv(name, { source: 'dummy-source', tags })).version).toBe('2');
    bad(await create(name, { source: '/etc/passwd', tags }));
    bad(await create(name, { source: '/etc/passwd' }));
  });
});

describe('model versions: search', () => {
  it('filters on name, run_id, version_number, source_path and tags; deleted and prompts hidden', async () => {
    const p = uniqueName('mvs').replace(/-/g, '_');
    const [a, b] = [`${p}_a`, `${p}_b`];
    for (const n of [a, b]) ok(await post('/registered-models/create', { name: n }));
    const runA = `${p}_r1`;
    await createMv(a, { source: 's3://b/a/1', run_id: runA, tags: [{ key: 'env', value: 'dev' }] });
    await createMv(a, { source: 's3://b/a/2', run_id: `${p}_r2`, tags: [{ key: 'env', value: 'prod' }] });
    await createMv(a, { source: 'gs://x/a/3', run_id: runA });
    await createMv(b, { source: 's3://b/b/1' });
    ok(await srv.api.delete('/model-versions/delete', { name: a, version: '3' }));
    const prompt = `${p}_prompt`;
    const isPrompt = { key: 'mlflow.prompt.is_prompt', value: 'true' };
    ok(await post('/registered-models/create', { name: prompt, tags: [isPrompt] }));
    await createMv(prompt, { source: 'prompt-template', tags: [isPrompt] });

    const mine = `name LIKE '${p}%'`;
    const q = (filter: string) =>
      keys({ filter: `${mine} AND ${filter}`, order_by: ['name', 'version_number ASC'] });
    expect(await keys({ filter: mine, order_by: ['name', 'version_number ASC'] })).toEqual([
      `${a}/1`,
      `${a}/2`,
      `${b}/1`,
    ]);
    expect(await q(`name = '${a}'`)).toEqual([`${a}/1`, `${a}/2`]);
    expect(await q(`name IN ('${b}')`)).toEqual([`${b}/1`]);
    expect(await q(`run_id = '${runA}'`)).toEqual([`${a}/1`]);
    expect(await q(`run_id IN ('${runA}', '${p}_r2')`)).toEqual([`${a}/1`, `${a}/2`]);
    expect(await q('version_number >= 2')).toEqual([`${a}/2`]);
    expect(await q("version_number = '1'")).toEqual([`${a}/1`, `${b}/1`]);
    expect(await q("source_path LIKE 's3://b/a/%'")).toEqual([`${a}/1`, `${a}/2`]);
    expect(await q("tags.env = 'prod'")).toEqual([`${a}/2`]);
    expect(await q("tag.env ILIKE 'DEV'")).toEqual([`${a}/1`]);
    expect(await q("tag.`mlflow.prompt.is_prompt` != 'true'")).toEqual([`${a}/1`, `${a}/2`, `${b}/1`]);
    expect(await q("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual([`${prompt}/1`]);
  });

  it('default order is last_updated_timestamp DESC; paging with tokens', async () => {
    const name = await newModel();
    for (let i = 0; i < 3; i++) {
      await createMv(name);
      await sleep(2);
    }
    ok(await srv.api.patch('/model-versions/update', { name, version: '2', description: 'bump' }));
    const filter = `name = '${name}'`;
    expect(await keys({ filter })).toEqual([`${name}/2`, `${name}/3`, `${name}/1`]);
    expect(await keys({ filter, order_by: 'version_number DESC' })).toEqual([
      `${name}/3`,
      `${name}/2`,
      `${name}/1`,
    ]);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = ok<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(
        await srv.api.get('/model-versions/search', { filter, max_results: 2, page_token: token }),
      );
      seen.push(...(body.model_versions ?? []).map((v) => v.version));
      token = body.next_page_token;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(seen).toEqual(['2', '3', '1']);
    expect(pages).toBe(2);
  });

  it('rejects bad filters, order_by and max_results', async () => {
    const refused: Query[] = [
      { filter: 'version_number > 1.5' },
      { filter: "version_number = 'abc'" },
      { filter: "run_id > 'a'" },
      { filter: "creation_timestamp = '1'" },
      { order_by: 'tags.x' },
      { max_results: 200001 },
      { max_results: 0 },
      { page_token: '%%%' },
    ];
    for (const q of refused) {
      bad(await srv.api.get('/model-versions/search', q));
    }
  });
});
