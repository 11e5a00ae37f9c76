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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SCRIPTS = path.join(ROOT, 'scripts', 'db');
const SETUP: Record<ServerDialect, { start: string; stop: string; port: number }> = {
  postgres: { start: 'start-postgres.sh', stop: 'stop-postgres.sh', port: 55441 },
  mysql: { start: 'start-mariadb.sh', stop: 'stop-mariadb.sh', port: 53341 },
};

/**
 * Reliability test R05: the database goes away under a running mltrack and comes back. Requests during the outage
 * answer 503 with Retry-After quickly (never hang, never crash the server); once the database is back, the pool
 * reconnects by itself and nothing acknowledged before the outage is lost. Under sustained load (concurrent
 * clients logging metric batches and reading through the stop and the restart) every answer is 200 or 503, no
 * acknowledged point is lost and no failed batch is half-written. Each dialect gets a server of its own
 * (other test files share the scripts/db test servers, which must not restart under them).
 */
describe.each<ServerDialect>(['postgres', 'mysql'])('%s restarts under a running mltrack', (dialect) => {
  const { start, stop, port } = SETUP[dialect];
  const dir = path.join(TEST_DB_ROOT, `r05-${dialect}`);
  const stopDatabase = () => run('bash', [path.join(SCRIPTS, stop), dir]);
  const startDatabase = () => run('bash', [path.join(SCRIPTS, start), dir, String(port)]);
  let proc: ChildProcess | undefined;
  afterEach(async () => {
    proc?.kill('SIGKILL');
    proc = undefined;
    await stopDatabase().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** This dialect's own database server (fresh datadir) and an mltrack process on it. */
  async function databaseAndServer(): Promise<{ url: string; proc: ChildProcess }> {
    fs.mkdirSync(TEST_DB_ROOT, { recursive: true, mode: 0o755 });
    await run('bash', [path.join(SCRIPTS, 'install.sh')], { timeout: 15 * 60_000 });
    let uri = (await startDatabase()).stdout.trim().split('\n').pop() ?? '';
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
    return server;
  }

  it('answers 503 + Retry-After during the outage and recovers by itself', async () => {
    const server = await databaseAndServer();
    const before = await post(server.url, 'experiments/create', { name: 'before-outage' });
    expect(before.status).toBe(200);

    await stopDatabase();
    const t0 = Date.now();
    const during = await post(server.url, 'experiments/create', { name: 'during-outage' });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect(((await during.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('OK');

    await startDatabase();
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

  it('under sustained load: only 200 or 503, no hang, quick recovery, no acknowledged metric lost', async () => {
    const { url } = await databaseAndServer();
    const api = `${url}/api/2.0/mlflow`;
    const json = async (r: Response) => (await r.json()) as Record<string, unknown>;
    const exp = await json(await post(url, 'experiments/create', { name: 'load' }));
    const experimentId = exp.experiment_id as string;
    const runIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await json(await post(url, 'runs/create', { experiment_id: experimentId, start_time: 1 }));
      runIds.push((r.run as { info: { run_id: string } }).info.run_id);
    }

    /** One request's fate: an HTTP answer (status, error_code, Retry-After) or a client-side error. */
    interface Outcome {
      loop: number;
      kind: string;
      at: number;
      ms: number;
      status?: number;
      code?: unknown;
      retryAfter?: string | null;
      body?: string;
      error?: string;
    }
    const outcomes: Outcome[] = [];
    const call = async (loop: number, kind: string, send: (signal: AbortSignal) => Promise<Response>) => {
      const o: Outcome = { loop, kind, at: Date.now(), ms: 0 };
      try {
        // the timeout covers the body too: a request that hangs anywhere is reported, never awaited forever
        const r = await send(AbortSignal.timeout(10_000));
        const body = await r.text();
        o.status = r.status;
        o.retryAfter = r.headers.get('retry-after');
        if (r.status !== 200) o.body = body.slice(0, 500);
        try {
          o.code = (JSON.parse(body) as { error_code?: unknown }).error_code;
        } catch {
          o.code = '(not JSON)';
        }
      } catch (e) {
        const c = (e as { cause?: { code?: string; message?: string } }).cause;
        o.error = `${(e as Error).name}: ${(e as Error).message}${c ? ` (${c.code ?? c.message})` : ''}`;
      }
      o.ms = Date.now() - o.at;
      outcomes.push(o);
      return o;
    };

    /** Every log-batch sent: its run, its points' steps (unique across the test) and whether it got 200. */
    const batches: { runId: string; steps: number[]; ok: boolean }[] = [];
    const POINTS = 5;
    let stopping = false;
    const clientLoop = async (loop: number) => {
      for (let n = 0; !stopping; n++) {
        const runId = runIds[loop % runIds.length] as string;
        const steps = Array.from({ length: POINTS }, (_, k) => (loop * 1_000_000 + n) * POINTS + k);
        const metrics = steps.map((step) => ({ key: 'loss', value: step, timestamp: 1000 + step, step }));
        const logged = await call(loop, 'log-batch', (signal) =>
          fetch(`${api}/runs/log-batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ run_id: runId, metrics }),
            signal,
          }),
        );
        batches.push({ runId, steps, ok: logged.status === 200 });
        const read =
          n % 2 === 0
            ? await call(loop, 'runs/get', (signal) => fetch(`${api}/runs/get?run_id=${runId}`, { signal }))
            : await call(loop, 'experiments/search', (signal) =>
                fetch(`${api}/experiments/search`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ max_results: 10 }),
                  signal,
                }),
              );
        // a client that backs off a little on errors (not the full Retry-After: the load must go on)
        if (logged.status !== 200 || read.status !== 200) await sleep(50);
      }
    };
    const healthLoop = async () => {
      while (!stopping) {
        await call(-1, 'health', (signal) => fetch(`${url}/health`, { signal }));
        await sleep(100);
      }
    };

    const LOOPS = 4;
    const loops = [...Array.from({ length: LOOPS }, (_, i) => clientLoop(i)), healthLoop()];
    let restarted = 0;
    try {
      await sleep(1000);
      const stopAt = Date.now();
      await stopDatabase();
      await sleep(1500); // fully down
      await startDatabase();
      restarted = Date.now();
      // every loop gets a log-batch through again (bounded: a loop that never does fails the test below)
      const recovered = () =>
        Array.from({ length: LOOPS }, (_, i) =>
          outcomes.some(
            (o) => o.loop === i && o.kind === 'log-batch' && o.at >= restarted && o.status === 200,
          ),
        ).every(Boolean);
      while (!recovered() && Date.now() - restarted < 15_000) await sleep(100);
      await sleep(500);
      expect(outcomes.filter((o) => o.at < stopAt - 200 && o.status !== 200)).toEqual([]);
    } finally {
      stopping = true;
      await Promise.all(loops);
    }

    // the process stayed up, answered everything (no timeout, no reset), and only ever with 200 or 503
    expect(proc?.exitCode).toBeNull();
    expect(proc?.signalCode).toBeNull();
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
    const failures = outcomes.filter((o) => o.status !== 200);
    expect(
      failures.filter((o) => o.status !== 503 || o.code !== 'TEMPORARILY_UNAVAILABLE' || !o.retryAfter),
    ).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'health' && o.status !== 200)).toEqual([]);
    // the outage was seen, by writes and reads alike
    expect(failures.filter((o) => o.kind === 'log-batch').length).toBeGreaterThan(0);
    expect(failures.filter((o) => o.kind !== 'log-batch').length).toBeGreaterThan(0);

    // recovery: each loop's first log-batch through within a few seconds of the restart, and no 503 after that
    for (let i = 0; i < LOOPS; i++) {
      const first = outcomes.find(
        (o) => o.loop === i && o.kind === 'log-batch' && o.at >= restarted && o.status === 200,
      );
      expect(first, `loop ${i} never got a log-batch through after the restart`).toBeDefined();
      expect((first?.at ?? 0) + (first?.ms ?? 0) - restarted).toBeLessThan(5000);
    }
    const allBack = Math.max(
      ...Array.from({ length: LOOPS }, (_, i) =>
        Math.min(
          ...outcomes.filter((o) => o.loop === i && o.at >= restarted && o.status === 200).map((o) => o.at),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.at > allBack && o.status !== 200)).toEqual([]);

    // nothing acknowledged is lost, and a failed batch is all there or not at all
    const present = new Map<string, Map<number, number>>(); // run → step → how many times
    for (const runId of runIds) {
      const r = await fetch(`${api}/metrics/get-history?run_id=${runId}&metric_key=loss`);
      expect(r.status).toBe(200);
      const counts = new Map<number, number>();
      for (const m of ((await r.json()) as { metrics?: { step: number; value: number }[] }).metrics ?? []) {
        expect(m.value).toBe(m.step);
        counts.set(m.step, (counts.get(m.step) ?? 0) + 1);
      }
      present.set(runId, counts);
    }
    const found = (b: { runId: string; steps: number[] }) =>
      b.steps.filter((s) => present.get(b.runId)?.has(s)).length;
    const stats = JSON.stringify({
      requests: outcomes.length,
      failed: failures.length,
      batchesOk: batches.filter((b) => b.ok).length,
      batchesFailed: batches.filter((b) => !b.ok).length,
      slowestMs: Math.max(...outcomes.map((o) => o.ms)),
    });
    const lost = batches.filter((b) => b.ok && found(b) !== POINTS);
    expect(lost, `acknowledged log-batch points missing (${stats})`).toEqual([]);
    const partial = batches.filter((b) => !b.ok && found(b) !== 0 && found(b) !== POINTS);
    expect(partial, `failed log-batch partially written (${stats})`).toEqual([]);
    const duplicated = [...present.values()].flatMap((c) => [...c.entries()].filter(([, n]) => n > 1));
    expect(duplicated).toEqual([]);
    expect(batches.filter((b) => b.ok).length).toBeGreaterThan(0);
    // and nothing else is there: every point present belongs to a batch that was sent
    const written = batches.filter((b) => found(b) === POINTS).length * POINTS;
    expect(
      [...present.values()].reduce((n, c) => n + c.size, 0),
      stats,
    ).toBe(written);
  }, 90_000);
});
