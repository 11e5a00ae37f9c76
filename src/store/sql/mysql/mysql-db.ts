import fs from 'node:fs';
import { CompiledQuery, Kysely, MysqlDialect, type MysqlPool } from 'kysely';
import mysql from 'mysql2';
import { MlflowError } from '../../../domain/errors.js';
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
import type { Params } from '../sql-db.js';
import { type InsertTemplate, insertTemplate, splitStatements } from '../sql-text.js';

export interface MysqlOptions extends PoolOptions {
  /**
   * TLS client settings: PEM **file paths** (as MLFLOW_MYSQL_SSL_CA / _CERT / _KEY give them). With `ca` the
   * server certificate is verified against it (and its name against the host); without it, it is not (as PyMySQL).
   */
  readonly ssl?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

/**
 * Every connection's session: ANSI double-quoted identifiers and `||` (the SQL the store shares with SQLite and
 * PostgreSQL), strict writes (a too-long value is an error, never silently cut), binary utf8mb4 (comparisons,
 * LIKE and uniqueness are case- and accent-sensitive, as on SQLite and PostgreSQL), and READ COMMITTED, the
 * isolation PostgreSQL runs at (InnoDB's REPEATABLE READ would add gap locks and stale snapshot reads).
 */
export const MYSQL_SESSION_SETUP: readonly string[] = [
  "SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'",
  'SET NAMES utf8mb4 COLLATE utf8mb4_bin',
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

/** Server error numbers that mean "retry later". */
const TRANSIENT_ERRNOS: ReadonlySet<number> = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1317, // ER_QUERY_INTERRUPTED (shutdown, KILL QUERY)
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
]);

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  ...NETWORK_CODES,
]);

const MYSQL_CONNECTION_MESSAGES =
  /Can't add new command when connection is in closed state|Pool is closed|Connection lost|connect ETIMEDOUT/i;

function isTransientMysql(e: unknown): boolean {
  for (const x of errorChain(e)) {
    if (typeof x['errno'] === 'number' && TRANSIENT_ERRNOS.has(x['errno'])) return true;
    if (typeof x['code'] === 'string' && TRANSIENT_CODES.has(x['code'])) return true;
    // a fatal client-side error (no server errno): the connection is gone
    if (x['fatal'] === true && typeof x['errno'] !== 'number') return true;
    if (
      typeof x['errno'] !== 'number' &&
      typeof x['message'] === 'string' &&
      MYSQL_CONNECTION_MESSAGES.test(x['message'])
    )
      return true;
  }
  return false;
}

/** True for a duplicate key (ER_DUP_ENTRY 1062); the error's `code` is 'ER_DUP_ENTRY', `errno` 1062. */
export function isUniqueViolation(e: unknown): boolean {
  return errorChain(e).some(
    (x) => x['errno'] === 1062 || x['errno'] === 1586 || x['code'] === 'ER_DUP_ENTRY',
  );
}

/**
 * Connection failures, deadlocks (1213) and lock wait timeouts (1205) → TEMPORARILY_UNAVAILABLE (503); a value
 * too long for its column (1406, strict mode) → INVALID_PARAMETER_VALUE; anything else (a duplicate key keeps its
 * `code` 'ER_DUP_ENTRY') is rethrown as it is.
 */
export function mapMysqlError(e: unknown): unknown {
  if (e instanceof MlflowError) return e;
  if (isTransientMysql(e)) return unavailable(e);
  const first = errorChain(e)[0];
  if (first !== undefined && first['errno'] === 1406) {
    const err = new MlflowError('INVALID_PARAMETER_VALUE', `Value too long: ${String(first['message'])}`);
    err.cause = e;
    return err;
  }
  return e;
}

type RawConnection = mysql.PoolConnection & { lastActiveTime?: number };
type QueryFn = (...args: unknown[]) => unknown;

const created = new WeakMap<object, number>();

/**
 * First checkout of a connection: the session settings (MYSQL_SESSION_SETUP) and the ROWS_MARK → rowsAsArray
 * switch. Done here rather than in Kysely's onCreateConnection, which would leak the connection on a failure.
 */
function prepareConnection(conn: RawConnection, done: (err: unknown) => void): void {
  if (created.has(conn)) {
    done(null);
    return;
  }
  const query = (conn.query as unknown as QueryFn).bind(conn);
  const next = (i: number): void => {
    const stmt = MYSQL_SESSION_SETUP[i];
    if (stmt === undefined) {
      created.set(conn, Date.now());
      (conn as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
        const [sql, ...rest] = args;
        if (typeof sql === 'string' && sql.startsWith(ROWS_MARK)) {
          return query({ sql: sql.slice(ROWS_MARK.length), rowsAsArray: true }, ...rest);
        }
        return query(...args);
      };
      done(null);
      return;
    }
    query(stmt, (err: unknown) => (err ? done(err) : next(i + 1)));
  };
  next(0);
}

/**
 * What Kysely's MysqlDialect sees: mysql2's pool with what it lacks — a bound on the wait for a connection
 * (connectionTimeoutMillis → TEMPORARILY_UNAVAILABLE instead of queueing forever), connection recycling
 * (maxLifetimeSeconds) and not reusing a connection idle longer than idleTimeoutMillis.
 */
function kyselyPool(pool: mysql.Pool, opts: Required<PoolOptions>): MysqlPool {
  const expired = (conn: RawConnection, now: number): boolean => {
    const born = created.get(conn);
    if (opts.maxLifetimeSeconds > 0 && born !== undefined && now - born > opts.maxLifetimeSeconds * 1000)
      return true;
    const idleSince = conn.lastActiveTime;
    return born !== undefined && idleSince !== undefined && now - idleSince > opts.idleTimeoutMillis;
  };
  return {
    getConnection(callback) {
      const cb = callback as (err: unknown, conn?: RawConnection) => void;
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        cb(
          new MlflowError(
            'TEMPORARILY_UNAVAILABLE',
            `No database connection within ${opts.connectionTimeoutMillis} ms (pool of ${opts.max} busy or server unreachable); retry later.`,
          ),
        );
      }, opts.connectionTimeoutMillis);
      const attempt = (): void => {
        pool.getConnection((err, raw) => {
          const conn = raw as RawConnection;
          if (done) {
            if (!err) conn.release();
            return;
          }
          if (err) {
            done = true;
            clearTimeout(timer);
            cb(err);
            return;
          }
          if (expired(conn, Date.now())) {
            conn.destroy();
            attempt();
            return;
          }
          prepareConnection(conn, (setupErr) => {
            if (setupErr) conn.destroy();
            if (done) {
              if (!setupErr) conn.release();
              return;
            }
            done = true;
            clearTimeout(timer);
            if (setupErr) cb(setupErr);
            else cb(null, conn);
          });
        });
      };
      attempt();
    },
    end(callback) {
      pool.end(callback);
    },
  };
}

/** The MySQL/MariaDB SqlDb: Kysely's MysqlDialect over a mysql2 pool, client-side `?` substitution. */
export class MysqlDb extends KyselySqlDb {
  readonly dialect = 'mysql' as const;
  protected readonly batchLimits: BatchLimits = { maxParams: 30_000, maxRows: 1000, maxBytes: 4 << 20 };

  /** Use openMysqlDb. */
  constructor(
    kysely: Kysely<NoSchema>,
    /** The underlying mysql2 pool (for tests and diagnostics). */
    readonly pool: mysql.Pool,
  ) {
    super(kysely);
  }

  /** mysql2 substitutes `?` itself (skipping literals, identifiers and comments). */
  protected text(sql: string): string {
    return sql;
  }

  protected override async query(sql: string, params: Params = [], cache = true) {
    for (const v of params) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        // MySQL's DOUBLE has no NaN/Infinity: the caller must encode them (as MLflow does: ±DBL_MAX, is_nan)
        throw new TypeError(`MySQL cannot store the non-finite number ${v}`);
      }
    }
    return super.query(sql, params, cache);
  }

  protected mapError(e: unknown): unknown {
    return mapMysqlError(e);
  }

  /**
   * mysql2's row streaming (the server sends the result set as the client reads it; rows as arrays) on a pool
   * connection held for the stream, grouped into chunks here.
   */
  async *stream(sql: string, params: Params, chunkRows: number): AsyncIterable<unknown[][]> {
    const q = CompiledQuery.raw(ROWS_MARK + sql, params.slice());
    let chunk: unknown[][] = [];
    try {
      for await (const r of this.kysely.getExecutor().stream(q, chunkRows)) {
        for (const row of r.rows) chunk.push(row as unknown[]);
        if (chunk.length >= chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
    } catch (e) {
      throw mapMysqlError(e);
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Plain INSERTs and `ON DUPLICATE KEY UPDATE` (applied row by row in order, like separate statements). */
  protected insertTemplate(sql: string): InsertTemplate | undefined {
    return insertTemplate(sql, { mysql: true }, (tail) =>
      /^\s*(ON\s+DUPLICATE\s+KEY\s+UPDATE\b[\s\S]*)?$/i.test(tail),
    );
  }

  /** The AUTO_INCREMENT value of the insert (idColumn must be the table's AUTO_INCREMENT column). */
  async insertReturningId(sql: string, params: Params, _idColumn: string): Promise<number> {
    const r = await this.query(sql, params);
    if (r.insertId === undefined) throw new Error('INSERT returned no AUTO_INCREMENT id');
    const id = Number(r.insertId);
    if (!Number.isSafeInteger(id)) throw new RangeError(`AUTO_INCREMENT id ${r.insertId} is beyond 2^53`);
    return id;
  }

  /** Runs a script statement by statement (MySQL DDL commits implicitly: a script is never atomic). */
  async exec(sql: string): Promise<void> {
    for (const s of splitStatements(sql, { mysql: true })) await this.query(s, [], false);
  }
}

/** Connection settings from a `mysql://`, `mysql+<driver>://` (SQLAlchemy) or `mariadb://` URI. */
export function mysqlConnectionConfig(uri: string): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string | undefined;
  socketPath: string | undefined;
  ssl: MysqlOptions['ssl'];
} {
  const m = /^(mysql|mariadb)(\+[A-Za-z0-9_]+)?:\/\//i.exec(uri);
  if (m === null) throw new MlflowError('INVALID_PARAMETER_VALUE', `Not a MySQL URI: ${redact(uri)}`);
  let url: URL;
  try {
    url = new URL(`mysql://${uri.slice(m[0].length)}`);
  } catch {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid MySQL URI: ${redact(uri)}`);
  }
  const q = url.searchParams;
  const ca = q.get('ssl_ca') ?? undefined;
  const cert = q.get('ssl_cert') ?? undefined;
  const key = q.get('ssl_key') ?? undefined;
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: db === '' ? undefined : db,
    socketPath: q.get('unix_socket') ?? undefined,
    ssl: ca !== undefined || cert !== undefined || key !== undefined ? { ca, cert, key } : undefined,
  };
}

function tlsOptions(ssl: MysqlOptions['ssl']): mysql.SslOptions | undefined {
  if (ssl === undefined || (ssl.ca === undefined && ssl.cert === undefined && ssl.key === undefined))
    return undefined;
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Cannot read the MySQL TLS ${what} file ${file}: ${String(e)}`,
      );
    }
  };
  const out: mysql.SslOptions = { rejectUnauthorized: ssl.ca !== undefined };
  const ca = read('CA', ssl.ca);
  const cert = read('certificate', ssl.cert);
  const key = read('key', ssl.key);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}

/** Opens a pool on a MySQL/MariaDB server (connections are made on first use). `opts.ssl` overrides the URI's. */
export function openMysqlDb(uri: string, opts: MysqlOptions = {}): MysqlDb {
  const cfg = mysqlConnectionConfig(uri);
  const pool: Required<PoolOptions> = {
    max: opts.max ?? POOL_DEFAULTS.max,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? POOL_DEFAULTS.idleTimeoutMillis,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? POOL_DEFAULTS.connectionTimeoutMillis,
    maxLifetimeSeconds: opts.maxLifetimeSeconds ?? POOL_DEFAULTS.maxLifetimeSeconds,
  };
  const ssl = tlsOptions(opts.ssl ?? cfg.ssl);
  const raw = mysql.createPool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    ...(cfg.database !== undefined ? { database: cfg.database } : {}),
    ...(cfg.socketPath !== undefined ? { socketPath: cfg.socketPath } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    connectionLimit: pool.max,
    maxIdle: pool.max,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: pool.connectionTimeoutMillis,
    enableKeepAlive: true,
    charset: 'UTF8MB4_BIN',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    dateStrings: true,
    multipleStatements: false,
  });
  const kysely = new Kysely<NoSchema>({
    dialect: new MysqlDialect({ pool: kyselyPool(raw, pool) }),
  });
  return new MysqlDb(kysely, raw);
}
