import net from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/domain/errors.js';
import { isUniqueViolation as anyUniqueViolation, quoteIdent } from '../../src/store/sql/dialects.js';
import type { KyselySqlDb } from '../../src/store/sql/kysely-db.js';
import { migrations, SCHEMA_VERSION_DDL } from '../../src/store/sql/migrations/index.js';
import {
  mysqlConnectionConfig,
  isUniqueViolation as mysqlUniqueViolation,
  openMysqlDb,
} from '../../src/store/sql/mysql/mysql-db.js';
import {
  openPgDb,
  pgConnectionString,
  isUniqueViolation as pgUniqueViolation,
} from '../../src/store/sql/postgres/pg-db.js';
import type { Params } from '../../src/store/sql/sql-db.js';
import {
  insertTemplate,
  multiRowSql,
  placeholderPositions,
  splitStatements,
  toDollarPlaceholders,
} from '../../src/store/sql/sql-text.js';
import { Statements } from '../../src/store/sql/statements.js';
import {
  DATABASE_SETUP_TIMEOUT_MS,
  type ServerDialect,
  testDatabaseUri,
  testMysqlTls,
} from '../helpers/databases.js';

type Db = KyselySqlDb;

function open(dialect: ServerDialect, uri: string, opts: Parameters<typeof openPgDb>[1] = {}): Db {
  return dialect === 'postgres' ? openPgDb(uri, opts) : openMysqlDb(uri, opts);
}

const uniqueViolation = (dialect: ServerDialect, e: unknown): boolean =>
  dialect === 'postgres' ? pgUniqueViolation(e) : mysqlUniqueViolation(e);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('sql-text', () => {
  it('rewrites ? to $n outside literals, quoted identifiers and comments', () => {
    const sql = `SELECT ?, 'a?b', 'it''s ?', "col?", ? /* ? */ -- ?\n, ?`;
    expect(toDollarPlaceholders(sql)).toBe(`SELECT $1, 'a?b', 'it''s ?', "col?", $2 /* ? */ -- ?\n, $3`);
    expect(placeholderPositions(`SELECT '\\' ?`, {}).length).toBe(1); // PG: backslash is plain in '...'
    expect(placeholderPositions(`SELECT '\\' ?'`, { mysql: true }).length).toBe(0); // MySQL: \' escapes
    expect(placeholderPositions('SELECT `a?` # ?\n, ?', { mysql: true }).length).toBe(1);
  });

  it('splits scripts at top-level semicolons', () => {
    expect(splitStatements(`CREATE TABLE a (x TEXT DEFAULT ';');\n-- c;\nCREATE TABLE b (y INT);\n`)).toEqual(
      [`CREATE TABLE a (x TEXT DEFAULT ';')`, '-- c;\nCREATE TABLE b (y INT)'],
    );
  });

  it('finds the VALUES tuple of a one-row INSERT only when repeating it is safe', () => {
    const any = (): boolean => true;
    const t = insertTemplate('INSERT INTO t (a, b) VALUES (?, lower(?)) ON CONFLICT (a) DO NOTHING', {}, any);
    expect(t?.paramsPerRow).toBe(2);
    expect(multiRowSql(t!, 2)).toBe(
      'INSERT INTO t (a, b) VALUES (?, lower(?)), (?, lower(?)) ON CONFLICT (a) DO NOTHING',
    );
    expect(insertTemplate('UPDATE t SET a = ?', {}, any)).toBeUndefined();
    expect(insertTemplate('INSERT INTO t (a) SELECT ? WHERE NOT EXISTS (SELECT 1)', {}, any)).toBeUndefined();
    expect(insertTemplate("INSERT INTO t (a, b) VALUES (?, 'VALUES (?)')", {}, any)?.paramsPerRow).toBe(1);
    expect(insertTemplate('INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = ?', {}, any)).toBe(
      undefined,
    );
  });
});

describe('Statements (dialect fragments)', () => {
  it('spells insert-if-absent and upsert per dialect', () => {
    const cols = ['run_pk', 'key', 'value'];
    expect(new Statements('sqlite').insertIgnore('run_tags', cols)).toBe(
      'INSERT INTO run_tags ("run_pk", "key", "value") VALUES (?, ?, ?) ON CONFLICT ("run_pk", "key") DO NOTHING',
    );
    expect(new Statements('postgres').upsert('run_tags', cols)).toBe(
      'INSERT INTO run_tags ("run_pk", "key", "value") VALUES (?, ?, ?) ON CONFLICT ("run_pk", "key") DO UPDATE SET "value" = excluded."value"',
    );
    expect(new Statements('mysql').insertIgnore('run_tags', cols)).toBe(
      'INSERT INTO run_tags ("run_pk", "key", "value") VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "run_pk" = "run_pk"',
    );
    expect(new Statements('mysql').upsert('run_tags', cols)).toBe(
      'INSERT INTO run_tags ("run_pk", "key", "value") VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "value" = VALUES("value")',
    );
    expect(quoteIdent('Weird Name')).toBe('Weird Name');
  });

  it('the SQLite statements run on node:sqlite; only the key conflict is ignored', () => {
    const db = new DatabaseSync(':memory:');
    db.exec(
      'CREATE TABLE run_tags (run_pk INTEGER NOT NULL, "key" TEXT NOT NULL, value TEXT, PRIMARY KEY (run_pk, "key"))',
    );
    const d = new Statements('sqlite');
    const ins = db.prepare(d.insertIgnore('run_tags', ['run_pk', 'key', 'value']));
    ins.run(1, 'k', 'first');
    ins.run(1, 'k', 'ignored');
    expect(() => ins.run(2, null, 'x')).toThrow(/NOT NULL/);
    db.prepare(d.upsert('run_tags', ['run_pk', 'key', 'value'])).run(1, 'k', 'second');
    expect(db.prepare('SELECT value FROM run_tags').all()).toEqual([{ value: 'second' }]);
    try {
      db.prepare('INSERT INTO run_tags (run_pk, "key") VALUES (1, \'k\')').run();
    } catch (e) {
      expect(anyUniqueViolation(e)).toBe(true);
    }
    db.close();
  });
});

describe('URIs', () => {
  it('PostgreSQL: postgresql://, postgres:// and SQLAlchemy +driver forms', () => {
    expect(pgConnectionString('postgresql+psycopg2://u:p@h:5433/db?sslmode=require')).toBe(
      'postgresql://u:p@h:5433/db?sslmode=require',
    );
    expect(pgConnectionString('postgres://u@h/db')).toBe('postgresql://u@h/db');
    expect(() => pgConnectionString('mysql://u@h/db')).toThrow(MlflowError);
  });

  it('MySQL: mysql://, mysql+pymysql://, mysql+mysqldb://, mariadb://', () => {
    expect(mysqlConnectionConfig('mysql+pymysql://u:p%40ss@db.example:3307/mlflow?charset=utf8mb4')).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'u',
      password: 'p@ss',
      database: 'mlflow',
      socketPath: undefined,
      ssl: undefined,
    });
    expect(mysqlConnectionConfig('mysql+mysqldb://u@h/x').port).toBe(3306);
    expect(mysqlConnectionConfig('mariadb://u@h/x?ssl_ca=/ca.pem').ssl).toEqual({
      ca: '/ca.pem',
      cert: undefined,
      key: undefined,
    });
    expect(mysqlConnectionConfig('mysql://u@h').database).toBeUndefined();
    expect(() => mysqlConnectionConfig('postgresql://u@h/x')).toThrow(MlflowError);
  });
});

describe.each(['postgres', 'mysql'] as const)('%s driver', (dialect) => {
  let uri = '';
  let drop: () => Promise<void> = async () => {};
  let db: Db;
  const text = dialect === 'postgres' ? 'TEXT' : 'VARCHAR(200)';
  const id =
    dialect === 'postgres'
      ? 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY'
      : 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY';

  beforeAll(async () => {
    ({ uri, drop } = await testDatabaseUri(dialect));
    db = open(dialect, uri, { max: 4 });
    await db.exec(`
      CREATE TABLE kv (k ${text} NOT NULL PRIMARY KEY, v ${text}, n BIGINT, d DOUBLE PRECISION);
      CREATE TABLE seqs (id ${id}, label ${text} NOT NULL);
      CREATE TABLE pairs (a BIGINT NOT NULL, "key" ${text} NOT NULL, value ${text}, PRIMARY KEY (a, "key"))`);
  }, DATABASE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await db?.close();
    await drop();
  });

  it('binds ? placeholders and leaves ? inside literals and comments alone', async () => {
    await db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a?', "it's ?"]);
    const row = await db.get<{ k: string; v: string; q: string; r: string }>(
      `SELECT k, v, '?' AS q, 'it''s ?' AS r /* ? */ FROM kv WHERE k = ? AND v <> '?' -- ?
       AND v = ?`,
      ['a?', "it's ?"],
    );
    expect(row).toEqual({ k: 'a?', v: "it's ?", q: '?', r: "it's ?" });
    expect(await db.get('SELECT k FROM kv WHERE k = ?', ['missing'])).toBeUndefined();
    await db.run('DELETE FROM kv');
  });

  it('sessions run with the shared SQL settings', async () => {
    if (dialect === 'mysql') {
      const r = await db.get<{ m: string; c: string; i: string }>(
        'SELECT @@SESSION.sql_mode AS m, @@collation_connection AS c, @@SESSION.tx_isolation AS i',
      );
      expect(r?.m.split(',').sort()).toEqual(
        [
          'ANSI_QUOTES',
          'NO_AUTO_VALUE_ON_ZERO',
          'NO_ENGINE_SUBSTITUTION',
          'PIPES_AS_CONCAT',
          'STRICT_ALL_TABLES',
        ].sort(),
      );
      expect(r?.c).toBe('utf8mb4_bin');
      expect(r?.i).toBe('READ-COMMITTED');
    }
    expect(await db.get(`SELECT 'a' || 'b' AS s, "k" FROM kv WHERE 1 = 0`)).toBeUndefined();
    expect(await db.get(`SELECT 'a' || 'b' AS s`)).toEqual({ s: 'ab' });
  });

  it('rows() returns arrays in SELECT order, duplicate names included', async () => {
    await db.runMany('INSERT INTO kv (k, v, n) VALUES (?, ?, ?)', [
      ['r1', 'x', 1],
      ['r2', 'y', 2],
    ]);
    expect(await db.rows('SELECT k, v, n, k FROM kv ORDER BY k')).toEqual([
      ['r1', 'x', 1, 'r1'],
      ['r2', 'y', 2, 'r2'],
    ]);
    expect(await db.all('SELECT k FROM kv ORDER BY k')).toEqual([{ k: 'r1' }, { k: 'r2' }]);
    await db.run('DELETE FROM kv');
  });

  it('BIGINT comes back as a number; COUNT and SUM too', async () => {
    const big = 1700000000000123;
    await db.run('INSERT INTO kv (k, n) VALUES (?, ?)', ['big', big]);
    await db.run('INSERT INTO kv (k, n) VALUES (?, ?)', ['small', -5]);
    expect(await db.get('SELECT n FROM kv WHERE n = ?', [big])).toEqual({ n: big });
    expect(await db.get('SELECT COUNT(*) AS c, SUM(n) AS s, MAX(n) AS m FROM kv')).toEqual({
      c: 2,
      s: big - 5,
      m: big,
    });
    expect(await db.get('SELECT n FROM kv WHERE n = ?', [BigInt(big)])).toEqual({ n: big });
    if (dialect === 'postgres') {
      // beyond 2^53 a BIGINT would silently round: refused
      await expect(db.get('SELECT 9007199254740993::bigint AS x')).rejects.toThrow(/safe integer/);
      // comparisons are 1/0, as on SQLite and MySQL
      expect(await db.get('SELECT (1 = 1) AS t, (1 = 2) AS f')).toEqual({ t: 1, f: 0 });
    } else {
      // mysql2 (supportBigNumbers, bigNumberStrings off): a string beyond 2^53
      expect(await db.get('SELECT CAST(9007199254740993 AS SIGNED) AS x')).toEqual({ x: '9007199254740993' });
    }
    await db.run('DELETE FROM kv');
  });

  it('DOUBLE round-trips exactly; NaN/Infinity on PostgreSQL, refused on MySQL', async () => {
    const values = [0.1, 1 / 3, -1e-300, 1.7976931348623157e308, 123456789.123456];
    await db.runMany(
      'INSERT INTO kv (k, d) VALUES (?, ?)',
      values.map((v, i) => [`d${i}`, v]),
    );
    const got = (await db.rows('SELECT d FROM kv ORDER BY k')).map((r) => r[0]);
    expect(got).toEqual(values);
    if (dialect === 'postgres') {
      await db.runMany('INSERT INTO kv (k, d) VALUES (?, ?)', [
        ['nan', Number.NaN],
        ['pinf', Number.POSITIVE_INFINITY],
        ['ninf', Number.NEGATIVE_INFINITY],
      ]);
      const r = await db.all<{ k: string; d: number }>(
        "SELECT k, d FROM kv WHERE k IN ('nan','pinf','ninf') ORDER BY k",
      );
      expect(r.map((x) => [x.k, x.d])).toEqual([
        ['nan', Number.NaN],
        ['ninf', Number.NEGATIVE_INFINITY],
        ['pinf', Number.POSITIVE_INFINITY],
      ]);
    } else {
      await expect(db.run('INSERT INTO kv (k, d) VALUES (?, ?)', ['nan', Number.NaN])).rejects.toThrow(
        /non-finite/,
      );
    }
    await db.run('DELETE FROM kv');
  });

  it('run() reports the rows matched; exec runs several statements', async () => {
    await db.runMany('INSERT INTO kv (k, v) VALUES (?, ?)', [
      ['c1', 'same'],
      ['c2', 'same'],
      ['c3', 'other'],
    ]);
    expect(await db.run('UPDATE kv SET v = ? WHERE v = ?', ['same', 'same'])).toEqual({ changes: 2 });
    expect(await db.run('DELETE FROM kv WHERE k = ?', ['nope'])).toEqual({ changes: 0 });
    expect(await db.run('DELETE FROM kv')).toEqual({ changes: 3 });
    await db.exec(`INSERT INTO kv (k, v) VALUES ('e1', 'a;b'); INSERT INTO kv (k) VALUES ('e2');`);
    expect((await db.all('SELECT v FROM kv ORDER BY k')).map((r) => r.v)).toEqual(['a;b', null]);
    await db.run('DELETE FROM kv');
  });

  it('insertReturningId returns the generated key', async () => {
    const a = await db.insertReturningId('INSERT INTO seqs (label) VALUES (?)', ['a'], 'id');
    const b = await db.insertReturningId('INSERT INTO seqs (label) VALUES (?)', ['b'], 'id');
    expect(typeof a).toBe('number');
    expect(b).toBe(a + 1);
    expect(await db.get('SELECT label FROM seqs WHERE id = ?', [b])).toEqual({ label: 'b' });
  });

  it('a duplicate key is a unique violation with a testable code, not a 503', async () => {
    await db.run('INSERT INTO kv (k) VALUES (?)', ['dup']);
    const e = await rejection(db.run('INSERT INTO kv (k) VALUES (?)', ['dup']));
    expect(uniqueViolation(dialect, e)).toBe(true);
    expect(anyUniqueViolation(e)).toBe(true);
    expect(e).not.toBeInstanceOf(MlflowError);
    expect((e as { code: string }).code).toBe(dialect === 'postgres' ? '23505' : 'ER_DUP_ENTRY');
    const other = await rejection(db.run('INSERT INTO kv (k) VALUES (NULL)'));
    expect(uniqueViolation(dialect, other)).toBe(false);
    await db.run('DELETE FROM kv');
  });

  it('runMany: multi-row batches, ignore and upsert keep row-by-row meaning, all or nothing', async () => {
    const d = new Statements(dialect, { pairs: ['a', 'key'] });
    const lists: Params[] = Array.from({ length: 2500 }, (_, i) => [`m${String(i).padStart(5, '0')}`, i]);
    await db.runMany('INSERT INTO kv (k, n) VALUES (?, ?)', lists);
    expect(await db.get('SELECT COUNT(*) AS c, SUM(n) AS s FROM kv')).toEqual({
      c: 2500,
      s: (2499 * 2500) / 2,
    });

    const ignore = d.insertIgnore('pairs', ['a', 'key', 'value']);
    await db.runMany(ignore, [
      [1, 'k', 'first'],
      [1, 'k', 'second'],
      [1, 'K', 'other case'],
    ]);
    expect(await db.rows('SELECT "key", value FROM pairs ORDER BY "key"')).toEqual([
      ['K', 'other case'],
      ['k', 'first'],
    ]);
    const upsert = d.upsert('pairs', ['a', 'key', 'value']);
    await db.runMany(upsert, [
      [1, 'k', 'u1'],
      [1, 'k', 'u2'],
      [2, 'k', 'new'],
    ]);
    expect(await db.rows('SELECT a, "key", value FROM pairs ORDER BY a, "key"')).toEqual([
      [1, 'K', 'other case'],
      [1, 'k', 'u2'],
      [2, 'k', 'new'],
    ]);

    // a failing row rolls back the whole call (multi-row path and row-by-row path)
    await expect(
      db.runMany('INSERT INTO kv (k, n) VALUES (?, ?)', [
        ['z1', 1],
        ['m00001', 2],
      ]),
    ).rejects.toSatisfy((e) => uniqueViolation(dialect, e));
    await expect(
      db.runMany('UPDATE kv SET k = ? WHERE k = ?', [
        ['z2', 'm00002'],
        ['m00001', 'm00003'],
      ]),
    ).rejects.toSatisfy((e) => uniqueViolation(dialect, e));
    expect(await db.get("SELECT COUNT(*) AS c FROM kv WHERE k LIKE 'z%'")).toEqual({ c: 0 });
    await db.run('DELETE FROM kv');
    await db.run('DELETE FROM pairs');
  });

  it('tx commits, rolls back on a throw, and nested tx joins the outer one', async () => {
    const out = await db.tx(async () => {
      await db.run('INSERT INTO kv (k) VALUES (?)', ['t1']);
      expect(db.inTransaction()).toBe(true);
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(db.inTransaction()).toBe(false);

    const boom = new Error('boom');
    const e = await rejection(
      db.tx(async () => {
        await db.run('INSERT INTO kv (k) VALUES (?)', ['t2']);
        await db.tx(async () => {
          await db.run('INSERT INTO kv (k) VALUES (?)', ['t3']);
        });
        throw boom;
      }),
    );
    expect(e).toBe(boom);

    await expect(
      db.tx(async () => {
        await db.run('INSERT INTO kv (k) VALUES (?)', ['t4']);
        await db.tx(async () => {
          await db.run('INSERT INTO kv (k) VALUES (?)', ['t5']);
          throw new Error('inner');
        });
      }),
    ).rejects.toThrow('inner');

    // helpers deep in the call tree (no handle passed) run on the transaction too
    const helper = async (k: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 5));
      await db.run('INSERT INTO kv (k) VALUES (?)', [k]);
    };
    await expect(
      db.tx(async () => {
        await Promise.all([helper('t6'), helper('t7')]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await db.all('SELECT k FROM kv ORDER BY k')).map((r) => r.k)).toEqual(['t1']);
    await db.run('DELETE FROM kv');
  });

  it('a failed statement inside a transaction: PostgreSQL aborts the transaction, MySQL only the statement', async () => {
    const t = db.tx(async () => {
      await db.run('INSERT INTO kv (k) VALUES (?)', ['keep']);
      await db.run('INSERT INTO kv (k) VALUES (?)', ['keep']).catch((e: unknown) => {
        if (!uniqueViolation(dialect, e)) throw e;
      });
    });
    if (dialect === 'postgres') {
      // the caller swallowed the error, but PostgreSQL rolled the whole transaction back at COMMIT
      await expect(t).rejects.toThrow();
      expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 0 });
    } else {
      await t;
      expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 1 });
    }
    await db.run('DELETE FROM kv');
  });

  it('a query from outside the transaction does not see its uncommitted rows', async () => {
    const inserted = deferred();
    const gate = deferred();
    const t = db.tx(async () => {
      await db.run('INSERT INTO kv (k) VALUES (?)', ['iso']);
      inserted.resolve();
      await gate.promise;
      expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 1 });
    });
    await inserted.promise;
    expect(db.inTransaction()).toBe(false);
    expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 0 });
    gate.resolve();
    await t;
    expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 1 });
    await db.run('DELETE FROM kv');
  });

  it('concurrent transactions run on separate pooled connections', async () => {
    const connId = dialect === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id';
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.tx(async () => {
          const me = (await db.get<{ id: number }>(connId))?.id;
          for (let j = 0; j < 5; j++) {
            await db.run('INSERT INTO kv (k, n) VALUES (?, ?)', [`c${i}-${j}`, i]);
            await new Promise((r) => setTimeout(r, 2));
            expect((await db.get<{ id: number }>(connId))?.id).toBe(me);
          }
          return me;
        }),
      ),
    );
    const distinct = new Set(ids);
    expect(distinct.size).toBeGreaterThan(1);
    expect(distinct.size).toBeLessThanOrEqual(4);
    expect(await db.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 40 });
    await db.run('DELETE FROM kv');
  });

  it('a deadlock is TEMPORARILY_UNAVAILABLE', async () => {
    await db.runMany('INSERT INTO kv (k, n) VALUES (?, ?)', [
      ['A', 0],
      ['B', 0],
    ]);
    const aLocked = deferred();
    const bLocked = deferred();
    const t1 = db.tx(async () => {
      await db.run('UPDATE kv SET n = 1 WHERE k = ?', ['A']);
      aLocked.resolve();
      await bLocked.promise;
      await db.run('UPDATE kv SET n = 1 WHERE k = ?', ['B']);
    });
    const t2 = db.tx(async () => {
      await aLocked.promise;
      await db.run('UPDATE kv SET n = 2 WHERE k = ?', ['B']);
      bLocked.resolve();
      await new Promise((r) => setTimeout(r, 50));
      await db.run('UPDATE kv SET n = 2 WHERE k = ?', ['A']);
    });
    const results = await Promise.allSettled([t1, t2]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = (failed[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(MlflowError);
    expect((reason as MlflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    await db.run('DELETE FROM kv');
  });

  it('a connection killed by the server is TEMPORARILY_UNAVAILABLE and the pool recovers', async () => {
    const connId = dialect === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id';
    let victim = 0;
    const idle = deferred();
    const killed = deferred();
    const failure = rejection(
      db.tx(async () => {
        victim = (await db.get<{ id: number }>(connId))?.id ?? 0;
        idle.resolve();
        await killed.promise;
        await db.get('SELECT 1 AS one');
      }),
    );
    await idle.promise;
    // from another pooled connection, while the transaction's connection sits idle (pg: 57P01 admin shutdown)
    await db.run(dialect === 'postgres' ? 'SELECT pg_terminate_backend(?)' : 'KILL ?', [victim]);
    await new Promise((r) => setTimeout(r, 300));
    killed.resolve();
    const e = await failure;
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as MlflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    for (let i = 0; i < 6; i++) expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('idle pooled connections killed by the server are dropped without crashing; queries go on', async () => {
    const others = await db.all<{ id: number }>(
      dialect === 'postgres'
        ? 'SELECT pid AS id FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'
        : "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND USER = 'mltrack'",
    );
    for (const o of others) {
      await db.run(dialect === 'postgres' ? 'SELECT pg_terminate_backend(?)' : 'KILL ?', [o.id]);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 8; i++) {
      const r = await db.get('SELECT 1 AS one').catch((e: unknown) => e);
      // at most the one connection that ran the KILLs is reused; everything else was dropped by the pool
      expect(r).toEqual({ one: 1 });
    }
  });

  it('connections are recycled after maxLifetimeSeconds and not reused after idleTimeoutMillis', async () => {
    const connId = dialect === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id';
    const id = async (d: Db): Promise<number | undefined> => (await d.get<{ id: number }>(connId))?.id;
    const aging = open(dialect, uri, { max: 1, maxLifetimeSeconds: 1 });
    const idle = open(dialect, uri, { max: 1, idleTimeoutMillis: 200 });
    try {
      const a1 = await id(aging);
      const i1 = await id(idle);
      expect(await id(aging)).toBe(a1);
      expect(await id(idle)).toBe(i1);
      await new Promise((r) => setTimeout(r, 1300));
      expect(await id(aging)).not.toBe(a1);
      expect(await id(idle)).not.toBe(i1);
    } finally {
      await aging.close();
      await idle.close();
    }
  });

  it('runMany keeps every value exact in its bulk form (PostgreSQL unnest arrays, MySQL multi-row VALUES)', async () => {
    const rows: [string, string | null, number | null, number | null][] = [
      ['q1', 'a"b', 1, 0.1],
      ['q2', "c'd", -1, -1e-300],
      ['q3', 'e\\f\\', 2 ** 53 - 1, 1.7976931348623157e308],
      ['q4', '{x,y}', 0, -0.5],
      ['q5', 'NULL', null, null],
      ['q6', null, 42, 5e-324],
      ['q7', 'tab\tnew\nline 🎉 ü', -(2 ** 53) + 1, 123456.789],
      ['q8', '', 7, 3],
    ];
    await db.runMany('INSERT INTO kv (k, v, n, d) VALUES (?, ?, ?, ?)', rows);
    const back = await db.all<{ k: string; v: string | null; n: number | null; d: number | null }>(
      "SELECT k, v, n, d FROM kv WHERE k LIKE 'q%' ORDER BY k",
    );
    expect(
      back.map((r) => [r.k, r.v, r.n === null ? null : Number(r.n), r.d === null ? null : Number(r.d)]),
    ).toEqual(rows);
    await db.run("DELETE FROM kv WHERE k LIKE 'q%'");
  });

  it('runMany sends one INSERT per batch of up to 1000 rows', async () => {
    const counted = open(dialect, uri, { max: 1 });
    const spied = new WeakSet<object>();
    let statements = 0;
    const spy = (conn: { query: (...a: unknown[]) => unknown }): void => {
      if (spied.has(conn)) return;
      spied.add(conn);
      const q = conn.query;
      conn.query = (...a: unknown[]) => {
        statements++;
        return q.apply(conn, a);
      };
    };
    const pool = (counted as unknown as { pool: { on(ev: 'acquire', f: (c: never) => void): void } }).pool;
    pool.on('acquire', spy);
    try {
      await counted.get('SELECT 1'); // the connection's session setup (MySQL) is not counted
      // PostgreSQL's unnest form reads the table's column types once; not counted either
      await counted.runMany('INSERT INTO kv (k, n) VALUES (?, ?)', [
        ['warm-a', 1],
        ['warm-b', 2],
      ]);
      await counted.run('DELETE FROM kv');
      statements = 0;
      await counted.runMany(
        'INSERT INTO kv (k, n) VALUES (?, ?)',
        Array.from({ length: 2500 }, (_, i) => [`s${i}`, i]),
      );
      expect(statements).toBe(5); // BEGIN, 1000 + 1000 + 500 rows, COMMIT
      expect(await counted.get('SELECT COUNT(*) AS c FROM kv')).toEqual({ c: 2500 });
      await counted.run('DELETE FROM kv');
    } finally {
      await counted.close();
    }
  });

  it('a stopped server (closed port) is TEMPORARILY_UNAVAILABLE within seconds', async () => {
    const port = await closedPort();
    const dead = open(
      dialect,
      dialect === 'postgres'
        ? `postgresql://mltrack@127.0.0.1:${port}/x`
        : `mysql://mltrack@127.0.0.1:${port}/x`,
    );
    const t0 = Date.now();
    const e = await rejection(dead.get('SELECT 1'));
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as MlflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    const e2 = await rejection(dead.tx(async () => dead.get('SELECT 1')));
    expect((e2 as MlflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    await dead.close();
  });

  it('an exhausted pool fails after connectionTimeoutMillis instead of hanging', async () => {
    const small = open(dialect, uri, { max: 1, connectionTimeoutMillis: 300 });
    const hold = deferred();
    const held = deferred();
    const t = small.tx(async () => {
      await small.get('SELECT 1');
      held.resolve();
      await hold.promise;
    });
    await held.promise;
    const t0 = Date.now();
    const e = await rejection(small.get('SELECT 1'));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((e as MlflowError).code).toBe('TEMPORARILY_UNAVAILABLE');
    hold.resolve();
    await t;
    expect(await small.get('SELECT 1 AS one')).toEqual({ one: 1 });
    await small.close();
  });
});

/** Tables, their columns and the named indexes of a schema built by the SQLite migrations. */
function sqliteSchema(): Map<string, string[]> {
  const db = new DatabaseSync(':memory:');
  db.exec(SCHEMA_VERSION_DDL.sqlite);
  for (const m of migrations) db.exec(m.sqlite);
  const out = new Map<string, string[]>();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
    name: string;
  }[];
  for (const t of tables) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info('${t.name}')`).all() as { name: string }[];
    out.set(
      t.name,
      cols.map((c) => c.name),
    );
  }
  const idx = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    .all() as { name: string }[];
  out.set('<indexes>', idx.map((i) => i.name).sort());
  db.close();
  return out;
}

describe.each(['postgres', 'mysql'] as const)('%s migrations', (dialect) => {
  let db: Db;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const t = await testDatabaseUri(dialect);
    drop = t.drop;
    db = open(dialect, t.uri);
  }, DATABASE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await db?.close();
    await drop();
  });

  it('every migration applies in order to an empty database, giving the SQLite schema', async () => {
    await db.exec(SCHEMA_VERSION_DDL[dialect]);
    await db.exec(SCHEMA_VERSION_DDL[dialect]); // idempotent
    for (const m of migrations) {
      await db.tx(async () => {
        await db.exec(m[dialect]);
        await db.run('INSERT INTO mltrack_schema_version (version, name, applied_at) VALUES (?, ?, ?)', [
          m.version,
          m.name,
          Date.now(),
        ]);
      });
    }
    expect(await db.get('SELECT MAX(version) AS v FROM mltrack_schema_version')).toEqual({
      v: migrations.length,
    });
    const schemaFilter = dialect === 'postgres' ? 'current_schema()' : 'DATABASE()';
    const cols = await db.all<{ t: string; c: string }>(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = ${schemaFilter}
       ORDER BY table_name, ordinal_position`,
    );
    const got = new Map<string, string[]>();
    for (const r of cols) got.set(r.t, [...(got.get(r.t) ?? []), r.c]);
    const indexes = await db.all<{ i: string }>(
      dialect === 'postgres'
        ? 'SELECT indexname AS i FROM pg_indexes WHERE schemaname = current_schema()'
        : 'SELECT DISTINCT index_name AS i FROM information_schema.statistics WHERE table_schema = DATABASE()',
    );
    const want = sqliteSchema();
    const wantIndexes = want.get('<indexes>') ?? [];
    want.delete('<indexes>');
    expect(got).toEqual(want);
    expect(indexes.map((r) => r.i)).toEqual(expect.arrayContaining(wantIndexes));
  });

  it('names are unique case-sensitively; cascades, quoting, ordering and the dialect fragments work', async () => {
    const d = new Statements(dialect, { pairs: ['a', 'key'] });
    const exp = async (name: string): Promise<number> =>
      db.insertReturningId(
        `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, 'active', ?, ?)`,
        [name, 'mlflow-artifacts:/x', 1700000000000, 1700000000000],
        'experiment_id',
      );
    const a = await exp('A');
    const lower = await exp('a');
    expect(lower).not.toBe(a);
    expect(anyUniqueViolation(await rejection(exp('A')))).toBe(true);
    expect(
      await db.all(`SELECT name FROM experiments WHERE lower(name) LIKE lower(?) ORDER BY name`, ['a']),
    ).toEqual([{ name: 'A' }, { name: 'a' }]);
    expect(await db.all("SELECT name FROM experiments WHERE name LIKE 'a%'")).toEqual([{ name: 'a' }]);

    await db.run(d.upsert('experiment_tags', ['experiment_id', 'key', 'value']), [a, 'k', 'v1']);
    await db.run(d.upsert('experiment_tags', ['experiment_id', 'key', 'value']), [a, 'k', 'v2']);
    const run = async (uuid: string, start: number | null): Promise<number> =>
      db.insertReturningId(
        `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
         VALUES (?, ?, 'r', 'u', 'RUNNING', ?, 'active', 'x')`,
        [uuid, a, start],
        'run_pk',
      );
    const r1 = await run('r1', 5);
    await run('r2', null);
    await run('r3', 9);
    const longValue = '🙂'.repeat(8000);
    await db.runMany(d.insertIgnore('params', ['run_pk', 'key', 'value']), [
      [r1, 'p', longValue],
      [r1, 'p', 'ignored'],
    ]);
    expect(await db.get('SELECT "key", value FROM params')).toEqual({ key: 'p', value: longValue });
    await db.run(
      `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, "schema", profile)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ['u', a, 'ds', 'abc', 'local', 's', '{"x":1}', null],
    );
    expect(await db.get('SELECT "schema" FROM datasets')).toEqual({ schema: '{"x":1}' });
    expect(
      (await db.rows(`SELECT run_uuid FROM runs ORDER BY (start_time IS NULL) ASC, start_time DESC`)).flat(),
    ).toEqual(['r3', 'r1', 'r2']);
    expect(
      (await db.rows(`SELECT run_uuid FROM runs ORDER BY (start_time IS NULL) ASC, start_time ASC`)).flat(),
    ).toEqual(['r1', 'r3', 'r2']);

    // metrics keep NaN-free doubles in the primary key; an identical point is a no-op via insertIgnore
    const point = [r1, 1, 0, 1700000000000, 0.1, 0];
    const metricIgnore = d.insertIgnore('metrics', [
      'run_pk',
      'key_id',
      'step',
      'timestamp',
      'value',
      'is_nan',
    ]);
    await db.runMany(metricIgnore, [point, point]);
    expect(await db.get('SELECT COUNT(*) AS c FROM metrics')).toEqual({ c: 1 });

    // webhook events keep their insertion order through seq
    await db.run(
      `INSERT INTO webhooks (webhook_id, name, url, status, creation_timestamp, last_updated_timestamp)
       VALUES ('w1', 'hook', 'https://example.invalid/', 'ACTIVE', 1, 1)`,
    );
    const ev = d.insertIgnore('webhook_events', ['webhook_id', 'entity', 'action']);
    await db.runMany(ev, [
      ['w1', 'registered_model', 'created'],
      ['w1', 'model_version', 'created'],
      ['w1', 'model_version_alias', 'created'],
      ['w1', 'model_version', 'created'],
    ]);
    await db.run(ev, ['w1', 'prompt', 'created']);
    expect(await db.rows("SELECT entity FROM webhook_events WHERE webhook_id = 'w1' ORDER BY seq")).toEqual([
      ['registered_model'],
      ['model_version'],
      ['model_version_alias'],
      ['prompt'],
    ]);

    // deleting the experiment cascades to its tags, runs, their params and datasets
    await db.run('DELETE FROM experiments WHERE experiment_id = ?', [a]);
    for (const t of ['experiment_tags', 'runs', 'params', 'datasets']) {
      expect(await db.get(`SELECT COUNT(*) AS c FROM ${t}`)).toEqual({ c: 0 });
    }
    await db.run('DELETE FROM webhooks');
    expect(await db.get('SELECT COUNT(*) AS c FROM webhook_events')).toEqual({ c: 0 });

    if (dialect === 'mysql') {
      // strict mode: a key longer than its VARCHAR is the client's error, never silently cut
      const e = await rejection(db.run('INSERT INTO metric_keys ("key") VALUES (?)', ['k'.repeat(251)]));
      expect((e as MlflowError).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});

describe('mysql TLS', () => {
  it(
    'connects as the X509-only user with the client certificate',
    async () => {
      const tls = await testMysqlTls();
      if (tls === undefined) {
        // only when the server is not the scripts/db one (no certificates to use)
        expect(process.env.MLTRACK_TEST_MYSQL_URI).toBeTruthy();
        return;
      }
      const db = openMysqlDb(tls.uri, { ssl: tls.ssl });
      try {
        const row = await db.get<{ Value: string }>("SHOW STATUS LIKE 'Ssl_cipher'");
        expect(row?.Value).toMatch(/\S/);
      } finally {
        await db.close();
      }
      const plain = openMysqlDb(tls.uri);
      try {
        const e = await rejection(plain.get('SELECT 1'));
        // refused (REQUIRE X509): a configuration error, not a transient one
        expect(e).not.toBeInstanceOf(MlflowError);
        expect(String((e as Error).message)).toMatch(/Access denied/i);
      } finally {
        await plain.close();
      }
    },
    DATABASE_SETUP_TIMEOUT_MS,
  );
});
