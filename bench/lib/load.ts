import type { HttpResult } from './http-client.js';

/** Causes worth naming when an error answer mentions them (the database's own words). */
const ERROR_MARKERS = [
  'database is locked',
  'deadlock detected',
  'could not serialize access',
  'lock wait timeout',
  'too many connections',
];

/**
 * What an error answer says, in a few words: a known cause it mentions (`database is locked`), else its JSON
 * `message`, an HTML page's title, or the start of its text (a dropped connection: the client's error message).
 */
export function errorKind(body: string): string {
  const low = body.toLowerCase();
  const marker = ERROR_MARKERS.find((m) => low.includes(m));
  if (marker !== undefined) return marker;
  let text = body;
  try {
    const j = JSON.parse(body) as { message?: unknown };
    if (typeof j.message === 'string') text = j.message;
  } catch {
    // not JSON
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  return (title ?? text)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100);
}

/** Latencies and statuses of one kind of request in a load phase. */
export class Tally {
  readonly lat: number[] = [];
  readonly byStatus = new Map<number, number>();
  /** Error answers by `<status> <errorKind>`. */
  readonly byKind = new Map<string, number>();
  errors = 0;
  firstError: string | undefined;
  add(r: HttpResult): void {
    this.lat.push(r.ms);
    this.byStatus.set(r.status, (this.byStatus.get(r.status) ?? 0) + 1);
    if (r.status < 200 || r.status >= 300) {
      this.errors++;
      const body = r.body?.toString('utf8') ?? '';
      this.firstError ??= `${r.status} ${body.slice(0, 200)}`;
      const kind = `${r.status} ${errorKind(body.slice(0, 4000))}`;
      this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    }
  }
  statuses(): string {
    return [...this.byStatus].map(([s, n]) => `${s}×${n}`).join(' ');
  }
  /** `503 database is locked ×6; 500 Internal Server Error ×2`, or '' without errors. */
  errorKinds(): string {
    return [...this.byKind].map(([k, n]) => `${k} ×${n}`).join('; ');
  }
}

/** Runs `loops` concurrent loops of `step` until `sec` seconds have passed; returns the wall time (ms). */
export async function forSeconds(
  sec: number,
  loops: number,
  step: (loop: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  const end = t0 + sec * 1000;
  await Promise.all(
    Array.from({ length: loops }, async (_, i) => {
      while (performance.now() < end) await step(i);
    }),
  );
  return performance.now() - t0;
}

/**
 * W2's request (mlflow-go's k6 shape): a log-batch of 10 metrics at step 0 on one shared run, from writer `writer`.
 * The value's integer part is the writer's index: two writers' rng streams can yield the same value for the same
 * key in the same millisecond (mulberry32 with neighbouring seeds repeats outputs at equal positions), and an
 * identical (key, step, timestamp, value) point is, by MLflow's rule, the same point, stored once — which a
 * stored-versus-acknowledged check would misread as a lost point.
 */
export function w2Body(runId: string, r: () => number, writer: number): string {
  const ts = Date.now();
  const metrics = Array.from({ length: 10 }, (_, k) => ({
    key: `w2_metric_${k}`,
    value: writer + r(),
    timestamp: ts,
    step: 0,
  }));
  return JSON.stringify({ run_id: runId, metrics, params: [], tags: [] });
}
