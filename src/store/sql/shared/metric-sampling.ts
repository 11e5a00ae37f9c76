import type { SqlDb, SqlValue } from '../sql-db.js';

/** A stored point as the metrics table holds it (a NaN is value 0 with is_nan 1). */
export interface PointRow {
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

/** One run's series: the metrics rows of (runPk, keyId), within [startStep, endStep] when both are given. */
export interface Series {
  runPk: number;
  keyId: number;
  startStep?: number | undefined;
  endStep?: number | undefined;
}

const COLS = 'value, timestamp, step, is_nan';
/** The primary key's order after (run_pk, key_id): an index walk, never a sort. */
const ORDER = 'ORDER BY step, timestamp, value, is_nan';
const ORDER_DESC = 'ORDER BY step DESC, timestamp DESC, value DESC, is_nan DESC';

function filter(s: Series): { sql: string; args: SqlValue[]; end: SqlValue[] } {
  if (s.startStep !== undefined && s.endStep !== undefined) {
    return {
      sql: 'run_pk = ? AND key_id = ? AND step BETWEEN ? AND ?',
      args: [s.runPk, s.keyId, s.startStep, s.endStep],
      end: [s.endStep],
    };
  }
  return { sql: 'run_pk = ? AND key_id = ?', args: [s.runPk, s.keyId], end: [] };
}

/**
 * NTILE(buckets) over n > buckets rows: the first (n mod buckets) buckets hold size + 1 rows, the rest size rows,
 * with size = floor(n / buckets). Returns size and the row count of the big buckets together (bigEnd).
 */
export function ntileFirsts(n: number, buckets: number): { size: number; bigEnd: number } {
  const size = Math.floor(n / buckets);
  return { size, bigEnd: (n % buckets) * (size + 1) };
}

/**
 * MLflow's chart sampling of one series (see SqlMetrics.bulkInterval): every row when there are at most maxResults,
 * else the first row of each of maxResults NTILE buckets in primary-key order, the last row replacing the last pick.
 * Bucket starts come from the row count (ntileFirsts); SQLite finds them by skipping along the primary key, the
 * other dialects number the rows in one statement (one round trip).
 */
export async function sampleSeries(db: SqlDb, s: Series, maxResults: number): Promise<PointRow[]> {
  const f = filter(s);
  const counted = await db.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM metrics WHERE ${f.sql}`,
    f.args,
  );
  const n = Number(counted?.n ?? 0);
  if (n === 0) return [];
  if (n <= maxResults) return db.all<PointRow>(`SELECT ${COLS} FROM metrics WHERE ${f.sql} ${ORDER}`, f.args);
  return db.dialect === 'sqlite'
    ? sampleBySkipping(db, s, n, maxResults)
    : sampleByNumbering(db, s, n, maxResults);
}

/**
 * PostgreSQL and MySQL (n > maxResults rows): the database numbers the rows along the primary key and returns the
 * picked ones: no sort, no NTILE pass, and only about maxResults rows cross the wire. Numbering costs about 1 µs a
 * row on SQLite, hence sampleBySkipping there.
 */
export async function sampleByNumbering(
  db: SqlDb,
  s: Series,
  n: number,
  maxResults: number,
): Promise<PointRow[]> {
  const f = filter(s);
  const t = ntileFirsts(n, maxResults);
  // 1-based row numbers rn: bucket starts are every (size + 1) rows up to `bigEnd`, then every `size` rows.
  const rows = await db.all<PointRow>(
    `SELECT ${COLS} FROM (
       SELECT ${COLS}, ROW_NUMBER() OVER (${ORDER}) AS rn
       FROM metrics WHERE ${f.sql}) numbered
     WHERE (rn <= ? AND (rn - 1) % ? = 0) OR (rn > ? AND (rn - 1 - ?) % ? = 0) OR rn = ?
     ORDER BY rn`,
    [...f.args, t.bigEnd, t.size + 1, t.bigEnd, t.bigEnd, t.size, n],
  );
  // The last row came back as an extra pick unless it starts a bucket: it replaces the last bucket start.
  if (rows.length > maxResults) rows.splice(rows.length - 2, 1);
  return rows;
}

/**
 * SQLite (n > maxResults rows): the starts of buckets 0 … maxResults-2 by skipping along the primary key, then the
 * last row, which is never one of them and takes the place of the last bucket's start. One small statement per
 * bucket (prepared once, synchronous in node:sqlite), each skipping one bucket's rows with OFFSET inside an index
 * walk from the previous pick p; it reads the row after the new pick too, to tell whether that pick ends its step:
 * - when p is the last row of its step, the rows after it are those of the later steps: `step > p.step`. A lone
 *   column bound only starts the walk, so a skipped row costs ~40 ns;
 * - else the keyset `(step, timestamp, value, is_nan) > p`, which SQLite re-tests on every skipped row (~85 ns).
 * With one point per step, as a chart of a training loop has, every skip takes the first way.
 *
 * Consistency: the statements run one by one, each in its own autocommit read, not in one snapshot (a transaction
 * would take the connection's write lock and hold writers off for the whole sample), so a batch may be logged
 * between two of them. Points are only ever added to a series (and removed only with their run), and each start is
 * taken after the previous pick, so such a batch can only shift the later starts by the points it added: the answer
 * is still at most maxResults real rows of the series in order, ending with its last row, just not the bucket
 * starts of one moment. For a chart being logged to that is as good as the next refresh, and the sample of a series
 * at rest is exact; the count and the query of sampleByNumbering are separate statements too.
 */
export async function sampleBySkipping(
  db: SqlDb,
  s: Series,
  n: number,
  maxResults: number,
): Promise<PointRow[]> {
  const f = filter(s);
  const { size, bigEnd } = ntileFirsts(n, maxResults);
  const bigBuckets = bigEnd / (size + 1);
  const upTo = f.end.length > 0 ? ' AND step <= ?' : '';
  /** The row `skip` rows into those `where` finds after p, and the row after it. */
  const after = (where: string, args: SqlValue[], skip: number) =>
    db.all<PointRow>(
      `SELECT ${COLS} FROM metrics WHERE run_pk = ? AND key_id = ? AND ${where}${upTo} ${ORDER} LIMIT 2 OFFSET ?`,
      [s.runPk, s.keyId, ...args, ...f.end, skip],
    );
  const picks: PointRow[] = [];
  let rows =
    maxResults > 1
      ? await db.all<PointRow>(`SELECT ${COLS} FROM metrics WHERE ${f.sql} ${ORDER} LIMIT 2`, f.args)
      : [];
  for (let b = 1; ; b++) {
    const [p, following] = rows;
    if (p === undefined) break; // (only if the run's points were deleted meanwhile, or maxResults is 1)
    picks.push(p);
    if (b === maxResults - 1) break;
    const skip = size + (b - 1 < bigBuckets ? 1 : 0) - 1; // bucket b - 1, which p starts, holds skip + 1 rows
    rows =
      following === undefined || following.step !== p.step
        ? await after('step > ?', [p.step], skip)
        : await after(
            '(step, timestamp, value, is_nan) > (?, ?, ?, ?)',
            [p.step, p.timestamp, p.value, p.is_nan],
            skip,
          );
  }
  const last = await db.get<PointRow>(
    `SELECT ${COLS} FROM metrics WHERE ${f.sql} ${ORDER_DESC} LIMIT 1`,
    f.args,
  );
  if (last !== undefined) picks.push(last); // the greatest row, so after every pick
  return picks;
}
