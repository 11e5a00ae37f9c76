import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createExperiment,
  createRun,
  getExperiment,
  uniqueName,
  type WireExperiment,
} from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

describe('experiments: create / get / get-by-name', () => {
  it('create answers {experiment_id: "<string>"} and get returns the exact wire shape', async () => {
    const name = uniqueName();
    const res = ok(await srv.api.post('/experiments/create', { name, tags: [{ key: 'k', value: 'v' }] }));
    expect(Object.keys(res)).toEqual(['experiment_id']);
    const id = res.experiment_id as string;
    expect(id).toMatch(/^[1-9]\d*$/);
    const e = await getExperiment(srv.api, id);
    expect(Object.keys(e).sort()).toEqual(
      [
        'artifact_location',
        'creation_time',
        'experiment_id',
        'last_update_time',
        'lifecycle_stage',
        'name',
        'tags',
      ].sort(),
    );
    expect(e).toMatchObject({
      experiment_id: id,
      name,
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(typeof e.creation_time).toBe('number');
    expect(e.last_update_time).toBe(e.creation_time);
  });

  it('the default experiment is "0"; an experiment without tags has tags: []', async () => {
    const e = await getExperiment(srv.api, '0');
    expect(e).toMatchObject({
      experiment_id: '0',
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
    });
    expect(e.tags ?? []).toEqual([]);
  });

  it('is served under /api and /ajax-api alike', async () => {
    const id = ok<{ experiment_id: string }>(
      await srv.ajax.post('/experiments/create', { name: uniqueName() }),
    ).experiment_id;
    const viaApi = ok(await srv.api.get('/experiments/get', { experiment_id: id }));
    const viaAjax = ok(await srv.ajax.get('/experiments/get', { experiment_id: id }));
    expect(viaAjax).toEqual(viaApi);
  });

  it('get-by-name finds active and deleted experiments; a missing name is 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const name = uniqueName('by name');
    const id = await createExperiment(srv.api, { name });
    const got = ok<{ experiment: WireExperiment }>(
      await srv.api.get('/experiments/get-by-name', { experiment_name: name }),
    );
    expect(got.experiment.experiment_id).toBe(id);
    ok(await srv.api.post('/experiments/delete', { experiment_id: id }));
    const deleted = ok<{ experiment: WireExperiment }>(
      await srv.ajax.get('/experiments/get-by-name', { experiment_name: name }),
    );
    expect(deleted.experiment.lifecycle_stage).toBe('deleted');
    expectError(
      await srv.api.get('/experiments/get-by-name', { experiment_name: 'no such experiment' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      "Could not find experiment with name 'no such experiment'",
    );
  });

  it('get of unknown or non-integer ids is 404, never a 5xx', async () => {
    for (const id of ['987654', 'abc', '-1', '1.5', '99999999999999999999999', ' ']) {
      expectError(
        await srv.api.get('/experiments/get', { experiment_id: id }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    }
    expectError(
      await srv.api.get('/experiments/get'),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'experiment_id'",
    );
  });

  it('a relative artifact_location is resolved against the server directory; URIs are kept', async () => {
    const rel = await createExperiment(srv.api, { artifact_location: 'some/rel' });
    expect((await getExperiment(srv.api, rel)).artifact_location).toBe(path.join(srv.dir, 'some/rel'));
    const s3 = await createExperiment(srv.api, { artifact_location: 's3://bucket/prefix?versionId=1' });
    expect((await getExperiment(srv.api, s3)).artifact_location).toBe('s3://bucket/prefix?versionId=1');
    const run = await createRun(srv.api, { experiment_id: s3 });
    expect(run.info.artifact_uri).toBe(`s3://bucket/prefix/${run.info.run_id}/artifacts?versionId=1`);
  });

  it('rejects bad create requests with 400 and creates nothing', async () => {
    const taken = uniqueName();
    await createExperiment(srv.api, { name: taken });
    const cases: [Record<string, unknown>, string, string?][] = [
      [{}, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'"],
      [{ name: '' }, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'"],
      [{ name: 'x'.repeat(501) }, 'INVALID_PARAMETER_VALUE', '500'],
      [{ name: taken }, 'RESOURCE_ALREADY_EXISTS', taken],
      [{ name: 'Default' }, 'RESOURCE_ALREADY_EXISTS'],
      [{ name: uniqueName(), artifact_location: 'runs:/abc/x' }, 'INVALID_PARAMETER_VALUE'],
      [{ name: uniqueName(), artifact_location: 's3://b/p#frag' }, 'INVALID_PARAMETER_VALUE', 'fragments'],
      [{ name: uniqueName(), artifact_location: 's3://b/p;params' }, 'INVALID_PARAMETER_VALUE', 'parameters'],
      [{ name: uniqueName(), artifact_location: 's3://b/p?x=..%2F' }, 'INVALID_PARAMETER_VALUE', '..'],
      [{ name: uniqueName(), artifact_location: `s3://b/${'p'.repeat(2048)}` }, 'INVALID_PARAMETER_VALUE'],
      [{ name: uniqueName(), tags: [{ key: 'a//b', value: 'v' }] }, 'INVALID_PARAMETER_VALUE', 'a//b'],
      [{ name: uniqueName(), tags: [{ key: '../x', value: 'v' }] }, 'INVALID_PARAMETER_VALUE'],
      [{ name: uniqueName(), tags: [{ value: 'v' }] }, 'INVALID_PARAMETER_VALUE', 'tags[0].key'],
      [{ name: uniqueName(), tags: [{ key: 'k', value: 'v'.repeat(20001) }] }, 'INVALID_PARAMETER_VALUE'],
      [{ name: uniqueName(), tags: { k: 'v' } }, 'INVALID_PARAMETER_VALUE'],
      [{ name: { nested: true } }, 'INVALID_PARAMETER_VALUE'],
      [{ name: ['a'] }, 'INVALID_PARAMETER_VALUE'],
      [{ name: 123 }, 'INVALID_PARAMETER_VALUE', "Hint: Value was of type 'int'"],
    ];
    for (const [body, code, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(
          await srv.api.post('/experiments/create', body),
          400,
          code as 'INVALID_PARAMETER_VALUE',
          message,
        );
      });
    }
  });

  it('accepts an experiment tag value of exactly 20000 characters', async () => {
    const id = await createExperiment(srv.api, { tags: [{ key: 'long', value: 'v'.repeat(20000) }] });
    expect((await getExperiment(srv.api, id)).tags?.[0]?.value).toHaveLength(20000);
  });

  it('an artifact_location with a malformed %-escape in its query is a 400, not a 5xx', async () => {
    // Bug: routes/experiments.ts artifactLocation() calls decodeURIComponent(url.search), which throws URIError.
    expectError(
      await srv.api.post('/experiments/create', {
        name: uniqueName(),
        artifact_location: 's3://b/p?x=%E0%A4%A',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });
});
