import { expect } from 'vitest';
import type { Metric } from '../../../src/domain/entities/metric.js';
import { HISTORY_CHUNK_ROWS, type TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, logMetrics, metric, newRun } from './support.js';

async function streamed(store: TrackingStore, runId: string, key: string): Promise<Metric[][]> {
  const chunks: Metric[][] = [];
  for await (const c of await store.streamMetricHistory(runId, key)) chunks.push(c);
  return chunks;
}

/** streamMetricHistory: the whole series, in getMetricHistory's order and values, handed out in chunks. */
export const metricStreamCases: CaseGroup = (test) => {
  test('the stream gives the series of get-history in chunks, in the same order', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const n = HISTORY_CHUNK_ROWS * 2 + 7;
    // timestamps out of step order, repeated steps, a NaN and infinities: the order is timestamp, step, value
    const points = Array.from({ length: n }, (_, i) =>
      metric('m', (i * 7919) % 1000, 5000 + ((i * 31) % 977), i % 50),
    );
    points.push(metric('m', Number.NaN, 1, 3), metric('m', Number.POSITIVE_INFINITY, 2, 3));
    points.push(metric('m', Number.NEGATIVE_INFINITY, 2, 3));
    for (let i = 0; i < points.length; i += 1000) await logMetrics(store, id, points.slice(i, i + 1000));
    const chunks = await streamed(store, id, 'm');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks.slice(0, -1)) expect(c).toHaveLength(HISTORY_CHUNK_ROWS);
    const whole = (await store.getMetricHistory(id, 'm', {})).items;
    expect(chunks.flat()).toEqual(whole);
    expect(whole).toHaveLength(new Set(points.map((p) => `${p.value}/${p.timestamp}/${p.step}`)).size);
  });

  test('the stream of an unknown key is empty; of an unknown run fails before the first chunk', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    expect(await streamed(store, id, 'never')).toEqual([]);
    await logMetrics(store, id, [metric('m', 1, 1)]);
    expect((await streamed(store, id, 'm')).flat()).toEqual([metric('m', 1, 1)]);
    await expectMlflowError(
      store.streamMetricHistory('0123456789abcdef0123456789abcdef', 'm'),
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  test('a stream ended early frees its reader; later reads and writes go on', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const points = Array.from({ length: HISTORY_CHUNK_ROWS + 10 }, (_, i) => metric('m', i, 1000 + i, i));
    for (let i = 0; i < points.length; i += 1000) await logMetrics(store, id, points.slice(i, i + 1000));
    for (let round = 0; round < 5; round++) {
      for await (const c of await store.streamMetricHistory(id, 'm')) {
        expect(c[0]).toEqual(points[0]);
        break;
      }
    }
    // a stream open across a write sees the series as it was when it started
    const it = (await store.streamMetricHistory(id, 'm'))[Symbol.asyncIterator]();
    const first = await it.next();
    await logMetrics(store, id, [metric('m', -1, 999_999_999, 99_999)]);
    let rest = 0;
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest += r.value.length;
    expect((first.value as Metric[]).length + rest).toBeGreaterThanOrEqual(points.length);
    const after = (await streamed(store, id, 'm')).flat();
    expect(after).toHaveLength(points.length + 1);
    expect(after.at(-1)).toEqual(metric('m', -1, 999_999_999, 99_999));
  });

  test('history pages: a replayed token gives the same page, and the pages join into the series', async (store) => {
    const id = (await newRun(store, '0')).info.run_id;
    const n = 12_007;
    const points = Array.from({ length: n }, (_, i) => metric('m', i % 97, 1000 + ((i * 7919) % n), i % 13));
    for (let i = 0; i < n; i += 1000) await logMetrics(store, id, points.slice(i, i + 1000));
    await logMetrics(store, id, [metric('other', 1, 1)]);
    const whole = (await store.getMetricHistory(id, 'm', {})).items;
    expect(whole).toHaveLength(n);
    const page = (pageToken?: string, key = 'm') =>
      store.getMetricHistory(
        id,
        key,
        pageToken === undefined ? { maxResults: 5000 } : { maxResults: 5000, pageToken },
      );
    const p1 = await page();
    const p2 = await page(p1.nextPageToken);
    const p2again = await page(p1.nextPageToken);
    expect(p2again.items).toEqual(p2.items);
    const p3 = await page(p2.nextPageToken);
    const p3again = await page(p2again.nextPageToken);
    expect(p3again.items).toEqual(p3.items);
    expect(p3.nextPageToken).toBeUndefined();
    expect([...p1.items, ...p2.items, ...p3.items]).toEqual(whole);
    // a token used for another series reads that series from the token's offset
    expect((await page(p1.nextPageToken, 'other')).items).toEqual([]);
  });
};
