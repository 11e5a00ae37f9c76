import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { MlflowError } from '../../../domain/errors.js';
import { quoteIdent } from '../dialects.js';
import {
  type BatchLimits,
  errorChain,
  KyselySqlDb,
  NETWORK_CODES,
  type NoSchema,
  POOL_DEFAULTS,
  type PoolOptions,
  ROWS_MARK,
  redact,
  unavailable,
} from '../kysely-db.js';
import type { Params, SqlValue } from '../sql-db.js';
import { type InsertTemplate, insertTemplate, TextCache, toDollarPlaceholders } from '../sql-text.js';

export type PgOptions = PoolOptions;

/** `INSERT INTO <table> (<columns>) VALUES ` of an insert template, and its tuple of plain placeholders. */
const BULK_HEAD = /^\s*INSERT\s+INTO\s+("?[A-Za-z_][A-Za-z0-9_]*"?)\s*\(([^()]*)\)\s*VALUES\s*$/i;
const PLAIN_TUPLE = /^\(\s*\?(\s*,\s*\?)*\s*\)$/;

/** PostgreSQL SQLSTATEs that mean "retry later": serialization failure, deadlock, shutdown, too many clients. */
const TRANSIENT_STATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '53300', // too_many_connections
  '55P03', // lock_not_available
]);

/** pg's own messages for a lost or unobtainable connection (no SQLSTATE, no errno). */
const PG_CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|not queryable|Client was closed|Cannot use a pool after calling end|Connection closed/i;

function isTransientPg(e: unknown): boolean {
  for (const x of errorChain(e)) {
    const code = typeof x['code'] === 'string' ? x['code'] : undefined;
    if (
      code !== undefined &&
      (TRANSIENT_STATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))
    )
      return true;
    // pg's own connection errors carry no SQLSTATE (a server error's message may quote data: not matched)
    const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
    if (!sqlState && typeof x['message'] === 'string' && PG_CONNECTION_MESSAGES.test(x['message']))
      return true;
  }
  return false;
}

/** True for PostgreSQL's unique_violation (SQLSTATE 23505); the error's `code` is '23505'. */
export function isUniqueViolation(e: unknown): boolean {
  return errorChain(e).some((x) => x['code'] === '23505');
}

/**
 * Connection-level failures and serialization failures/deadlocks → TEMPORARILY_UNAVAILABLE (503); a value too
 * long for its column (22001) → INVALID_PARAMETER_VALUE; anything else (a unique violation keeps its `code`
 * '23505') is rethrown as it is.
 */
export function mapPgError(e: unknown): unknown {
  if (e instanceof MlflowError) return e;
  if (isTransientPg(e)) return unavailable(e);
  const first = errorChain(e)[0];
  if (first !== undefined && first['code'] === '22001') {
    const err = new MlflowError('INVALID_PARAMETER_VALUE', `Value too long: ${String(first['message'])}`);
    err.cause = e;
    return err;
  }
  return e;
}

/** int8 (COUNT, BIGINT columns) → number; refuses values beyond 2^53 rather than rounding them. */
function parseInt8(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`BIGINT value ${s} is outside JavaScript's safe integer range`);
  return n;
}

function typeParsers(): pg.CustomTypesConfig {
  const t = new pg.TypeOverrides();
  t.setTypeParser(pg.types.builtins.INT8, parseInt8);
  // numeric (SUM/AVG of BIGINT): a number, as on SQLite and MySQL (decimalNumbers)
  t.setTypeParser(pg.types.builtins.NUMERIC, Number);
  // boolean expressions come back as 1/0, as on SQLite and MySQL
  t.setTypeParser(pg.types.builtins.BOOL, (s: string) => (s === 't' ? 1 : 0));
  // float8/float4 keep pg's parseFloat: 'NaN', 'Infinity' and '-Infinity' become the JS values
  return t;
}

const patched = new WeakSet<object>();

/**
 * Prepares a client the first time the pool hands it out: an 'error' listener (pg emits 'error' on a checked-out
 * client whose server connection dies between queries; without a listener that would crash the process — the next
 * query fails instead) and the ROWS_MARK → rowMode 'array' switch.
 */
function prepareClient(client: pg.PoolClient): void {
  if (patched.has(client)) return;
  patched.add(client);
  client.on('error', () => {
    // the client is unusable now; its next query fails and the pool discards it on release
  });
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text === 'string' && text.startsWith(ROWS_MARK)) {
      return query({ text: text.slice(ROWS_MARK.length), values, rowMode: 'array' });
    }
    return query(...args);
  };
}

/** What Kysely's PostgresDialect sees: pg's pool, with every client prepared (prepareClient) on checkout. */
function kyselyPool(pool: pg.Pool): PostgresPool {
  return {
    options: pool.options,
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      prepareClient(client);
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/** The PostgreSQL SqlDb: Kysely's PostgresDialect over a pg.Pool, raw SQL with `?` rewritten to `$n`. */
export class PgDb extends KyselySqlDb {
  readonly dialect = 'postgres' as const;
  protected readonly batchLimits: BatchLimits = { maxParams: 30_000, maxRows: 1000, maxBytes: 8 << 20 };
  private readonly dollar = new TextCache<string>();

  /** Use openPgDb. */
  constructor(
    kysely: Kysely<NoSchema>,
    /** The underlying pool (for tests and diagnostics: totalCount, idleCount, waitingCount). */
    readonly pool: pg.Pool,
  ) {
    super(kysely);
  }

  protected text(sql: string, cache: boolean): string {
    return cache ? this.dollar.get(sql, toDollarPlaceholders) : toDollarPlaceholders(sql);
  }

  protected mapError(e: unknown): unknown {
    return mapPgError(e);
  }

  /**
   * A server-side cursor (DECLARE … NO SCROLL, then FETCH chunkRows at a time) in a read-only transaction on a
   * pool client held for the stream; ending early rolls back, which closes the cursor.
   */
  async *stream(sql: string, params: Params, chunkRows: number): AsyncIterable<unknown[][]> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw mapPgError(e);
    }
    prepareClient(client);
    let done = false;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE mltrack_stream NO SCROLL CURSOR FOR ${toDollarPlaceholders(sql)}`, [
        ...params,
      ]);
      for (;;) {
        const r = await client.query({
          text: `FETCH ${Math.trunc(chunkRows)} FROM mltrack_stream`,
          rowMode: 'array',
        });
        if (r.rows.length > 0) yield r.rows as unknown[][];
        if (r.rows.length < chunkRows) break;
      }
      await client.query('COMMIT');
      done = true;
    } catch (e) {
      throw mapPgError(e);
    } finally {
      if (!done) {
        try {
          await client.query('ROLLBACK');
        } catch (e) {
          broken = e instanceof Error ? e : new Error(String(e)); // the pool drops this client
        }
      }
      client.release(broken);
    }
  }

  /** Plain INSERTs and `ON CONFLICT ... DO NOTHING`; not DO UPDATE (a row may not be touched twice per statement). */
  protected insertTemplate(sql: string): InsertTemplate | undefined {
    return insertTemplate(sql, {}, (tail) =>
      /^\s*(ON\s+CONFLICT\s*(\([^()]*\))?\s*DO\s+NOTHING\s*)?$/i.test(tail),
    );
  }

  /**
   * `INSERT INTO t (a, b) SELECT * FROM unnest(?::bigint[], ?::text[]) <tail>`: one array parameter per column,
   * typed with the column's own type, instead of a VALUES list of rows × columns parameters (PostgreSQL parses
   * and plans it once per shape; measured ≈ 2× the multi-row form for 1000-point metric batches). Only for a
   * tuple of plain placeholders.
   */
  protected override async bulkInsert(
    t: InsertTemplate,
    rows: readonly Params[],
  ): Promise<{ sql: string; params: SqlValue[] } | undefined> {
    const m = BULK_HEAD.exec(t.head);
    if (m === null || !PLAIN_TUPLE.test(t.tuple)) return undefined;
    const table = (m[1] ?? '').replaceAll('"', '');
    const columns = (m[2] ?? '').split(',').map((c) => c.trim().replaceAll('"', ''));
    if (columns.length !== t.paramsPerRow) return undefined;
    const types = await this.columnTypes(table);
    const casts = columns.map((c) => types.get(c));
    if (casts.some((c) => c === undefined)) return undefined;
    const sql = `${m[0].replace(/VALUES\s*$/i, '')}SELECT * FROM unnest(${casts.map((c) => `?::${c}[]`).join(', ')})${t.tail}`;
    const params = columns.map((_, i) => rows.map((r) => r[i] ?? null)) as unknown as SqlValue[];
    return { sql, params };
  }

  private readonly types = new Map<string, Promise<Map<string, string>>>();

  /** A table's column types as PostgreSQL spells them (`bigint`, `text`, `double precision`), cached. */
  private columnTypes(table: string): Promise<Map<string, string>> {
    let p = this.types.get(table);
    if (p === undefined) {
      p = this.all<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`,
        [table],
      ).then(
        (rows) => new Map(rows.map((r) => [r.name, r.type])),
        (e: unknown) => {
          this.types.delete(table); // ask again next time
          throw e;
        },
      );
      this.types.set(table, p);
    }
    return p;
  }

  async insertReturningId(sql: string, params: Params, idColumn: string): Promise<number> {
    const r = await this.query(`${sql} RETURNING ${quoteIdent(idColumn)}`, params);
    const row = r.rows[0] as Record<string, unknown> | undefined;
    const id = row?.[idColumn];
    if (typeof id !== 'number') throw new Error(`INSERT ... RETURNING ${idColumn} returned no id`);
    return id;
  }

  /** Runs a script in one round trip (simple query protocol: several statements, no parameters). */
  async exec(sql: string): Promise<void> {
    await this.query(sql, [], false);
  }
}

/**
 * `postgresql://`, `postgres://` and SQLAlchemy's `postgresql+<driver>://` URIs → a connection string for pg
 * (the `+driver` is dropped; query parameters such as sslmode, sslrootcert, application_name go through).
 */
export function pgConnectionString(uri: string): string {
  const m = /^(postgres(?:ql)?)(\+[A-Za-z0-9_]+)?:\/\//i.exec(uri);
  if (m === null) throw new MlflowError('INVALID_PARAMETER_VALUE', `Not a PostgreSQL URI: ${redact(uri)}`);
  return `postgresql://${uri.slice(m[0].length)}`;
}

/** Opens a pool on a PostgreSQL server (connections are made on first use). */
export function openPgDb(uri: string, opts: PgOptions = {}): PgDb {
  const pool = new pg.Pool({
    connectionString: pgConnectionString(uri),
    max: opts.max ?? POOL_DEFAULTS.max,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? POOL_DEFAULTS.idleTimeoutMillis,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? POOL_DEFAULTS.connectionTimeoutMillis,
    maxLifetimeSeconds: opts.maxLifetimeSeconds ?? POOL_DEFAULTS.maxLifetimeSeconds,
    keepAlive: true,
    application_name: 'mltrack',
    types: typeParsers(),
  });
  // An idle client whose connection dies (server restart, admin shutdown) is reported here and dropped by the
  // pool; without a listener pg would crash the process.
  pool.on('error', () => {});
  const kysely = new Kysely<NoSchema>({
    dialect: new PostgresDialect({ pool: kyselyPool(pool) }),
  });
  return new PgDb(kysely, pool);
}
