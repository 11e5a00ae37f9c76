import { randomUUID } from 'node:crypto';

/** An open read of one series in get-history order, positioned at row `pos`. */
export interface HistoryCursor {
  readonly runPk: number;
  readonly keyId: number;
  pos: number;
  readonly chunks: AsyncIterator<unknown[][]>;
  /** Rows read from `chunks` and not handed out yet. */
  buf: unknown[][];
  done: boolean;
}

interface Parked {
  cursor: HistoryCursor;
  timer: NodeJS.Timeout;
}

/**
 * Cursors parked between the pages of a get-history pass, so that page n+1 goes on reading where page n stopped
 * instead of sorting the series again and skipping n pages (the Python client reads every history in pages of
 * 25,000; a 1M-point series is 40 pages). The page token names the cursor; a token whose cursor is gone (expired,
 * evicted, taken by a concurrent retry of the same page, or made by another server) falls back to the offset it also
 * carries, so a cursor is only ever a shortcut. A cursor holds a read snapshot (on SQLite, a read-only connection):
 * at most `max` are parked, each for at most `ttlMs`.
 */
export class HistoryCursors {
  private readonly parked = new Map<string, Parked>();

  constructor(
    private readonly max = 8,
    private readonly ttlMs = 60_000,
  ) {}

  /** Takes the parked cursor `id` when it continues this series at `pos`; the caller then owns it. */
  take(id: string | undefined, runPk: number, keyId: number, pos: number): HistoryCursor | undefined {
    if (id === undefined) return undefined;
    const p = this.parked.get(id);
    if (p === undefined) return undefined;
    this.parked.delete(id);
    clearTimeout(p.timer);
    const c = p.cursor;
    if (c.runPk === runPk && c.keyId === keyId && c.pos === pos) return c;
    void closeCursor(c);
    return undefined;
  }

  /** Parks a cursor for the next page; returns its id (the oldest parked cursor is closed when full). */
  park(cursor: HistoryCursor): string {
    while (this.parked.size >= this.max) {
      const oldest = this.parked.keys().next().value as string;
      this.drop(oldest);
    }
    const id = randomUUID();
    const timer = setTimeout(() => this.drop(id), this.ttlMs);
    timer.unref();
    this.parked.set(id, { cursor, timer });
    return id;
  }

  /** Closes every parked cursor (before the database closes). */
  async closeAll(): Promise<void> {
    const all = [...this.parked.values()];
    this.parked.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      await closeCursor(p.cursor);
    }
  }

  private drop(id: string): void {
    const p = this.parked.get(id);
    if (p === undefined) return;
    this.parked.delete(id);
    clearTimeout(p.timer);
    void closeCursor(p.cursor);
  }
}

/** Up to n rows from the cursor, advancing it. */
export async function pullRows(c: HistoryCursor, n: number): Promise<unknown[][]> {
  while (c.buf.length < n && !c.done) {
    const r = await c.chunks.next();
    if (r.done === true) c.done = true;
    else c.buf.push(...r.value);
  }
  const out = c.buf.splice(0, n);
  c.pos += out.length;
  return out;
}

export async function closeCursor(c: HistoryCursor): Promise<void> {
  c.done = true;
  c.buf = [];
  try {
    await c.chunks.return?.();
  } catch {
    // the connection may be closing already
  }
}
