import { copyFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseSqlConnectionOptions } from '../config/config.js';
import { redact } from '../store/redact.js';
import { LATEST_SCHEMA_VERSION } from '../store/sql/migrations/index.js';
import type { SqlDb } from '../store/sql/sql-db.js';

/** `mltrack db upgrade <uri>` and `mltrack db current <uri>` for SQLite, PostgreSQL and MySQL/MariaDB URIs. */
export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('Database schema commands');
  db.command('upgrade')
    .argument('<uri>', 'database URI, e.g. sqlite:///mlflow.db or postgresql://user:pass@host/db')
    .description('Upgrade the schema to the version this mltrack expects (a SQLite file is backed up first)')
    .action(async (uri: string) => {
      await withDb(uri, async (sdb) => {
        const { upgradeSchema, currentSchemaVersion } = await import('../store/sql/migrate.js');
        const before = await currentSchemaVersion(sdb);
        if (sdb.dialect === 'sqlite' && before !== null && before < LATEST_SCHEMA_VERSION) {
          const { sqliteFileFromUri } = await import('../store/sql/sqlite/sqlite-sql-db.js');
          const file = sqliteFileFromUri(uri, process.cwd());
          if (file !== ':memory:') {
            // A consistent copy: fold the WAL in first.
            await sdb.exec('PRAGMA wal_checkpoint(TRUNCATE)');
            const backup = `${file}.backup-v${before}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
            await copyFile(file, backup);
            process.stdout.write(`Backed up ${file} to ${backup}.\n`);
          }
        }
        const applied = await upgradeSchema(sdb);
        process.stdout.write(
          applied.length > 0
            ? `Applied migrations ${applied.join(', ')}; schema version is now ${await currentSchemaVersion(sdb)}.\n`
            : `Schema is already at version ${LATEST_SCHEMA_VERSION}.\n`,
        );
      });
    });
  db.command('current')
    .argument('<uri>', 'database URI')
    .description('Print the schema version of a database')
    .action(async (uri: string) => {
      await withDb(uri, async (sdb) => {
        const { currentSchemaVersion } = await import('../store/sql/migrate.js');
        const v = await currentSchemaVersion(sdb);
        process.stdout.write(
          `${v === null ? 'none (empty database)' : v} (this mltrack expects ${LATEST_SCHEMA_VERSION})\n`,
        );
      });
    });
}

async function withDb(uri: string, fn: (db: SqlDb) => Promise<void>): Promise<void> {
  const { openSqlDb, sqlScheme } = await import('../store/sql/open-sql-db.js');
  if (sqlScheme(uri) === undefined) {
    throw new Error(`db commands take sqlite://, postgresql:// or mysql:// URIs (got ${redact(uri)})`);
  }
  const sdb = await openSqlDb(uri, { ...parseSqlConnectionOptions(process.env), cwd: process.cwd() });
  try {
    await fn(sdb);
  } finally {
    await sdb.close();
  }
}
