import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mysqlConnectionConfig } from '../../src/store/sql/mysql/mysql-db.js';

export type ServerDialect = 'postgres' | 'mysql';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the servers run when no MLTRACK_TEST_*_URI is given (short: unix socket paths live in the datadirs). */
export const TEST_DB_ROOT = '/tmp/mltrack-db';
const DATADIR: Record<ServerDialect, string> = {
  postgres: `${TEST_DB_ROOT}/pg`,
  mysql: `${TEST_DB_ROOT}/my`,
};
const START: Record<ServerDialect, string> = { postgres: 'start-postgres.sh', mysql: 'start-mariadb.sh' };

/** Time for a first install (apt) plus server start; use it as the beforeAll timeout. */
export const DATABASE_SETUP_TIMEOUT_MS = 15 * 60_000;

const servers = new Map<ServerDialect, Promise<string>>();

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: REPO, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * The URI of a server for dialect: MLTRACK_TEST_POSTGRES_URI / MLTRACK_TEST_MYSQL_URI when set, else the server
 * scripts/db runs under /tmp/mltrack-db/{pg,my} (installed and started on first use, under a lock so parallel test
 * files do it once, and left running for later test files).
 */
export function testServerUri(dialect: ServerDialect): Promise<string> {
  const env =
    dialect === 'postgres' ? process.env.MLTRACK_TEST_POSTGRES_URI : process.env.MLTRACK_TEST_MYSQL_URI;
  if (env !== undefined && env !== '') return Promise.resolve(env);
  let p = servers.get(dialect);
  if (p === undefined) {
    p = (async () => {
      fs.mkdirSync(TEST_DB_ROOT, { recursive: true, mode: 0o755 });
      const script = `scripts/db/install.sh >&2 && scripts/db/${START[dialect]} ${DATADIR[dialect]}`;
      // -o: the lock fd must not leak into the server daemons, or it would stay locked while they run
      const out = await run(
        'flock',
        ['-o', `${TEST_DB_ROOT}/.lock`, 'bash', '-c', script],
        DATABASE_SETUP_TIMEOUT_MS,
      );
      const uri = out.trim().split('\n').pop() ?? '';
      if (!/^(postgresql|mysql):\/\//.test(uri)) throw new Error(`${START[dialect]} printed no URI: ${out}`);
      return uri;
    })();
    servers.set(dialect, p);
  }
  return p;
}

function withDatabase(serverUri: string, database: string): string {
  const u = new URL(serverUri);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh, uniquely named, empty database on the dialect's test server (MySQL: utf8mb4/utf8mb4_bin), and `drop()`
 * to remove it (close your pools first; PostgreSQL's drop forces remaining sessions out anyway).
 */
export async function testDatabaseUri(
  dialect: ServerDialect,
): Promise<{ uri: string; drop(): Promise<void> }> {
  const server = await testServerUri(dialect);
  const name = `mltrack_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (dialect === 'postgres') {
    const admin = async (sql: string): Promise<void> => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await admin(`CREATE DATABASE ${name}`);
    return {
      uri: withDatabase(server, name),
      drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const cfg = mysqlConnectionConfig(server);
  const admin = async (sql: string): Promise<void> => {
    const c = await mysql.createConnection({
      host: cfg.host,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password,
    });
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  return { uri: withDatabase(server, name), drop: () => admin(`DROP DATABASE IF EXISTS ${name}`) };
}

/**
 * The TLS-only MariaDB user (REQUIRE X509) of the scripts/db server and its client certificate files, or
 * undefined when the server is not ours (MLTRACK_TEST_MYSQL_URI set without MLTRACK_TEST_MYSQL_TLS_DIR).
 */
export async function testMysqlTls(): Promise<
  { uri: string; ssl: { ca: string; cert: string; key: string } } | undefined
> {
  const server = await testServerUri('mysql');
  const envDir = process.env.MLTRACK_TEST_MYSQL_TLS_DIR;
  const ours = process.env.MLTRACK_TEST_MYSQL_URI === undefined || process.env.MLTRACK_TEST_MYSQL_URI === '';
  const dir = envDir !== undefined && envDir !== '' ? envDir : ours ? `${DATADIR.mysql}/tls` : undefined;
  if (dir === undefined || !fs.existsSync(`${dir}/client-key.pem`)) return undefined;
  const u = new URL(server);
  u.username = 'mltrack_tls';
  u.password = 'mltrack';
  return {
    uri: u.toString(),
    ssl: { ca: `${dir}/ca.pem`, cert: `${dir}/client-cert.pem`, key: `${dir}/client-key.pem` },
  };
}
