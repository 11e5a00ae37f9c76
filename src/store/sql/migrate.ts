import { MlflowError } from '../../domain/errors.js';
import { LATEST_SCHEMA_VERSION, migrations, SCHEMA_VERSION_DDL } from './migrations/index.js';
import type { Dialect, SqlDb } from './sql-db.js';

/**
 * Schema versions on every dialect. Each migration runs in one transaction (PostgreSQL and SQLite undo a failed
 * step completely; MySQL commits DDL implicitly, so a failed step there can leave part of it behind) under a lock
 * that makes concurrent upgraders safe: PostgreSQL's transaction-level advisory lock, MySQL's named lock, SQLite's
 * write lock.
 */

const VERSION_TABLE = 'mltrack_schema_version';
const LOCK_ID = 727_274_001;

const TABLES: Readonly<Record<Dialect, string>> = {
  sqlite: `SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
  postgres: `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()`,
  mysql: `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()`,
};

async function tables(db: SqlDb): Promise<string[]> {
  return (await db.all<{ t: string }>(TABLES[db.dialect])).map((r) => r.t);
}

/** The applied schema version, 0 for a version table without rows, null when there is none. */
export async function currentSchemaVersion(db: SqlDb): Promise<number | null> {
  if (!(await tables(db)).includes(VERSION_TABLE)) return null;
  const row = await db.get<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${VERSION_TABLE}`);
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}

async function lock(db: SqlDb): Promise<void> {
  if (db.dialect === 'postgres') await db.get(`SELECT pg_advisory_xact_lock(${LOCK_ID}) AS l`);
  if (db.dialect === 'mysql') {
    const r = await db.get<{ l: number | null }>(`SELECT GET_LOCK('mltrack_migrate', 120) AS l`);
    if (Number(r?.l) !== 1)
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'Another schema upgrade is running.');
  }
}

async function unlock(db: SqlDb): Promise<void> {
  if (db.dialect === 'mysql') await db.get(`SELECT RELEASE_LOCK('mltrack_migrate') AS l`);
}

/** Applies every pending migration in order, each in its own transaction. Returns the versions applied. */
export async function upgradeSchema(db: SqlDb): Promise<number[]> {
  await db.exec(SCHEMA_VERSION_DDL[db.dialect]);
  const applied: number[] = [];
  for (const m of migrations) {
    await db.tx(async () => {
      await lock(db);
      try {
        const done = await db.get(`SELECT version FROM ${VERSION_TABLE} WHERE version = ?`, [m.version]);
        if (done !== undefined) return;
        await db.exec(m[db.dialect]);
        await db.run(`INSERT INTO ${VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [
          m.version,
          m.name,
          Date.now(),
        ]);
        applied.push(m.version);
      } finally {
        await unlock(db);
      }
    });
  }
  return applied;
}

/**
 * Start-up check: an empty database gets the full schema; an older or newer schema is refused with a message
 * naming both versions and the command to run, and nothing is changed.
 */
export async function ensureSchema(db: SqlDb, uri: string): Promise<void> {
  // Under the migration lock, so servers starting together on an empty database create the schema once and the
  // others wait for it instead of seeing it half-made.
  await db.tx(async () => {
    await lock(db);
    try {
      await checkOrCreate(db, uri);
    } finally {
      await unlock(db);
    }
  });
}

async function checkOrCreate(db: SqlDb, uri: string): Promise<void> {
  const version = await currentSchemaVersion(db);
  if (version === null) {
    if ((await tables(db)).length > 0) {
      throw new MlflowError(
        'INVALID_STATE',
        `The database at ${uri} holds tables that are not an mltrack schema; refusing to use it.`,
      );
    }
    await upgradeSchema(db);
    return;
  }
  if (version < LATEST_SCHEMA_VERSION) {
    throw new MlflowError(
      'INVALID_STATE',
      `Detected out-of-date database schema (found version ${version}, but expected ${LATEST_SCHEMA_VERSION}). ` +
        `Take a backup of your database, then run 'mltrack db upgrade ${uri}' to migrate it.`,
    );
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new MlflowError(
      'INVALID_STATE',
      `The database schema (version ${version}) was written by a newer mltrack than this one ` +
        `(expects ${LATEST_SCHEMA_VERSION}). Upgrade mltrack.`,
    );
  }
}
