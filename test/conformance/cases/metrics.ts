import { expect } from 'vitest';
import type { Metric } from '../../../src/domain/entities/metric.js';
import type { TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, collectPages, logMetrics, metric, newRun } from './support.js';

async function latest(store: TrackingStore, runId: string, key: string): Promise<Metric | undefined> {
  return (await store.getRun(runId)).data.metrics.find((m) => m.key === key);
}

async function history(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  return (await store.getMetricHistory(runId, key, {})).items;
}

const strip = (ms: Metric[]) =>
  ms.map(({ key, value, timestamp, step }) => ({ key, value, timestamp, step }));

/** MLflow's sampling rule written out directly: NTILE buckets over (step, timestamp, value), first of each, plus last. */
function sampleReference(points: Metric[], maxResults: number): Metric[] {
  const rows = [...points].sort((x, y) => x.step - y.step || x.timestamp - y.timestamp || x.value - y.value);
  const n = rows.length;
  if (n <= maxResults) return rows;
  const picks: Metric[] = [];
  let start = 0;
  for (let b = 0; b < maxResults; b++) {
    picks.push(rows[start]!);
    start += Math.floor(n / maxResults) + (b < n % maxResults ? 1 : 0);
  }
  const last = rows[n - 1]!;
  if (picks[picks.length - 1] !== last) picks[picks.length - 1] = last;
  return picks;
}

export const metricCases: CaseGroup = (test) => {
  test('history is ordered by timestamp, then step, then value', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, id, [metric('m', 5, 20, 1), metric('m', 3, 10, 2), metric('m', 1, 10, 2)]);
    await logMetrics(store, id, [metric('m', 9, 10, 1), metric('m', -4, 30, 0)]);
    expect(strip(await history(store, id, 'm'))).toEqual([
      metric('m', 9, 10, 1),
      metric('m', 1, 10, 2),
      metric('m', 3, 10, 2),
      metric('m', 5, 20, 1),
      metric('m', -4, 30, 0),
    ]);
  });

  test('an identical point is stored once; a different value at the same step and time is kept', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, id, [metric('m', 1, 10, 0), metric('m', 1, 10, 0)]);
    await logMetrics(store, id, [metric('m', 1, 10, 0)]);
    await logMetrics(store, id, [metric('m', 2, 10, 0)]);
    expect(strip(await history(store, id, 'm'))).toEqual([metric('m', 1, 10, 0), metric('m', 2, 10, 0)]);
  });

  test('the latest metric is the greatest (step, timestamp, value), across and within batches', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, id, [metric('m', 1, 100, 5)]);
    await logMetrics(store, id, [metric('m', 2, 999, 4)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 1, 100, 5));
    await logMetrics(store, id, [metric('m', 0.5, 101, 5)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 0.5, 101, 5));
    await logMetrics(store, id, [metric('m', 0.7, 101, 5)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 0.7, 101, 5));
    await logMetrics(store, id, [metric('m', 0.6, 101, 5)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 0.7, 101, 5));
    await logMetrics(store, id, [metric('m', 7, 50, 6), metric('m', 3, 60, 6), metric('m', 8, 40, 2)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 3, 60, 6));
    await logMetrics(store, id, [metric('other', 1, 1, 0)]);
    expect((await store.getRun(id)).data.metrics).toHaveLength(2);
  });

  test('bulk-interval sampling keeps the first point of each NTILE bucket and the last point', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const points: Metric[] = [];
    // 997 points over 499 steps (two at most steps, some at the same step and time), logged out of order
    for (let i = 996; i >= 0; i--)
      points.push(metric('s', (i * 7919) % 101, 1000 + (i % 5), Math.floor(i / 2)));
    for (let i = 0; i < points.length; i += 500) await logMetrics(store, id, points.slice(i, i + 500));
    for (const maxResults of [1, 2, 3, 10, 320, 996, 997, 1000]) {
      const got = await store.getMetricHistoryBulkInterval({ runIds: [id], key: 's', maxResults });
      expect(strip(got), `max_results ${maxResults}`).toEqual(sampleReference(points, maxResults));
    }
    const inRange = points.filter((p) => p.step >= 100 && p.step <= 149);
    const got = await store.getMetricHistoryBulkInterval({
      runIds: [id],
      key: 's',
      startStep: 100,
      endStep: 149,
      maxResults: 7,
    });
    expect(strip(got)).toEqual(sampleReference(inRange, 7));
  });

  test('metrics of different runs are independent', async (store) => {
    const a = (await newRun(store, '0')).info.run_id;
    const b = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, a, [metric('m', 1, 1, 0)]);
    await logMetrics(store, b, [metric('m', 2, 2, 0)]);
    expect(strip(await history(store, a, 'm'))).toEqual([metric('m', 1, 1, 0)]);
    expect(await latest(store, b, 'm')).toEqual(metric('m', 2, 2, 0));
  });

  test('NaN round-trips in history and latest', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, id, [metric('m', Number.NaN, 10, 1)]);
    const h = await history(store, id, 'm');
    expect(h).toHaveLength(1);
    expect(Number.isNaN(h[0]!.value)).toBe(true);
    expect(Number.isNaN((await latest(store, id, 'm'))!.value)).toBe(true);
    await logMetrics(store, id, [metric('m', 4, 10, 2)]);
    expect(await latest(store, id, 'm')).toEqual(metric('m', 4, 10, 2));
  });

  test('±Infinity is stored as ±Number.MAX_VALUE', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, id, [metric('up', Number.POSITIVE_INFINITY, 1, 0)]);
    await logMetrics(store, id, [metric('down', Number.NEGATIVE_INFINITY, 1, 0)]);
    expect(strip(await history(store, id, 'up'))).toEqual([metric('up', Number.MAX_VALUE, 1, 0)]);
    expect(strip(await history(store, id, 'down'))).toEqual([metric('down', -Number.MAX_VALUE, 1, 0)]);
    expect(await latest(store, id, 'up')).toEqual(metric('up', Number.MAX_VALUE, 1, 0));
    expect(await latest(store, id, 'down')).toEqual(metric('down', -Number.MAX_VALUE, 1, 0));
  });

  test('extreme but valid numbers round-trip exactly', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const points = [
      metric('x', 0.1 + 0.2, 0, 0),
      metric('x', -1.5, 1, -5),
      metric('x', 5e-324, 2, 2 ** 40),
      metric('x', 1.7976931348623157e308, Number.MAX_SAFE_INTEGER, 0),
    ];
    await logMetrics(store, id, points);
    expect(strip(await history(store, id, 'x'))).toEqual(points);
  });

  test('history pages follow tokens and together give the whole series once', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const points = Array.from({ length: 7 }, (_, i) => metric('m', i, 1000 + i, i));
    await logMetrics(store, id, points);
    const first = await store.getMetricHistory(id, 'm', { maxResults: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextPageToken).toBeTruthy();
    const all = await collectPages((pageToken) =>
      store.getMetricHistory(
        id,
        'm',
        pageToken === undefined ? { maxResults: 3 } : { maxResults: 3, pageToken },
      ),
    );
    expect(strip(all.items)).toEqual(points);
    expect(strip((await store.getMetricHistory(id, 'm', {})).items)).toEqual(points);
    await expectMlflowError(
      store.getMetricHistory(id, 'm', { maxResults: 3, pageToken: 'not a token' }),
      'INVALID_PARAMETER_VALUE',
    );
  });

  test('history of an unknown key is empty; of an unknown run RESOURCE_DOES_NOT_EXIST', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    expect((await store.getMetricHistory(id, 'never', {})).items).toEqual([]);
    await logMetrics(store, id, [metric('m', 1, 1)]);
    await expectMlflowError(
      store.getMetricHistory('0123456789abcdef0123456789abcdef', 'm', {}),
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  test('bulk history is ordered by run id, then timestamp, step, value, and tagged with run_id', async (store) => {
    const ids = [(await newRun(store, '0')).info.run_id, (await newRun(store, '0')).info.run_id].sort();
    const [a, b] = ids as [string, string];
    await logMetrics(store, b, [metric('m', 2, 20, 0), metric('m', 1, 10, 0)]);
    await logMetrics(store, a, [metric('m', 3, 30, 1), metric('m', 4, 5, 9)]);
    const got = await store.getMetricHistoryBulk([b, a], 'm', 100);
    expect(got).toEqual([
      { ...metric('m', 4, 5, 9), run_id: a },
      { ...metric('m', 3, 30, 1), run_id: a },
      { ...metric('m', 1, 10, 0), run_id: b },
      { ...metric('m', 2, 20, 0), run_id: b },
    ]);
    expect(await store.getMetricHistoryBulk([a, b], 'm', 3)).toHaveLength(3);
  });

  // MLflow 3.17's sampling: NTILE(max_results) buckets over the rows in (step, timestamp, value, is_nan) order,
  // the first row of each, plus the series' last row (replacing the last pick when the page is full).
  test('bulk interval samples rows into max_results buckets and keeps the last row', async (store) => {
    const a = (await newRun(store, '0')).info.run_id;
    const b = (await newRun(store, '0')).info.run_id;
    await logMetrics(
      store,
      a,
      Array.from({ length: 10 }, (_, i) => metric('m', 10, 1, i)),
    );
    await logMetrics(
      store,
      b,
      Array.from({ length: 20 }, (_, i) => metric('m', 10, 1, i)),
    );
    const steps = async (runIds: string[], maxResults: number, run: string) =>
      (await store.getMetricHistoryBulkInterval({ runIds, key: 'm', maxResults }))
        .filter((m) => m.run_id === run)
        .map((m) => m.step);
    expect(await steps([a], 5, a)).toEqual([0, 2, 4, 6, 9]);
    expect(await steps([a, b], 5, b)).toEqual([0, 4, 8, 12, 19]);
    expect(await steps([a], 1, a)).toEqual([9]);
    expect(await steps([a], 2500, a)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // runs come back in the order asked
    const both = await store.getMetricHistoryBulkInterval({ runIds: [b, a], key: 'm', maxResults: 2 });
    expect(both.map((m) => m.run_id)).toEqual([b, b, a, a]);
  });

  test('bulk interval samples rows, not steps: points sharing a step count separately', async (store) => {
    const a = (await newRun(store, '0')).info.run_id;
    await logMetrics(store, a, [
      ...Array.from({ length: 10 }, (_, i) => metric('m', 10, 1, i)),
      ...Array.from({ length: 10 }, (_, i) => metric('m', 10, 2, i)),
    ]);
    const got = await store.getMetricHistoryBulkInterval({ runIds: [a], key: 'm', maxResults: 5 });
    expect(got.map((m) => [m.step, m.timestamp])).toEqual([
      [0, 1],
      [2, 1],
      [4, 1],
      [6, 1],
      [9, 2],
    ]);
  });

  test('bulk interval honours a step range', async (store) => {
    const a = (await newRun(store, '0')).info.run_id;
    await logMetrics(
      store,
      a,
      Array.from({ length: 50 }, (_, i) => metric('m', i, 1000 + i, i)),
    );
    const got = await store.getMetricHistoryBulkInterval({
      runIds: [a],
      key: 'm',
      startStep: 10,
      endStep: 30,
      maxResults: 5,
    });
    const steps = [...new Set(got.map((m) => m.step))];
    expect(steps.length).toBeLessThanOrEqual(6);
    expect(steps).toContain(10);
    expect(steps).toContain(30);
    for (const s of steps) {
      expect(s).toBeGreaterThanOrEqual(10);
      expect(s).toBeLessThanOrEqual(30);
    }
    expect(await store.getMetricHistoryBulkInterval({ runIds: [a], key: 'nope', maxResults: 5 })).toEqual([]);
  });
};
