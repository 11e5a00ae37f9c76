import type { StoreOptions, TrackingStore } from './types.js';

/**
 * Backend store by URI scheme. Each driver is imported lazily, so an install that only uses SQLite never loads a
 * PostgreSQL, MySQL or AWS client.
 */
export async function openStore(uri: string, opts: StoreOptions & { cwd: string }): Promise<TrackingStore> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  const base = scheme.split('+')[0];
  switch (base) {
    case 'sqlite': {
      const { openSqliteStore } = await import('./sql/sqlite/sqlite-store.js');
      return openSqliteStore(uri, opts);
    }
    case 'postgresql':
    case 'postgres':
    case 'mysql':
    case 'mssql':
    case 'dynamodb':
      throw new Error(
        `Backend store '${base}' is not supported by this mltrack build yet (URI: ${redact(uri)}).`,
      );
    default:
      throw new Error(
        `Unsupported backend store URI '${redact(uri)}'. Supported: sqlite:///<path> (more backends are coming).`,
      );
  }
}

/** Hide credentials in URIs that end up in messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
