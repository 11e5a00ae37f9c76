import { MlflowError } from '../../../domain/errors.js';
import { LATEST_SCHEMA_VERSION, migrations } from '../migrations/index.js';
import type { SqliteDb } from './sqlite-db.js';

const VERSION_TABLE = 'mltrack_schema_version';

export function currentSchemaVersion(db: SqliteDb): number | null {
  const t = db.get(`SELECT name FROM sqlite_master WHERE type='table' AND name=?`, [VERSION_TABLE]);
  if (t === undefined) return null;
  const row = db.get<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${VERSION_TABLE}`);
  return row?.v ?? 0;
}

function isEmptyDatabase(db: SqliteDb): boolean {
  const row = db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type='table'`);
  return (row?.n ?? 0) === 0;
}

/** Applies every pending migration, each in its own transaction. Returns the versions applied. */
export function upgradeSchema(db: SqliteDb): number[] {
  const applied: number[] = [];
  db.tx(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
    );
  });
  for (const m of migrations) {
    db.tx(() => {
      const done = db.get(`SELECT version FROM ${VERSION_TABLE} WHERE version = ?`, [m.version]);
      if (done !== undefined) return;
      db.exec(m.sqlite);
      db.run(`INSERT INTO ${VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    });
  }
  return applied;
}

/**
 * Start-up check: an empty database gets the full schema; an older or newer schema is refused with a message
 * naming both versions and the command to run, and nothing is changed.
 */
export function ensureSchema(db: SqliteDb, uri: string): void {
  const version = currentSchemaVersion(db);
  if (version === null) {
    if (!isEmptyDatabase(db)) {
      throw new MlflowError(
        'INVALID_STATE',
        `The database at ${uri} holds tables that are not an mltrack schema; refusing to use it.`,
      );
    }
    upgradeSchema(db);
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
