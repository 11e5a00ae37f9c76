/**
 * PostgreSQL and MariaDB servers for tests and benchmarks, driven from TypeScript: the server of a dialect
 * (MLTRACK_TEST_POSTGRES_URI / MLTRACK_TEST_MYSQL_URI, else the one this folder's scripts run under
 * /tmp/mltrack-db, installed and started on first use) and fresh databases on it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mysqlConnectionConfig } from '../../src/store/sql/mysql/mysql-db.js';

export type ServerDialect = 'postgres' | 'mysql';

/** The repository root, from scripts/db (sources) or dist/scripts/db (compiled). */
export const REPO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes('/dist/') ? '../../..' : '../..',
);
/** Where the servers run when no URI is given (short: unix socket paths live in the datadirs). */
export const DB_ROOT = '/tmp/mltrack-db';
export const DATADIR: Record<ServerDialect, string> = {
  postgres: `${DB_ROOT}/pg`,
  mysql: `${DB_ROOT}/my`,
};
const START: Record<ServerDialect, string> = { postgres: 'start-postgres.sh', mysql: 'start-mariadb.sh' };

/** Time for a first install (apt) plus server start. */
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

/** True when the dialect's server comes from the environment rather than from these scripts. */
export function serverFromEnv(dialect: ServerDialect): string | undefined {
  const env =
    dialect === 'postgres' ? process.env.MLTRACK_TEST_POSTGRES_URI : process.env.MLTRACK_TEST_MYSQL_URI;
  return env !== undefined && env !== '' ? env : undefined;
}

/**
 * The URI of a server for dialect: MLTRACK_TEST_POSTGRES_URI / MLTRACK_TEST_MYSQL_URI when set, else the server
 * scripts/db runs under /tmp/mltrack-db/{pg,my} (installed and started on first use, under a lock so parallel
 * processes do it once, and left running for later ones).
 */
export function serverUri(dialect: ServerDialect): Promise<string> {
  const env = serverFromEnv(dialect);
  if (env !== undefined) return Promise.resolve(env);
  let p = servers.get(dialect);
  if (p === undefined) {
    p = (async () => {
      fs.mkdirSync(DB_ROOT, { recursive: true, mode: 0o755 });
      const script = `scripts/db/install.sh >&2 && scripts/db/${START[dialect]} ${DATADIR[dialect]}`;
      // -o: the lock fd must not leak into the server daemons, or it would stay locked while they run
      const out = await run(
        'flock',
        ['-o', `${DB_ROOT}/.lock`, 'bash', '-c', script],
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

function withDatabase(uri: string, database: string): string {
  const u = new URL(uri);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one administrative statement on the server (outside any database of ours). */
async function admin(dialect: ServerDialect, server: string, sql: string): Promise<void> {
  if (dialect === 'postgres') {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
    return;
  }
  const cfg = mysqlConnectionConfig(server);
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
}

export interface ScratchDatabase {
  uri: string;
  /** Drops it (close your pools first; PostgreSQL's drop forces remaining sessions out anyway). */
  drop(): Promise<void>;
}

/** A fresh, uniquely named, empty database on the dialect's server (MySQL: utf8mb4/utf8mb4_bin). */
export async function createDatabase(dialect: ServerDialect, prefix = 'mltrack_t'): Promise<ScratchDatabase> {
  const server = await serverUri(dialect);
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const create =
    dialect === 'postgres'
      ? `CREATE DATABASE ${name}`
      : `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;
  const drop =
    dialect === 'postgres'
      ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`
      : `DROP DATABASE IF EXISTS ${name}`;
  await admin(dialect, server, create);
  return { uri: withDatabase(server, name), drop: () => admin(dialect, server, drop) };
}
