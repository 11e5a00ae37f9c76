import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { Params, SqlDb } from '../sql-db.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { SqliteDb } from './sqlite-db.js';

/** `sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite://` or `sqlite:///:memory:` → a file path. */
export function sqliteFileFromUri(uri: string, cwd: string): string {
  const m = /^sqlite:\/\/(\/?)(.*)$/.exec(uri);
  if (m === null) throw new Error(`Not a SQLite URI: ${uri}`);
  const rest = (m[2] ?? '').split('?')[0] ?? '';
  if (rest === '' || rest === ':memory:') return ':memory:';
  return path.isAbsolute(rest) ? rest : path.resolve(cwd, rest.startsWith('/') ? rest.slice(1) : rest);
}

/**
 * WAL size at which the checkpoint worker starts: SQLite's own default threshold (1000 pages of 4 KiB). A smaller
 * WAL is cheap to keep, and the worker (a thread with its own V8 isolate and Node environment: 11-15 MB of RSS,
 * measured) is not worth starting for it: a fresh database's schema leaves a WAL of about 200 KB, so an idle or
 * lightly used server runs without the thread.
 */
const CHECKPOINTER_START_BYTES = 4 * 1024 * 1024;

/**
 * The SqlDb interface over one synchronous node:sqlite connection.
 *
 * - A transaction holds the connection across awaits, so it takes a lock: statements from other async paths wait
 *   until it ends (they would otherwise run inside it and see, or be undone with, its uncommitted rows). With no
 *   transaction open, a statement runs at once.
 * - Durability: a write is acknowledged only once it is on disk. Commits run with synchronous=NORMAL and the store
 *   awaits an fdatasync of the WAL (shared by every commit made before it started) after each write transaction
 *   and each autocommit write. The WAL checkpoint worker starts once the WAL reaches CHECKPOINTER_START_BYTES.
 */
export class SqliteSqlDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  readonly db: SqliteDb;
  private readonly inTx = new AsyncLocalStorage<true>();
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  private checkpointer: Checkpointer | undefined;
  /** Read-only connections for stream(), one per stream in flight (a couple kept idle for the next ones). */
  private readonly idleReaders: DatabaseSync[] = [];
  private readonly openReaders = new Set<DatabaseSync>();

  constructor(private readonly file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new SqliteDb(file);
    // Background checkpoints (the worker starts once the WAL reaches CHECKPOINTER_START_BYTES); the connection's
    // own threshold (16k pages ≈ 64 MB) is only a safety net.
    if (file !== ':memory:') this.db.exec('PRAGMA wal_autocheckpoint = 16000');
  }

  private async acquire(): Promise<void> {
    while (this.locked) await new Promise<void>((r) => this.waiters.push(r));
    this.locked = true;
  }

  private release(): void {
    this.locked = false;
    this.waiters.shift()?.();
  }

  /** Runs a synchronous statement now if the connection is free (or ours), else after the open transaction. */
  private async use<T>(fn: () => T): Promise<T> {
    if (this.inTx.getStore() === true || !this.locked) return fn();
    await this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  private async durable(): Promise<void> {
    if (this.file === ':memory:') return;
    if (this.checkpointer === undefined && this.db.walBytes() >= CHECKPOINTER_START_BYTES) {
      this.checkpointer = new Checkpointer(this.file);
    }
    await this.db.durable();
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return this.use(() => this.db.all<T>(sql, params as SQLInputValue[]));
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.use(() => this.db.get<T>(sql, params as SQLInputValue[]));
  }

  rows(sql: string, params: Params = []): Promise<unknown[][]> {
    return this.use(() => this.db.rows(sql, params as SQLInputValue[]));
  }

  /**
   * Each stream reads through its own read-only connection (WAL: a reader never blocks the writer), so its
   * snapshot starts with the stream, writes on the main connection go on meanwhile, and two streams never share
   * a read transaction (a later one would see an earlier one's older snapshot). A statement iterator steps the
   * cursor; SQLite spills large sorts to temporary files rather than holding them in memory.
   */
  async *stream(sql: string, params: Params, chunkRows: number): AsyncIterable<unknown[][]> {
    if (this.file === ':memory:') {
      // an in-memory database has no second connection; read it at once
      const rows = await this.rows(sql, params);
      for (let i = 0; i < rows.length; i += chunkRows) yield rows.slice(i, i + chunkRows);
      return;
    }
    const conn = this.idleReaders.pop() ?? this.openReader();
    const stmt = conn.prepare(sql);
    stmt.setReturnArrays(true);
    const it = stmt.iterate(...(params as SQLInputValue[]));
    try {
      for (;;) {
        const chunk: unknown[][] = [];
        while (chunk.length < chunkRows) {
          const r = it.next();
          if (r.done === true) break;
          chunk.push(r.value as unknown as unknown[]);
        }
        if (chunk.length > 0) yield chunk;
        if (chunk.length < chunkRows) return;
      }
    } finally {
      it.return?.();
      if (this.openReaders.has(conn) && this.idleReaders.length < 2) this.idleReaders.push(conn);
      else this.closeReader(conn);
    }
  }

  private openReader(): DatabaseSync {
    const conn = new DatabaseSync(this.file, { readOnly: true, timeout: 20000 });
    // a small page cache, and sorts beyond it spill to temporary files instead of the heap
    conn.exec('PRAGMA cache_size = -16384');
    conn.exec('PRAGMA temp_store = FILE');
    this.openReaders.add(conn);
    return conn;
  }

  private closeReader(conn: DatabaseSync): void {
    this.openReaders.delete(conn);
    if (conn.isOpen) conn.close();
  }

  async run(sql: string, params: Params = []): Promise<{ changes: number }> {
    const r = await this.use(() => this.db.run(sql, params as SQLInputValue[]));
    if (this.inTx.getStore() !== true) await this.durable();
    return { changes: r.changes };
  }

  async runMany(sql: string, paramLists: readonly Params[]): Promise<void> {
    await this.tx(async () => {
      const stmt = this.db.stmt(sql);
      for (const p of paramLists) stmt.run(...(p as SQLInputValue[]));
    });
  }

  async insertReturningId(sql: string, params: Params, _idColumn?: string): Promise<number> {
    const r = await this.use(() => this.db.run(sql, params as SQLInputValue[]));
    if (this.inTx.getStore() !== true) await this.durable();
    return r.lastInsertRowid;
  }

  async exec(sql: string): Promise<void> {
    await this.use(() => this.db.exec(sql));
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx.getStore() === true) return fn();
    await this.acquire();
    let out: T;
    try {
      out = await this.inTx.run(true, () => this.db.tx(fn));
    } finally {
      this.release();
    }
    await this.durable();
    return out;
  }

  async close(): Promise<void> {
    for (const conn of [...this.openReaders]) this.closeReader(conn);
    this.idleReaders.length = 0;
    await this.checkpointer?.stop();
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // another process holds the database; its own checkpoints will fold the WAL in
    }
    this.db.close();
  }
}
