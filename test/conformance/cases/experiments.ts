import { expect } from 'vitest';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, newExperiment, newRun, sleep, sortedKv, uniqueName } from './support.js';

export const experimentCases: CaseGroup = (test) => {
  test('the default experiment "0" exists and is active', async (store) => {
    const e = await store.getExperiment('0');
    expect(e).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active', tags: [] });
    expect(e.artifact_location).toMatch(/\/0$/);
    expect((await store.getExperimentByName('Default'))?.experiment_id).toBe('0');
  });

  test('create returns a new id and get returns every field', async (store) => {
    const before = Date.now();
    const name = uniqueName();
    const id = await store.createExperiment({
      name,
      tags: [
        { key: 'b', value: '2' },
        { key: 'a', value: '1' },
      ],
    });
    expect(typeof id).toBe('string');
    expect(id).not.toBe('0');
    const e = await store.getExperiment(id);
    expect(e.experiment_id).toBe(id);
    expect(e.name).toBe(name);
    expect(e.lifecycle_stage).toBe('active');
    expect(e.artifact_location.endsWith(`/${id}`)).toBe(true);
    expect(e.creation_time).toBeGreaterThanOrEqual(before);
    expect(e.creation_time).toBeLessThanOrEqual(Date.now());
    expect(e.last_update_time).toBeGreaterThanOrEqual(e.creation_time);
    expect(sortedKv(e.tags)).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    const other = await newExperiment(store);
    expect(other).not.toBe(id);
  });

  test('an explicit artifact location is kept verbatim', async (store) => {
    const id = await newExperiment(store, { artifactLocation: 's3://bucket/some/prefix' });
    expect((await store.getExperiment(id)).artifact_location).toBe('s3://bucket/some/prefix');
  });

  test('get of an unknown id is RESOURCE_DOES_NOT_EXIST', async (store) => {
    await expectMlflowError(store.getExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getExperiment('not-an-id'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('get-by-name finds active and deleted experiments and gives null for unknown names', async (store) => {
    const name = uniqueName();
    const id = await newExperiment(store, { name });
    expect((await store.getExperimentByName(name))?.experiment_id).toBe(id);
    await store.deleteExperiment(id);
    const deleted = await store.getExperimentByName(name);
    expect(deleted?.experiment_id).toBe(id);
    expect(deleted?.lifecycle_stage).toBe('deleted');
    expect(await store.getExperimentByName(uniqueName('missing'))).toBeNull();
  });

  test('names are unique, deleted experiments included (RESOURCE_ALREADY_EXISTS)', async (store) => {
    const name = uniqueName();
    const id = await newExperiment(store, { name });
    await expectMlflowError(store.createExperiment({ name }), 'RESOURCE_ALREADY_EXISTS');
    await store.deleteExperiment(id);
    await expectMlflowError(store.createExperiment({ name }), 'RESOURCE_ALREADY_EXISTS');
    await expectMlflowError(store.createExperiment({ name: 'Default' }), 'RESOURCE_ALREADY_EXISTS');
  });

  test('names are case-sensitive', async (store) => {
    const name = uniqueName('CaseName');
    const a = await newExperiment(store, { name });
    const b = await newExperiment(store, { name: name.toLowerCase() });
    expect(a).not.toBe(b);
    expect((await store.getExperimentByName(name))?.experiment_id).toBe(a);
    expect((await store.getExperimentByName(name.toLowerCase()))?.experiment_id).toBe(b);
  });

  test('a failed create writes nothing', async (store) => {
    const name = uniqueName();
    await newExperiment(store, { name });
    const before = await store.searchExperiments({
      viewType: 'ALL',
      maxResults: 1000,
      filter: [],
      orderBy: [],
    });
    await expectMlflowError(
      store.createExperiment({ name, tags: [{ key: 'x', value: 'y' }] }),
      'RESOURCE_ALREADY_EXISTS',
    );
    const after = await store.searchExperiments({
      viewType: 'ALL',
      maxResults: 1000,
      filter: [],
      orderBy: [],
    });
    expect(after.items).toEqual(before.items);
  });

  test('rename changes the name and frees the old one', async (store) => {
    const oldName = uniqueName();
    const newName = uniqueName();
    const id = await newExperiment(store, { name: oldName });
    const created = await store.getExperiment(id);
    await sleep(2);
    await store.renameExperiment(id, newName);
    const e = await store.getExperiment(id);
    expect(e.name).toBe(newName);
    expect(e.last_update_time).toBeGreaterThan(created.last_update_time);
    expect(await store.getExperimentByName(oldName)).toBeNull();
    expect((await store.getExperimentByName(newName))?.experiment_id).toBe(id);
    await store.renameExperiment(id, newName);
    expect((await store.getExperiment(id)).name).toBe(newName);
    expect(await newExperiment(store, { name: oldName })).not.toBe(id);
  });

  test('rename onto a taken name (active or deleted) is RESOURCE_ALREADY_EXISTS', async (store) => {
    const a = await newExperiment(store);
    const takenName = uniqueName();
    await newExperiment(store, { name: takenName });
    const deletedName = uniqueName();
    const deleted = await newExperiment(store, { name: deletedName });
    await store.deleteExperiment(deleted);
    await expectMlflowError(store.renameExperiment(a, takenName), 'RESOURCE_ALREADY_EXISTS');
    await expectMlflowError(store.renameExperiment(a, deletedName), 'RESOURCE_ALREADY_EXISTS');
    expect((await store.getExperimentByName(takenName))?.experiment_id).not.toBe(a);
  });

  test('rename of a deleted experiment is INVALID_PARAMETER_VALUE, of an unknown one RESOURCE_DOES_NOT_EXIST', async (store) => {
    // MLflow answers INVALID_STATE (HTTP 500, retried by clients for minutes); mltrack treats it as the client
    // mistake it is.
    const id = await newExperiment(store);
    await store.deleteExperiment(id);
    await expectMlflowError(store.renameExperiment(id, uniqueName()), 'INVALID_PARAMETER_VALUE');
    await expectMlflowError(store.renameExperiment('987654', uniqueName()), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('delete soft-deletes the experiment and its runs; restore brings both back', async (store) => {
    const id = await newExperiment(store);
    const r1 = await newRun(store, id);
    const r2 = await newRun(store, id);
    const other = await newRun(store, '0');
    const before = await store.getExperiment(id);
    await sleep(2);
    await store.deleteExperiment(id);
    const deleted = await store.getExperiment(id);
    expect(deleted.lifecycle_stage).toBe('deleted');
    expect(deleted.last_update_time).toBeGreaterThan(before.last_update_time);
    for (const r of [r1, r2])
      expect((await store.getRun(r.info.run_id)).info.lifecycle_stage).toBe('deleted');
    expect((await store.getRun(other.info.run_id)).info.lifecycle_stage).toBe('active');

    await store.restoreExperiment(id);
    expect((await store.getExperiment(id)).lifecycle_stage).toBe('active');
    for (const r of [r1, r2]) expect((await store.getRun(r.info.run_id)).info.lifecycle_stage).toBe('active');
  });

  test('delete of a deleted or unknown experiment and restore of an active one are RESOURCE_DOES_NOT_EXIST', async (store) => {
    const id = await newExperiment(store);
    await expectMlflowError(store.restoreExperiment(id), 'RESOURCE_DOES_NOT_EXIST');
    await store.deleteExperiment(id);
    await expectMlflowError(store.deleteExperiment(id), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.restoreExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('experiment tags: set upserts, delete removes, keys are case-sensitive', async (store) => {
    const id = await newExperiment(store);
    await store.setExperimentTag(id, { key: 'k', value: 'v1' });
    await store.setExperimentTag(id, { key: 'K', value: 'upper' });
    await store.setExperimentTag(id, { key: 'k', value: 'v2' });
    await store.setExperimentTag(id, { key: 'empty', value: '' });
    expect(sortedKv((await store.getExperiment(id)).tags)).toEqual([
      { key: 'K', value: 'upper' },
      { key: 'empty', value: '' },
      { key: 'k', value: 'v2' },
    ]);
    await store.deleteExperimentTag(id, 'k');
    expect(sortedKv((await store.getExperiment(id)).tags)).toEqual([
      { key: 'K', value: 'upper' },
      { key: 'empty', value: '' },
    ]);
  });

  test('experiment tags: missing key, unknown and deleted experiments are rejected', async (store) => {
    const id = await newExperiment(store, { tags: [{ key: 'keep', value: '1' }] });
    await expectMlflowError(store.deleteExperimentTag(id, 'nope'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.setExperimentTag('987654', { key: 'a', value: 'b' }),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.deleteExperimentTag('987654', 'a'), 'RESOURCE_DOES_NOT_EXIST');
    await store.deleteExperiment(id);
    await expectMlflowError(store.setExperimentTag(id, { key: 'a', value: 'b' }), 'INVALID_PARAMETER_VALUE');
    await expectMlflowError(store.deleteExperimentTag(id, 'keep'), 'INVALID_PARAMETER_VALUE');
    expect((await store.getExperiment(id)).tags).toEqual([{ key: 'keep', value: '1' }]);
  });
};
