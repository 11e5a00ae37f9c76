/** A numbered, frozen schema step. Each dialect carries its own DDL; a step runs in one transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  /** PostgreSQL DDL. Text columns are COLLATE "C" (byte order, as SQLite's BINARY and MySQL's utf8mb4_bin). */
  readonly postgres: string;
  /**
   * MySQL/MariaDB DDL, run on a session with ANSI_QUOTES (so `"key"` and `"schema"`, reserved words there, are
   * quoted identifiers). MySQL commits DDL implicitly: a step is not atomic there.
   */
  readonly mysql: string;
}
