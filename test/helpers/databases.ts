import fs from 'node:fs';
import {
  createDatabase,
  DATABASE_SETUP_TIMEOUT_MS,
  DATADIR,
  DB_ROOT,
  type ServerDialect,
  serverFromEnv,
  serverUri,
} from '../../scripts/db/servers.js';

export type { ServerDialect };
export { DATABASE_SETUP_TIMEOUT_MS };
/** Where the servers run when no MLTRACK_TEST_*_URI is given. */
export const TEST_DB_ROOT = DB_ROOT;

/** The URI of the dialect's test server (scripts/db/servers.ts: from the environment, or started on first use). */
export const testServerUri = serverUri;

/**
 * A fresh, uniquely named, empty database on the dialect's test server (MySQL: utf8mb4/utf8mb4_bin), and `drop()`
 * to remove it (close your pools first; PostgreSQL's drop forces remaining sessions out anyway).
 */
export const testDatabaseUri = (dialect: ServerDialect) => createDatabase(dialect);

/**
 * The TLS-only MariaDB user (REQUIRE X509) of the scripts/db server and its client certificate files, or
 * undefined when the server is not ours (MLTRACK_TEST_MYSQL_URI set without MLTRACK_TEST_MYSQL_TLS_DIR).
 */
export async function testMysqlTls(): Promise<
  { uri: string; ssl: { ca: string; cert: string; key: string } } | undefined
> {
  const server = await testServerUri('mysql');
  const envDir = process.env.MLTRACK_TEST_MYSQL_TLS_DIR;
  const ours = serverFromEnv('mysql') === undefined;
  const dir = envDir !== undefined && envDir !== '' ? envDir : ours ? `${DATADIR.mysql}/tls` : undefined;
  if (dir === undefined || !fs.existsSync(`${dir}/client-key.pem`)) return undefined;
  const u = new URL(server);
  u.username = 'mltrack_tls';
  u.password = 'mltrack';
  return {
    uri: u.toString(),
    ssl: { ca: `${dir}/ca.pem`, cert: `${dir}/client-cert.pem`, key: `${dir}/client-key.pem` },
  };
}
