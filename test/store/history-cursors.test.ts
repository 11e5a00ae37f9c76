import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HistoryCursor, HistoryCursors, pullRows } from '../../src/store/sql/shared/history-cursors.js';

/** A cursor over `rows` in chunks of 2 that records whether it was closed. */
function cursor(rows: number, pos = 0): HistoryCursor & { closed: () => boolean } {
  let closed = false;
  async function* chunks() {
    try {
      for (let i = 0; i < rows; i += 2)
        yield Array.from({ length: Math.min(2, rows - i) }, (_, j) => [i + j]);
    } finally {
      closed = true;
    }
  }
  const it = chunks();
  return { runPk: 1, keyId: 1, pos, chunks: it, buf: [], done: false, closed: () => closed };
}

describe('HistoryCursors', () => {
  afterEach(() => vi.useRealTimers());

  it('hands a parked cursor back only for the same series and position, once', async () => {
    const cs = new HistoryCursors();
    const c = cursor(10);
    expect(await pullRows(c, 3)).toEqual([[0], [1], [2]]);
    const id = cs.park(c);
    expect(cs.take(id, 1, 1, 3)).toBe(c);
    expect(cs.take(id, 1, 1, 3)).toBeUndefined(); // taken: a replayed token falls back to its offset
    const id2 = cs.park(c);
    expect(cs.take(id2, 1, 2, 3)).toBeUndefined(); // another key: closed, not handed out
    await vi.waitFor(() => expect(c.closed()).toBe(true));
    expect(cs.take('no-such-id', 1, 1, 3)).toBeUndefined();
  });

  it('closes the oldest when full and any parked longer than the TTL', async () => {
    vi.useFakeTimers();
    const cs = new HistoryCursors(2, 1000);
    const [a, b, c] = [cursor(10), cursor(10), cursor(10)];
    for (const x of [a, b, c]) await pullRows(x, 1);
    cs.park(a);
    const idB = cs.park(b);
    cs.park(c);
    await vi.waitFor(() => expect(a.closed()).toBe(true));
    expect(b.closed()).toBe(false);
    vi.advanceTimersByTime(1001);
    await vi.waitFor(() => expect(b.closed() && c.closed()).toBe(true));
    expect(cs.take(idB, 1, 1, 1)).toBeUndefined();
  });

  it('pullRows reads across chunks and stops at the end', async () => {
    const c = cursor(5);
    expect(await pullRows(c, 4)).toEqual([[0], [1], [2], [3]]);
    expect(await pullRows(c, 4)).toEqual([[4]]);
    expect(c.done).toBe(true);
    expect(c.pos).toBe(5);
    expect(await pullRows(c, 4)).toEqual([]);
  });
});
