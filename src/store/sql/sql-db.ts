/**
 * The one connection interface the shared SQL store runs on. Each dialect (SQLite, PostgreSQL, MySQL/MariaDB)
 * implements it in its own folder; everything above it is dialect-neutral SQL with `?` placeholders (drivers
 * rewrite them, e.g. to `$1` for PostgreSQL) plus the statements that differ by dialect, built in statements.ts.
 *
 * Transactions: `tx(fn)` runs fn in one transaction and every call made inside fn (found through the async
 * context, so helpers need no handle) runs on that transaction's connection; a nested `tx` joins the outer one.
 * A throw rolls everything back. Outside a transaction each call runs on its own (autocommit).
 */

export type SqlValue = string | number | bigint | null | Uint8Array;
export type Params = readonly SqlValue[];
export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export interface SqlDb {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  /** Rows as arrays in SELECT column order (cheaper than objects for bulk reads). */
  rows(sql: string, params?: Params): Promise<unknown[][]>;
  /**
   * A SELECT's rows as arrays, in chunks of up to `chunkRows`, read through a cursor so that memory stays bounded
   * whatever the result's size. It runs on a connection of its own (never in the caller's transaction) and reads one
   * snapshot; ending the loop early closes the cursor and frees the connection.
   */
  stream(sql: string, params: Params, chunkRows: number): AsyncIterable<unknown[][]>;
  run(sql: string, params?: Params): Promise<{ changes: number }>;
  /** Runs one statement per parameter list (prepared once where the driver can). */
  runMany(sql: string, paramLists: readonly Params[]): Promise<void>;
  /** An INSERT into a table with an integer surrogate key; resolves with the generated key. */
  insertReturningId(sql: string, params: Params, idColumn: string): Promise<number>;
  /** Statements without parameters (DDL), possibly several separated by `;`. */
  exec(sql: string): Promise<void>;
  tx<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
