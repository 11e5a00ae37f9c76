import { beforeAll, describe, expect, it } from 'vitest';
import { createExperiment, createRun, uniqueName, type WireExperiment } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';

const srv = sharedTestServer();

interface SearchBody {
  experiments?: WireExperiment[];
  next_page_token?: string;
}

describe('experiments: search', () => {
  let ids: string[];
  beforeAll(async () => {
    const exp = await createExperiment(srv.api, {
      name: `search-a-${uniqueName()}`,
      tags: [{ key: 'grp', value: 'S' }],
    });
    const exp2 = await createExperiment(srv.api, {
      name: `search-b-${uniqueName()}`,
      tags: [{ key: 'grp', value: 'S' }],
    });
    const exp3 = await createExperiment(srv.api, {
      name: `search-c-${uniqueName()}`,
      tags: [{ key: 'grp', value: 'S' }],
    });
    ok(await srv.api.post('/experiments/delete', { experiment_id: exp3 }));
    ids = [exp, exp2, exp3];
  });

  it('POST and GET return {experiments: [...]} with filters and view types (by name and number)', async () => {
    const [a, b, c] = ids as [string, string, string];
    const byPost = ok<SearchBody>(
      await srv.api.post('/experiments/search', {
        max_results: 10,
        filter: "tags.grp = 'S'",
        order_by: ['name ASC'],
      }),
    );
    expect(Object.keys(byPost)).toEqual(['experiments']);
    expect(byPost.experiments?.map((e) => e.experiment_id)).toEqual([a, b]);
    const byGet = ok<SearchBody>(
      await srv.api.get('/experiments/search', {
        max_results: '10',
        filter: "tags.grp = 'S'",
        order_by: ['name DESC'],
        view_type: 'ALL',
      }),
    );
    expect(byGet.experiments?.map((e) => e.experiment_id)).toEqual([c, b, a]);
    for (const viewType of ['DELETED_ONLY', 2, '2']) {
      const res = ok<SearchBody>(
        await srv.ajax.post('/experiments/search', {
          max_results: 10,
          filter: "tags.grp = 'S'",
          view_type: viewType,
        }),
      );
      expect(res.experiments?.map((e) => e.experiment_id)).toEqual([c]);
    }
  });

  it('pages with next_page_token; the last page has none', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = ok<SearchBody>(
        await srv.api.get('/experiments/search', {
          max_results: 1,
          filter: "tags.grp = 'S'",
          view_type: 'ALL',
          page_token: token,
        }),
      );
      seen.push(...(res.experiments ?? []).map((e) => e.experiment_id));
      token = res.next_page_token;
      if (token === undefined) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(token).toBeUndefined();
  });

  it('rejects bad searches with 400 INVALID_PARAMETER_VALUE', async () => {
    const bad: Record<string, unknown>[] = [
      {},
      { max_results: 0 },
      { max_results: -1 },
      { max_results: 50001 },
      { max_results: 'ten' },
      { max_results: 1.5 },
      { max_results: 10, filter: 'name = ' },
      { max_results: 10, filter: "attributes.name = 'x'" },
      { max_results: 10, filter: "name = 'a' OR name = 'b'" },
      { max_results: 10, filter: 'name = unquoted' },
      { max_results: 10, filter: "tags.x > 'a'" },
      { max_results: 10, filter: { name: 'x' } },
      { max_results: 10, order_by: ['tags.x'] },
      { max_results: 10, order_by: ['nope ASC'] },
      { max_results: 10, order_by: 'name SIDEWAYS' },
      { max_results: 10, view_type: 'EVERYTHING' },
      { max_results: 10, view_type: 9 },
      { max_results: 10, page_token: 'not-a-token' },
      { max_results: 10, page_token: Buffer.from('{"offset": "x"}').toString('base64') },
    ];
    for (const body of bad) {
      expectError(await srv.api.post('/experiments/search', body), 400, 'INVALID_PARAMETER_VALUE');
    }
    expectError(await srv.api.get('/experiments/search'), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('a max_results of 50000 is accepted', async () => {
    const res = ok<SearchBody>(await srv.api.post('/experiments/search', { max_results: '50000' }));
    expect(res.experiments?.length).toBeGreaterThan(0);
  });

  it('a filter of 1000 AND-ed clauses (27 KB, under the 100000-char limit) is answered without a 5xx', async () => {
    // Bug: the filter length/clause count is not limited and sqlite-search-experiments builds one AND chain
    // deeper than SQLite's expression-depth limit (1000) -> INTERNAL_ERROR 500.
    const filter = Array.from({ length: 1000 }, () => 'creation_time > 1').join(' AND ');
    const res = await srv.api.post('/experiments/search', { max_results: 10, filter });
    expect([200, 400]).toContain(res.status);
  });
});

describe('experiments: search-datasets (ajax only)', () => {
  it('summarises datasets; is not mounted under /api; validates experiment_ids', async () => {
    const exp = await createExperiment(srv.api);
    const run = await createRun(srv.api, { experiment_id: exp });
    ok(
      await srv.api.post('/runs/log-inputs', {
        run_id: run.info.run_id,
        datasets: [
          {
            dataset: { name: 'ds', digest: 'dg', source_type: 'local', source: '/x' },
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
          },
        ],
      }),
    );
    expect(ok(await srv.ajax.post('/experiments/search-datasets', { experiment_ids: [exp] }))).toEqual({
      dataset_summaries: [{ experiment_id: exp, name: 'ds', digest: 'dg', context: 'training' }],
    });
    expectError(
      await srv.api.post('/experiments/search-datasets', { experiment_ids: [exp] }),
      404,
      'ENDPOINT_NOT_FOUND',
    );
    for (const experiment_ids of [[], Array.from({ length: 21 }, () => exp), ['abc']]) {
      expectError(
        await srv.ajax.post('/experiments/search-datasets', { experiment_ids }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    }
  });
});
