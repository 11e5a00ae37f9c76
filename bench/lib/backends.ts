import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createDatabase } from '../../scripts/db/servers.js';
import { MYSQL_SESSION_SETUP, mysqlConnectionConfig } from '../../src/store/sql/mysql/mysql-db.js';

/** The store backends a workload can run on. */
export const BACKENDS = ['sqlite', 'postgres', 'mysql'] as const;
export type BenchBackend = (typeof BACKENDS)[number];

export const fileSize = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).size : 0);

/** One fresh database for one workload phase: its mltrack store URI, raw access for floors and sizes. */
export interface BenchDatabase {
  backend: BenchBackend;
  /** The `--backend-store-uri` for mltrack. */
  uri: string;
  /** The SQLite file (sqlite only). */
  file?: string;
  /** Bytes on disk: `.db` + `-wal` after a checkpoint; PostgreSQL pg_database_size; MySQL data + index length. */
  bytes(): Promise<number>;
  /** COUNT(*) of a table. */
  count(table: string): Promise<number>;
  drop(): Promise<void>;
}

/** A one-connection raw client of a server database (the floors run their own SQL through it). */
export async function pgClient(uri: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: uri });
  await c.connect();
  return c;
}

export async function mysqlClient(uri: string): Promise<mysql.Connection> {
  const cfg = mysqlConnectionConfig(uri);
  const c = await mysql.createConnection({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    multipleStatements: false,
  });
  // mltrack's session settings (mysql-db.ts), so the floor's statements mean the same thing
  for (const sql of MYSQL_SESSION_SETUP) await c.query(sql);
  return c;
}

async function pgOne<T>(uri: string, sql: string): Promise<T> {
  const c = await pgClient(uri);
  try {
    return (await c.query(sql)).rows[0] as T;
  } finally {
    await c.end();
  }
}

async function myOne<T>(uri: string, sql: string): Promise<T> {
  const c = await mysqlClient(uri);
  try {
    const [rows] = await c.query(sql);
    return (rows as T[])[0] as T;
  } finally {
    await c.end();
  }
}

/** A fresh database: a new SQLite file under dir, or a new database on the PostgreSQL / MariaDB server. */
export async function freshDatabase(backend: BenchBackend, dir: string): Promise<BenchDatabase> {
  if (backend === 'sqlite') {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'mlflow.db');
    return {
      backend,
      uri: `sqlite:///${file}`,
      file,
      async bytes() {
        const db = new DatabaseSync(file);
        try {
          db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        } finally {
          db.close();
        }
        return fileSize(file) + fileSize(`${file}-wal`);
      },
      async count(table) {
        const db = new DatabaseSync(file, { readOnly: true });
        try {
          return Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
        } finally {
          db.close();
        }
      },
      async drop() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const scratch = await createDatabase(backend, 'mltrack_bench');
  const uri = scratch.uri;
  if (backend === 'postgres') {
    return {
      backend,
      uri,
      async bytes() {
        await pgOne(uri, 'VACUUM ANALYZE');
        const r = await pgOne<{ n: string }>(uri, 'SELECT pg_database_size(current_database()) AS n');
        return Number(r.n);
      },
      async count(table) {
        return Number((await pgOne<{ n: string }>(uri, `SELECT COUNT(*) AS n FROM ${table}`)).n);
      },
      drop: scratch.drop,
    };
  }
  return {
    backend,
    uri,
    async bytes() {
      const c = await mysqlClient(uri);
      try {
        const [tables] = await c.query(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()',
        );
        const names = (tables as { t: string }[]).map((r) => `"${r.t}"`);
        // InnoDB's sizes are statistics: refresh them first
        if (names.length > 0) await c.query(`ANALYZE TABLE ${names.join(', ')}`);
        const [rows] = await c.query(
          'SELECT SUM(data_length + index_length) AS n FROM information_schema.tables WHERE table_schema = DATABASE()',
        );
        return Number((rows as { n: string }[])[0]?.n ?? 0);
      } finally {
        await c.end();
      }
    },
    async count(table) {
      return Number((await myOne<{ n: string }>(uri, `SELECT COUNT(*) AS n FROM ${table}`)).n);
    },
    drop: scratch.drop,
  };
}

/** Raw read access for the query floors: `?` placeholders on every backend, rows as plain objects. */
export interface RawReader {
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A reader on db with the server's own connection settings (SQLite: read-only, 64 MiB page cache). */
export async function rawReader(db: BenchDatabase): Promise<RawReader> {
  if (db.backend === 'sqlite') {
    const s = new DatabaseSync(db.file!, { readOnly: true });
    s.exec('PRAGMA cache_size = -65536');
    s.exec('PRAGMA temp_store = MEMORY');
    const cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();
    return {
      async all(sql, params = []) {
        let st = cache.get(sql);
        if (st === undefined) {
          st = s.prepare(sql);
          cache.set(sql, st);
        }
        return st.all(...(params as (string | number)[])) as Record<string, unknown>[];
      },
      async close() {
        s.close();
      },
    };
  }
  if (db.backend === 'postgres') {
    const c = await pgClient(db.uri);
    return {
      async all(sql, params = []) {
        let i = 0;
        return (
          await c.query(
            sql.replace(/\?/g, () => `$${++i}`),
            params,
          )
        ).rows;
      },
      close: () => c.end(),
    };
  }
  const c = await mysqlClient(db.uri);
  return {
    async all(sql, params = []) {
      return (await c.query(sql, params))[0] as Record<string, unknown>[];
    },
    close: () => c.end(),
  };
}

/** The server's version string (`SELECT version()`) for the report. */
export async function serverVersion(backend: Exclude<BenchBackend, 'sqlite'>): Promise<string> {
  const db = await freshDatabase(backend, '');
  try {
    const r = await rawReader(db);
    try {
      const row = (await r.all('SELECT version() AS v'))[0];
      return String(row?.v ?? row?.V ?? '');
    } finally {
      await r.close();
    }
  } finally {
    await db.drop();
  }
}
