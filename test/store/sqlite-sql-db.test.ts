import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSqlDb } from '../../src/store/sql/sqlite/sqlite-sql-db.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let db: SqliteSqlDb | undefined;
let dir: string | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  if (dir !== undefined) await removeDir(dir);
  dir = undefined;
});

function open(): SqliteSqlDb {
  db = new SqliteSqlDb(':memory:');
  db.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return db;
}

describe('SqliteSqlDb', () => {
  it('keeps other async paths out of an open transaction (no dirty reads, nothing swept into a rollback)', async () => {
    const d = open();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = d
      .tx(async () => {
        await d.run('INSERT INTO t (v) VALUES (?)', ['inside']);
        await gate;
        throw new Error('roll back');
      })
      .catch((e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 5));
    // issued while the transaction is open: must wait for it, then see only committed rows
    const read = d.all<{ v: string }>('SELECT v FROM t');
    const write = d.run('INSERT INTO t (v) VALUES (?)', ['outside']);
    release();
    expect(await tx).toBe('roll back');
    expect((await read).map((r) => r.v)).toEqual([]);
    await write;
    expect((await d.all<{ v: string }>('SELECT v FROM t')).map((r) => r.v)).toEqual(['outside']);
  });

  it('nested tx joins the outer one; insertReturningId gives the new key; runMany applies every row', async () => {
    const d = open();
    const id = await d.tx(async () => {
      const a = await d.insertReturningId('INSERT INTO t (v) VALUES (?)', ['a'], 'id');
      await d.tx(async () => d.runMany('INSERT INTO t (v) VALUES (?)', [['b'], ['c']]));
      return a;
    });
    expect(id).toBe(1);
    expect(await d.rows('SELECT id, v FROM t ORDER BY id')).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    await expect(
      d.tx(async () => {
        await d.run('INSERT INTO t (v) VALUES (?)', ['x']);
        await d.tx(async () => {
          throw new Error('inner');
        });
      }),
    ).rejects.toThrow('inner');
    expect(await d.get<{ n: number }>('SELECT COUNT(*) AS n FROM t')).toEqual({ n: 3 });
  });

  it('starts the WAL checkpoint worker only once the WAL reaches 4 MiB, not with the first write', async () => {
    dir = await makeTempDir();
    const d = new SqliteSqlDb(path.join(dir, 'mlflow.db'));
    db = d;
    await d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await d.run('INSERT INTO t (v) VALUES (?)', ['small']);
    expect(Reflect.get(d, 'checkpointer')).toBeUndefined();
    const row = 'x'.repeat(4096);
    await d.runMany(
      'INSERT INTO t (v) VALUES (?)',
      Array.from({ length: 1200 }, () => [row]),
    );
    expect(d.db.walBytes()).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(Reflect.get(d, 'checkpointer')).toBeDefined();
  });
});
