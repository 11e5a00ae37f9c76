import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerDialect, TEST_DB_ROOT } from '../helpers/databases.js';
import { post, ROOT, startServer } from '../helpers/server-process.js';

const run = promisify(execFile);
const SCRIPTS = path.join(ROOT, 'scripts', 'db');
const SETUP: Record<ServerDialect, { start: string; stop: string; port: number }> = {
  postgres: { start: 'start-postgres.sh', stop: 'stop-postgres.sh', port: 55441 },
  mysql: { start: 'start-mariadb.sh', stop: 'stop-mariadb.sh', port: 53341 },
};

/**
 * Reliability test R05: the database goes away under a running mltrack and comes back. Requests during the outage
 * answer 503 with Retry-After quickly (never hang, never crash the server); once the database is back, the pool
 * reconnects by itself and nothing acknowledged before the outage is lost. Each dialect gets a server of its own
 * (other test files share the scripts/db test servers, which must not restart under them).
 */
describe.each<ServerDialect>(['postgres', 'mysql'])('%s restarts under a running mltrack', (dialect) => {
  const { start, stop, port } = SETUP[dialect];
  const dir = path.join(TEST_DB_ROOT, `r05-${dialect}`);
  let proc: ChildProcess | undefined;
  afterEach(async () => {
    proc?.kill('SIGKILL');
    await run('bash', [path.join(SCRIPTS, stop), dir]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 + Retry-After during the outage and recovers by itself', async () => {
    fs.mkdirSync(TEST_DB_ROOT, { recursive: true, mode: 0o755 });
    await run('bash', [path.join(SCRIPTS, 'install.sh')], { timeout: 15 * 60_000 });
    const out = (await run('bash', [path.join(SCRIPTS, start), dir, String(port)])).stdout;
    let uri = out.trim().split('\n').pop() ?? '';
    if (dialect === 'mysql') {
      await run('mariadb', [
        '-h',
        '127.0.0.1',
        '-P',
        String(port),
        '-u',
        'mltrack',
        '-pmltrack',
        '-e',
        'CREATE DATABASE r05',
      ]);
      uri = uri.replace(/\/mysql$/, '/r05');
    }
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-r05-'));
    const server = await startServer(cwd, ['--backend-store-uri', uri, '--artifacts-destination', cwd]);
    proc = server.proc;
    const before = await post(server.url, 'experiments/create', { name: 'before-outage' });
    expect(before.status).toBe(200);

    await run('bash', [path.join(SCRIPTS, stop), dir]);
    const t0 = Date.now();
    const during = await post(server.url, 'experiments/create', { name: 'during-outage' });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect(((await during.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('OK');

    await run('bash', [path.join(SCRIPTS, start), dir, String(port)]);
    const t1 = Date.now();
    let status = 0;
    while (Date.now() - t1 < 20_000) {
      status = (await post(server.url, 'experiments/create', { name: 'after-outage' })).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    const got = await fetch(
      `${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=before-outage`,
    );
    expect(got.status).toBe(200);
  }, 90_000);
});
