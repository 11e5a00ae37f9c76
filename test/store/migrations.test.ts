import { afterEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/domain/errors.js';
import { currentSchemaVersion, ensureSchema, upgradeSchema } from '../../src/store/sql/migrate.js';
import {
  LATEST_SCHEMA_VERSION,
  migrations,
  SCHEMA_VERSION_DDL,
} from '../../src/store/sql/migrations/index.js';
import { openSqlDb } from '../../src/store/sql/open-sql-db.js';
import type { Dialect, SqlDb } from '../../src/store/sql/sql-db.js';
import { testDatabaseUri } from '../helpers/databases.js';

const TABLES: Record<Dialect, string> = {
  sqlite: `SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
  postgres: `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
  mysql: `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name`,
};

async function fresh(dialect: Dialect): Promise<{ db: SqlDb; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const db = await openSqlDb('sqlite:///:memory:', { cwd: '/tmp' });
    return { db, drop: async () => {} };
  }
  const t = await testDatabaseUri(dialect);
  return { db: await openSqlDb(t.uri, { cwd: '/tmp' }), drop: t.drop };
}

/** A database as an earlier mltrack left it: the first `k` migrations applied. */
async function applyFirst(db: SqlDb, k: number): Promise<void> {
  await db.exec(SCHEMA_VERSION_DDL[db.dialect]);
  for (const m of migrations.slice(0, k)) {
    await db.exec(m[db.dialect]);
    await db.run('INSERT INTO mltrack_schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
      m.version,
      m.name,
      1,
    ]);
  }
}

const tables = async (db: SqlDb) => (await db.all<{ t: string }>(TABLES[db.dialect])).map((r) => r.t);

describe.each<Dialect>(['sqlite', 'postgres', 'mysql'])('migrations on %s', (dialect) => {
  const open: { db: SqlDb; drop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.db.close();
      await o.drop();
    }
  });
  const make = async () => {
    const o = await fresh(dialect);
    open.push(o);
    return o.db;
  };

  it('an empty database gets the whole schema; from every earlier schema db upgrade reaches the same tables', async () => {
    const target = await make();
    await ensureSchema(target, 'test://');
    expect(await currentSchemaVersion(target)).toBe(LATEST_SCHEMA_VERSION);
    const want = await tables(target);
    for (let k = 1; k < LATEST_SCHEMA_VERSION; k++) {
      const db = await make();
      await applyFirst(db, k);
      const refused = await ensureSchema(db, 'test://').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MlflowError);
      expect((refused as Error).message).toContain(
        `found version ${k}, but expected ${LATEST_SCHEMA_VERSION}`,
      );
      expect(await currentSchemaVersion(db)).toBe(k); // refusing changed nothing
      expect(await upgradeSchema(db)).toEqual(migrations.slice(k).map((m) => m.version));
      await ensureSchema(db, 'test://');
      expect(await tables(db)).toEqual(want);
      expect(await upgradeSchema(db)).toEqual([]); // idempotent
    }
  }, 120_000);

  it('a newer schema is refused and left alone', async () => {
    const db = await make();
    await ensureSchema(db, 'test://');
    await db.run('INSERT INTO mltrack_schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
      LATEST_SCHEMA_VERSION + 1,
      'from-the-future',
      1,
    ]);
    await expect(ensureSchema(db, 'test://')).rejects.toThrow(/written by a newer mltrack/);
    expect(await currentSchemaVersion(db)).toBe(LATEST_SCHEMA_VERSION + 1);
  }, 60_000);
});
