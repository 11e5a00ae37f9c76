import { redact } from './redact.js';
import type { StoreOptions, TrackingStore } from './types.js';

export { redact };

/**
 * Backend store by URI scheme. Each driver is imported lazily, so an install that only uses SQLite never loads a
 * PostgreSQL, MySQL or AWS client.
 */
export async function openStore(uri: string, opts: StoreOptions & { cwd: string }): Promise<TrackingStore> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  const base = scheme.split('+')[0];
  switch (base) {
    case 'sqlite':
    case 'postgresql':
    case 'postgres':
    case 'mysql':
    case 'mariadb': {
      const { openSqlDb } = await import('./sql/open-sql-db.js');
      const { SqlStore } = await import('./sql/shared/sql-store.js');
      return SqlStore.open(await openSqlDb(uri, opts), uri, opts);
    }
    case 'mssql':
      throw new Error(
        `Microsoft SQL Server is not supported yet (URI: ${redact(uri)}). Use sqlite:///, postgresql:// or mysql://.`,
      );
    case 'dynamodb': {
      const { DynamoStore } = await import('./dynamodb/dynamo-store.js');
      return DynamoStore.open(uri, opts);
    }
    default:
      throw new Error(
        `Unsupported backend store URI '${redact(uri)}'. Supported: sqlite:///<path>, postgresql://…, mysql://….`,
      );
  }
}
