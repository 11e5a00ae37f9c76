import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, type Kysely, type QueryResult, type Transaction } from 'kysely';
import { MlflowError } from '../../domain/errors.js';
import type { Dialect, Params, SqlDb, SqlValue } from './sql-db.js';
import { batches, type InsertTemplate, multiRowSql, TextCache } from './sql-text.js';

/** Raw SQL only: no table types. */
// biome-ignore lint/complexity/noBannedTypes: Kysely needs a database type; mltrack never uses its query builder
export type NoSchema = {};

/** Pool settings shared by the PostgreSQL and MySQL drivers. */
export interface PoolOptions {
  /** Most connections open at once (MLflow: MLFLOW_SQLALCHEMYSTORE_POOL_SIZE + MAX_OVERFLOW). Default 10. */
  readonly max?: number;
  /** An idle connection older than this is closed (PostgreSQL) or not reused (MySQL). Default 30000. */
  readonly idleTimeoutMillis?: number;
  /**
   * Longest wait for a connection, new or from a busy pool, before the call fails with TEMPORARILY_UNAVAILABLE
   * (so requests never hang on a dead server or an exhausted pool). Default 5000.
   */
  readonly connectionTimeoutMillis?: number;
  /** Connections older than this are closed instead of reused (MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE); 0 = never. */
  readonly maxLifetimeSeconds?: number;
}

export const POOL_DEFAULTS = {
  max: 10,
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
  maxLifetimeSeconds: 0,
} as const;

/**
 * Prefix that makes the PostgreSQL/MySQL connection wrappers return rows as arrays (Kysely passes only the SQL
 * text and parameters down, so the request rides on the text; the wrappers strip it). A comment, so harmless.
 */
export const ROWS_MARK = '/*mltrack:rows*/';

/** Limits for one multi-row statement built by runMany. */
export interface BatchLimits {
  readonly maxParams: number;
  readonly maxRows: number;
  readonly maxBytes: number;
}

/** The errors of e: itself, its AggregateError members and its causes. */
export function errorChain(e: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth > 5 || typeof x !== 'object' || x === null) return;
    const r = x as Record<string, unknown>;
    out.push(r);
    if (Array.isArray(r['errors'])) for (const y of r['errors']) walk(y, depth + 1);
    if (r['cause'] !== undefined) walk(r['cause'], depth + 1);
  };
  walk(e, 0);
  return out;
}

/** Socket-level failures: the server is down, restarting or unreachable. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** The URI with its password hidden, for messages. */
export function redact(uri: string): string {
  return uri.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

export function unavailable(e: unknown): MlflowError {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new MlflowError(
    'TEMPORARILY_UNAVAILABLE',
    `The database is temporarily unavailable, retry later: ${msg}`,
  );
  err.cause = e;
  return err;
}

/**
 * The shared core of the Kysely-based drivers: raw SQL through `executeQuery`, transactions found through an
 * AsyncLocalStorage (so every call inside `tx(fn)`, at any depth, runs on the transaction's connection), and
 * runMany as multi-row statements where that keeps its meaning.
 */
export abstract class KyselySqlDb implements SqlDb {
  abstract readonly dialect: Dialect;
  private readonly als = new AsyncLocalStorage<Transaction<NoSchema>>();
  private readonly templates = new TextCache<InsertTemplate | undefined>();

  constructor(protected readonly kysely: Kysely<NoSchema>) {}

  /** The driver's form of a `?`-placeholder statement (cached when `cache`). */
  protected abstract text(sql: string, cache: boolean): string;
  /** Driver errors → MlflowError where the condition is transient (503) or the client's fault (400). */
  protected abstract mapError(e: unknown): unknown;
  /** The multi-row form of a one-row INSERT, or undefined to run it row by row. */
  protected abstract insertTemplate(sql: string): InsertTemplate | undefined;
  protected abstract readonly batchLimits: BatchLimits;
  abstract stream(sql: string, params: Params, chunkRows: number): AsyncIterable<unknown[][]>;

  /**
   * The dialect's faster single statement for many rows of one INSERT template (PostgreSQL: unnest of one array
   * per column), or undefined to send the multi-row VALUES form.
   */
  protected async bulkInsert(
    _t: InsertTemplate,
    _rows: readonly Params[],
  ): Promise<{ sql: string; params: SqlValue[] } | undefined> {
    return undefined;
  }

  /** True inside `tx(fn)`. */
  inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  protected async query(sql: string, params: Params = [], cache = true): Promise<QueryResult<unknown>> {
    const ex = this.als.getStore() ?? this.kysely;
    try {
      return await ex.executeQuery(CompiledQuery.raw(this.text(sql, cache), params.slice()));
    } catch (e) {
      throw this.mapError(e);
    }
  }

  async all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async rows(sql: string, params?: Params): Promise<unknown[][]> {
    return (await this.query(ROWS_MARK + sql, params)).rows as unknown[][];
  }

  async run(sql: string, params?: Params): Promise<{ changes: number }> {
    const r = await this.query(sql, params);
    return { changes: Number(r.numAffectedRows ?? 0n) };
  }

  /**
   * One transaction (the caller's, or its own); an INSERT whose only placeholders are its one VALUES tuple runs
   * as multi-row statements (see insertTemplate), anything else once per parameter list.
   */
  async runMany(sql: string, paramLists: readonly Params[]): Promise<void> {
    if (paramLists.length === 0) return;
    if (paramLists.length === 1) {
      await this.run(sql, paramLists[0]);
      return;
    }
    const t = this.templates.get(sql, (s) => this.insertTemplate(s));
    const multi = t !== undefined && paramLists.every((p) => p.length === t.paramsPerRow);
    await this.tx(async () => {
      if (!multi) {
        for (const p of paramLists) await this.query(sql, p);
        return;
      }
      for (const batch of batches(paramLists, t.paramsPerRow, this.batchLimits)) {
        if (batch.length === 1) {
          await this.query(sql, batch[0] ?? []);
          continue;
        }
        const bulk = await this.bulkInsert(t, batch);
        if (bulk !== undefined) await this.query(bulk.sql, bulk.params);
        else await this.query(multiRowSql(t, batch.length), batch.flat(), false);
      }
    });
  }

  abstract insertReturningId(sql: string, params: Params, idColumn: string): Promise<number>;
  abstract exec(sql: string): Promise<void>;

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.als.getStore() !== undefined) return fn();
    let failure: { e: unknown } | undefined;
    try {
      return await this.kysely.transaction().execute((trx) =>
        this.als.run(trx, async () => {
          try {
            return await fn();
          } catch (e) {
            failure = { e };
            throw e;
          }
        }),
      );
    } catch (e) {
      // fn's own error wins over a failed ROLLBACK after it (e.g. the connection died)
      throw this.mapError(failure !== undefined ? failure.e : e);
    }
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}
