import type { SqlConnectionOptions } from '../types.js';
import type { SqlDb } from './sql-db.js';

/** The database scheme of a backend URI: MLflow's SQLAlchemy forms (`postgresql+psycopg2`, `mysql+pymysql`) too. */
export function sqlScheme(uri: string): 'sqlite' | 'postgres' | 'mysql' | undefined {
  const base = (/^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '').split('+')[0];
  if (base === 'sqlite') return 'sqlite';
  if (base === 'postgresql' || base === 'postgres') return 'postgres';
  if (base === 'mysql' || base === 'mariadb') return 'mysql';
  return undefined;
}

/** A connection for a SQL backend URI; each driver is imported only when its scheme is used. */
export async function openSqlDb(uri: string, opts: SqlConnectionOptions & { cwd: string }): Promise<SqlDb> {
  switch (sqlScheme(uri)) {
    case 'sqlite': {
      const { SqliteSqlDb, sqliteFileFromUri } = await import('./sqlite/sqlite-sql-db.js');
      return new SqliteSqlDb(sqliteFileFromUri(uri, opts.cwd));
    }
    case 'postgres': {
      const { openPgDb } = await import('./postgres/pg-db.js');
      return openPgDb(uri, opts.pool ?? {});
    }
    case 'mysql': {
      const { openMysqlDb } = await import('./mysql/mysql-db.js');
      return openMysqlDb(uri, opts.mysqlSsl ? { ...opts.pool, ssl: opts.mysqlSsl } : (opts.pool ?? {}));
    }
    default:
      throw new Error(`Not a SQL database URI: ${uri.split(':')[0]}:`);
  }
}
