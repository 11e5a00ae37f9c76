import type { Command } from 'commander';
import { LATEST_SCHEMA_VERSION } from '../store/sql/migrations/index.js';

/** `mltrack db upgrade <uri>` and `mltrack db current <uri>` (SQLite today; other dialects arrive with their stores). */
export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('Database schema commands');
  db.command('upgrade')
    .argument('<uri>', 'database URI, e.g. sqlite:///mlflow.db')
    .description('Upgrade the schema to the version this mltrack expects')
    .action(async (uri: string) => {
      const { db: sdb, close } = await openSqlite(uri);
      try {
        const { upgradeSchema, currentSchemaVersion } = await import('../store/sql/sqlite/sqlite-migrate.js');
        const applied = upgradeSchema(sdb);
        process.stdout.write(
          applied.length > 0
            ? `Applied migrations ${applied.join(', ')}; schema version is now ${currentSchemaVersion(sdb)}.\n`
            : `Schema is already at version ${LATEST_SCHEMA_VERSION}.\n`,
        );
      } finally {
        close();
      }
    });
  db.command('current')
    .argument('<uri>', 'database URI')
    .description('Print the schema version of a database')
    .action(async (uri: string) => {
      const { db: sdb, close } = await openSqlite(uri);
      try {
        const { currentSchemaVersion } = await import('../store/sql/sqlite/sqlite-migrate.js');
        const v = currentSchemaVersion(sdb);
        process.stdout.write(
          `${v === null ? 'none (empty database)' : v} (this mltrack expects ${LATEST_SCHEMA_VERSION})\n`,
        );
      } finally {
        close();
      }
    });
}

async function openSqlite(uri: string) {
  if (!uri.startsWith('sqlite:'))
    throw new Error(`db commands support sqlite:// URIs in this build (got ${uri.split(':')[0]}:)`);
  const { SqliteDb } = await import('../store/sql/sqlite/sqlite-db.js');
  const { sqliteFileFromUri } = await import('../store/sql/sqlite/sqlite-store.js');
  const db = new SqliteDb(sqliteFileFromUri(uri, process.cwd()));
  return { db, close: () => db.close() };
}
