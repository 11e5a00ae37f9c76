import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerDialect, testDatabaseUri } from '../helpers/databases.js';
import { post, startServer } from '../helpers/server-process.js';

/**
 * Reliability test R04: two mltrack processes on one PostgreSQL / MariaDB database behave as one server. Both start
 * on the same empty database at once (the schema is created once, under the migration lock), then race.
 */
describe.each<ServerDialect>(['postgres', 'mysql'])('two mltrack servers on one %s database', (dialect) => {
  const procs: ChildProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    await drop?.();
    drop = undefined;
  });

  it('keep names unique, params write-once, version numbers gapless, and lose no metric', async () => {
    const db = await testDatabaseUri(dialect);
    drop = db.drop;
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-multi-'));
    const servers = await Promise.all(
      [0, 1].map(() => startServer(cwd, ['--backend-store-uri', db.uri, '--artifacts-destination', cwd])),
    );
    procs.push(...servers.map((s) => s.proc));
    const url = (i: number) => (servers[i % 2] as { url: string }).url;
    const json = async (r: Response) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    });

    // one experiment per name
    const creates = await Promise.all(
      Array.from({ length: 16 }, (_, i) => post(url(i), 'experiments/create', { name: 'race' }).then(json)),
    );
    expect(creates.filter((c) => c.status === 200)).toHaveLength(1);
    for (const c of creates.filter((x) => x.status !== 200)) {
      expect([c.status, c.body.error_code]).toEqual([400, 'RESOURCE_ALREADY_EXISTS']);
    }

    // params are write-once across servers
    const run = await json(await post(url(0), 'runs/create', { experiment_id: '0', start_time: 1 }));
    const runId = (run.body.run as { info: { run_id: string } }).info.run_id;
    const params = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        post(url(i), 'runs/log-parameter', { run_id: runId, key: 'lr', value: String(i) }).then(json),
      ),
    );
    expect(params.filter((p) => p.status === 200)).toHaveLength(1);
    for (const p of params.filter((x) => x.status !== 200))
      expect(p.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    // every acknowledged metric point is there, whichever server took it
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, b) =>
        post(url(b), 'runs/log-batch', {
          run_id: runId,
          metrics: Array.from({ length: 50 }, (_, k) => ({
            key: 'loss',
            value: b,
            timestamp: 1,
            step: b * 50 + k,
          })),
        }).then((r) => r.status),
      ),
    );
    expect(batches.every((s) => s === 200)).toBe(true);
    const hist = await json(
      await fetch(`${url(1)}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss`),
    );
    expect((hist.body.metrics as unknown[]).length).toBe(1000);

    // 32 concurrent versions of one model across both servers: exactly 1..32
    expect((await post(url(0), 'registered-models/create', { name: 'm' })).status).toBe(200);
    const versions = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        post(url(i), 'model-versions/create', { name: 'm', source: 's3://bucket/model' }).then(json),
      ),
    );
    const numbers = versions.map((v) => Number((v.body.model_version as { version: string }).version));
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });
});
