import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/entities/run.js';
import { openStore } from '../../src/store/registry.js';
import type { TrackingStore } from '../../src/store/types.js';
import { DATABASE_SETUP_TIMEOUT_MS, testDatabaseUri } from '../helpers/databases.js';

type Dialect = 'sqlite' | 'postgres' | 'mysql';

/**
 * Run snapshots (run-cache.ts) with two stores on one database, as two servers would have: every write made
 * through one store is seen at once by the other's getRun and searchRuns, although both cache complete runs.
 */
describe.each<Dialect>(['sqlite', 'postgres', 'mysql'])(
  'run snapshots across two stores on %s',
  (dialect) => {
    let a: TrackingStore;
    let b: TrackingStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      let uri: string;
      if (dialect === 'sqlite') {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-snap-'));
        uri = `sqlite:///${dir}/mlflow.db`;
        cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      } else {
        const db = await testDatabaseUri(dialect);
        uri = db.uri;
        cleanup = db.drop;
      }
      const opts = { defaultArtifactRoot: '/tmp/mltrack-snap-artifacts', cwd: '/tmp' };
      a = await openStore(uri, opts);
      b = await openStore(uri, opts);
    }, DATABASE_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await cleanup?.();
    });

    /** b's view of the run, both ways it is read (each fills b's snapshot cache). */
    const seenByB = async (
      runId: string,
      experimentId: string,
    ): Promise<{ got: Run; found: Run | undefined }> => {
      const got = await b.getRun(runId);
      const page = await b.searchRuns({
        experimentIds: [experimentId],
        filter: [],
        viewType: 'ALL',
        maxResults: 100,
        orderBy: [],
      });
      return { got, found: page.items.find((r) => r.info.run_id === runId) };
    };

    it('sees params, tags, metrics, status, names, deletes and restores written by the other store', async () => {
      const exp = await a.createExperiment({ name: `snap-${dialect}-${Date.now()}` });
      const run = await a.createRun({ experimentId: exp, userId: 'u', startTime: 1, tags: [] });
      const id = run.info.run_id;
      await seenByB(id, exp); // cached by b now

      const steps: [string, () => Promise<unknown>, (r: Run) => void][] = [
        [
          'log-batch',
          () =>
            a.logBatch(id, {
              params: [{ key: 'lr', value: '0.1' }],
              metrics: [{ key: 'loss', value: 0.5, timestamp: 10, step: 1 }],
              tags: [{ key: 't', value: '1' }],
            }),
          (r) => {
            expect(r.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
            expect(r.data.metrics.map((m) => [m.key, m.value])).toEqual([['loss', 0.5]]);
            expect(r.data.tags).toContainEqual({ key: 't', value: '1' });
          },
        ],
        [
          'newer metric',
          () =>
            a.logBatch(id, {
              params: [],
              metrics: [{ key: 'loss', value: 0.25, timestamp: 20, step: 2 }],
              tags: [],
            }),
          (r) => expect(r.data.metrics.map((m) => m.value)).toEqual([0.25]),
        ],
        [
          'tag change',
          () => a.logBatch(id, { params: [], metrics: [], tags: [{ key: 't', value: '2' }] }),
          (r) => expect(r.data.tags).toContainEqual({ key: 't', value: '2' }),
        ],
        [
          'tag delete',
          () => a.deleteTag(id, 't'),
          (r) => expect(r.data.tags.map((t) => t.key)).not.toContain('t'),
        ],
        [
          'finish and rename',
          () => a.updateRun(id, { status: 'FINISHED', endTime: 99, runName: 'renamed' }),
          (r) => {
            expect(r.info.status).toBe('FINISHED');
            expect(r.info.end_time).toBe(99);
            expect(r.info.run_name).toBe('renamed');
          },
        ],
        ['delete', () => a.deleteRun(id), (r) => expect(r.info.lifecycle_stage).toBe('deleted')],
        ['restore', () => a.restoreRun(id), (r) => expect(r.info.lifecycle_stage).toBe('active')],
        [
          'experiment delete',
          () => a.deleteExperiment(exp),
          (r) => expect(r.info.lifecycle_stage).toBe('deleted'),
        ],
        [
          'experiment restore',
          () => a.restoreExperiment(exp),
          (r) => expect(r.info.lifecycle_stage).toBe('active'),
        ],
      ];
      for (const [what, write, check] of steps) {
        await write();
        const { got, found } = await seenByB(id, exp);
        expect(found, what).toBeDefined();
        check(got);
        check(found!);
        // and b's own cache serves the same again
        check((await seenByB(id, exp)).got);
      }
    });
  },
);
