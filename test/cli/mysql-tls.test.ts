import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_SETUP_TIMEOUT_MS, testDatabaseUri, testMysqlTls } from '../helpers/databases.js';
import { post, serverStartFailure, startServer } from '../helpers/server-process.js';

const SSL_VARS = ['MLFLOW_MYSQL_SSL_CA', 'MLFLOW_MYSQL_SSL_CERT', 'MLFLOW_MYSQL_SSL_KEY'] as const;

/** process.env without any MLFLOW_MYSQL_SSL_* the caller may have set, plus extra. */
function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SSL_VARS) delete env[k];
  return { ...env, ...extra };
}

/**
 * MySQL over TLS through a real `mltrack server` process: the MLFLOW_MYSQL_SSL_* variables reach the driver, so
 * the scripts/db MariaDB user `mltrack_tls` (REQUIRE X509: refused without a client certificate) can log in.
 */
describe('mltrack server on MySQL with TLS (MLFLOW_MYSQL_SSL_*)', () => {
  let proc: ChildProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    proc?.kill('SIGKILL');
    proc = undefined;
    await drop?.();
    drop = undefined;
  });

  /** A fresh database on the scripts/db server, its URI for the TLS user, and the client certificate files. */
  async function tlsDatabase() {
    const tls = await testMysqlTls();
    if (tls === undefined) return undefined;
    const db = await testDatabaseUri('mysql');
    drop = db.drop;
    const uri = new URL(tls.uri);
    uri.pathname = new URL(db.uri).pathname;
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-tls-'));
    return { uri: uri.toString(), ssl: tls.ssl, cwd };
  }

  it(
    'starts as the X509-only user with the client certificate, and serves requests',
    async () => {
      const db = await tlsDatabase();
      if (db === undefined) {
        // only when the server is not the scripts/db one (no certificates to use)
        expect(process.env.MLTRACK_TEST_MYSQL_URI).toBeTruthy();
        return;
      }
      const server = await startServer(
        db.cwd,
        ['--backend-store-uri', db.uri, '--artifacts-destination', db.cwd],
        envWith({
          MLFLOW_MYSQL_SSL_CA: db.ssl.ca,
          MLFLOW_MYSQL_SSL_CERT: db.ssl.cert,
          MLFLOW_MYSQL_SSL_KEY: db.ssl.key,
        }),
      );
      proc = server.proc;

      const created = await post(server.url, 'experiments/create', { name: 'over-tls' });
      expect(created.status).toBe(200);
      const id = ((await created.json()) as { experiment_id: string }).experiment_id;
      const got = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=${id}`);
      expect(got.status).toBe(200);
      const exp = ((await got.json()) as { experiment: { experiment_id: string; name: string } }).experiment;
      expect([exp.experiment_id, exp.name]).toEqual([id, 'over-tls']);
      expect(proc.exitCode).toBeNull();
    },
    DATABASE_SETUP_TIMEOUT_MS,
  );

  it(
    'refuses to start as the X509-only user without MLFLOW_MYSQL_SSL_* (access denied)',
    async () => {
      const db = await tlsDatabase();
      if (db === undefined) {
        expect(process.env.MLTRACK_TEST_MYSQL_URI).toBeTruthy();
        return;
      }
      const res = await serverStartFailure(
        db.cwd,
        ['--backend-store-uri', db.uri, '--artifacts-destination', db.cwd],
        envWith(),
      );
      expect(res, res.output).toMatchObject({ listening: false, timedOut: false });
      expect(res.code, res.output).not.toBe(0);
      expect(res.code, res.output).not.toBeNull();
      expect(res.output).toMatch(/access denied/i);
      expect(res.output).toContain('mltrack_tls');
      // the password never shows up in the error
      expect(res.output).not.toMatch(/mltrack_tls:mltrack@/);
    },
    DATABASE_SETUP_TIMEOUT_MS,
  );
});
