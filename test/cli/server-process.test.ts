import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';

import { BIN, post, runCli, startServer } from '../helpers/server-process.js';

describe('mltrack server process', () => {
  let proc: ChildProcess | undefined;
  afterEach(() => {
    proc?.kill('SIGKILL');
    proc = undefined;
  });

  it('starts on the embedded defaults, serves, and on SIGTERM exits 0 with the database closed cleanly', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-proc-'));
    const started = await startServer(cwd);
    proc = started.proc;
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${started.url}/health`)).text()).toBe('OK');
    const run = (await (
      await post(started.url, 'runs/create', { experiment_id: '0', start_time: 1 })
    ).json()) as {
      run: { info: { run_id: string } };
    };
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i }));
    expect((await post(started.url, 'runs/log-batch', { run_id: run.run.info.run_id, metrics })).status).toBe(
      200,
    );

    const exited = new Promise<number | null>((resolve) => proc?.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    proc = undefined;

    // mlflow.db in the working directory (MLflow 3.7+ default), WAL folded in on close, every point kept.
    expect(fs.statSync(path.join(cwd, 'mlartifacts')).isDirectory()).toBe(true);
    const walFile = path.join(cwd, 'mlflow.db-wal');
    expect(!fs.existsSync(walFile) || fs.statSync(walFile).size === 0).toBe(true);
    const db = new DatabaseSync(path.join(cwd, 'mlflow.db'), { readOnly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM metrics').get()).toEqual({ n: 1000 });
    db.close();
  });

  it('refuses to start on a database written by a newer mltrack, naming both versions, and changes nothing', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-proc-'));
    const first = await startServer(cwd);
    first.proc.kill('SIGTERM');
    await new Promise((r) => first.proc.on('exit', r));
    const file = path.join(cwd, 'mlflow.db');
    const db = new DatabaseSync(file);
    db.exec(`INSERT INTO mltrack_schema_version (version, name, applied_at) VALUES (999, 'future', 0)`);
    db.close();
    const before = fs.readFileSync(file);
    const p = spawn(process.execPath, [BIN, 'server', '--port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/999/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('SIGKILL during ingest loses no acknowledged batch and leaves no partial batch', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-proc-'));
    const started = await startServer(cwd);
    proc = started.proc;
    const run = (await (
      await post(started.url, 'runs/create', { experiment_id: '0', start_time: 1 })
    ).json()) as {
      run: { info: { run_id: string } };
    };
    const runId = run.run.info.run_id;
    const acked: number[] = [];
    let stop = false;
    const client = async (c: number) => {
      for (let b = c; !stop; b += 4) {
        const metrics = Array.from({ length: 500 }, (_, i) => ({
          key: `k${i % 10}`,
          value: b,
          timestamp: b,
          step: b * 100 + i,
        }));
        try {
          const r = await post(started.url, 'runs/log-batch', { run_id: runId, metrics });
          if (r.status === 200) acked.push(b);
        } catch {
          return; // the server is gone
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise((r) => proc?.once('exit', r));
    proc.kill('SIGKILL');
    stop = true;
    await exited;
    await Promise.all(clients);
    expect(acked.length).toBeGreaterThan(0);

    const again = await startServer(cwd);
    proc = again.proc;
    const db = new DatabaseSync(path.join(cwd, 'mlflow.db'), { readOnly: true });
    const perBatch = db
      .prepare('SELECT timestamp AS b, COUNT(*) AS n FROM metrics GROUP BY timestamp')
      .all() as {
      b: number;
      n: number;
    }[];
    db.close();
    const stored = new Map(perBatch.map((r) => [r.b, r.n]));
    for (const b of acked) expect(stored.get(b), `acknowledged batch ${b}`).toBe(500);
    for (const [b, n] of stored) expect(n, `batch ${b} is all or nothing`).toBe(500);
  });

  it('refuses an out-of-date schema naming both versions; db upgrade migrates it and db current reports it', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-proc-'));
    const cli = (args: string[]) => runCli(args, { cwd });
    expect((await cli(['db', 'upgrade', 'sqlite:///mlflow.db'])).code).toBe(0);
    // Turn the database back into a version-1 one (before the registry, webhooks, run row versions, NaN index).
    const db = new DatabaseSync(path.join(cwd, 'mlflow.db'));
    db.exec(`DROP INDEX latest_metrics_key_nan_value; CREATE INDEX latest_metrics_key_value ON latest_metrics (key_id, value, run_pk);
      DELETE FROM mltrack_schema_version WHERE version = 5;
      ALTER TABLE runs DROP COLUMN row_version; DELETE FROM mltrack_schema_version WHERE version = 4;
      DROP TABLE mltrack_settings; DROP TABLE webhook_events; DROP TABLE webhooks;
      DELETE FROM mltrack_schema_version WHERE version = 3;
      DROP TABLE registered_model_aliases; DROP TABLE model_version_tags; DROP TABLE model_versions;
      DROP TABLE registered_model_tags; DROP TABLE registered_models; DELETE FROM mltrack_schema_version WHERE version = 2`);
    db.close();
    const refused = await cli(['server', '--port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/found version 1, but expected 5/);
    expect(refused.out).toMatch(/mltrack db upgrade/);
    expect((await cli(['db', 'current', 'sqlite:///mlflow.db'])).out).toMatch(/^1 /);
    const upgraded = await cli(['db', 'upgrade', 'sqlite:///mlflow.db']);
    expect(upgraded.code).toBe(0);
    const [backupLine, appliedLine] = upgraded.out.trimEnd().split('\n');
    expect(appliedLine).toBe('Applied migrations 2, 3, 4, 5; schema version is now 5.');
    // the SQLite file was copied, at its old version, before migrating
    const backup = /^Backed up .* to (.*mlflow\.db\.backup-v1-[^ ]+)\.$/.exec(backupLine ?? '')?.[1];
    expect(backup, upgraded.out).toBeDefined();
    const old = new DatabaseSync(backup as string);
    expect(old.prepare('SELECT MAX(version) AS v FROM mltrack_schema_version').get()).toEqual({ v: 1 });
    old.close();
    expect((await cli(['db', 'current', 'sqlite:///mlflow.db'])).out).toMatch(/^5 /);
  });
});
