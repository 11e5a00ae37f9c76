import type { Metric } from '../../domain/entities/metric.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../domain/search/page-token.js';
import type { SearchResult } from '../types.js';
import type { Ddb } from './ddb.js';
import {
  decodeBucketChunk,
  decodeChunk,
  historyOrder,
  type Point,
  pointId,
  stepOrder,
} from './history-codec.js';
import * as K from './keys.js';
import type { DynamoRuns } from './runs.js';

const toMetric = (key: string, p: Point, runId?: string): Metric => {
  const m: Metric = { key, value: p.value, timestamp: p.timestamp, step: p.step };
  if (runId !== undefined) m.run_id = runId;
  return m;
};

/** Metric history reads: a key's packed chunks (one query on the run's history partition), merged and sorted. */
export class DynamoMetrics {
  constructor(
    private readonly ddb: Ddb,
    private readonly runs: DynamoRuns,
  ) {}

  /** Every distinct point of one series, unsorted. */
  async points(runId: string, key: string): Promise<Point[]> {
    const [own, shared] = await Promise.all([
      this.ddb.prefix(K.historyPk(runId), `K#${key}#`),
      this.ddb.prefix(K.historyPk(runId), `B#${K.keyBucket(key)}#`),
    ]);
    const seen = new Set<string>();
    const out: Point[] = [];
    const chunks: Point[][] = own.map((it) => decodeChunk(it.d as Uint8Array));
    for (const it of shared) {
      const i = (it.k as string[]).indexOf(key);
      if (i >= 0) chunks.push(decodeBucketChunk(it.d as Uint8Array, i));
    }
    for (const pts of chunks) {
      for (const p of pts) {
        const id = pointId(p);
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(p);
      }
    }
    return out;
  }

  async history(
    runId: string,
    key: string,
    page: { maxResults?: number; pageToken?: string },
  ): Promise<SearchResult<Metric>> {
    await this.runs.experimentIdOf(runId); // RESOURCE_DOES_NOT_EXIST for an unknown run
    const offset = decodeOffsetToken(page.pageToken);
    const all = (await this.points(runId, key)).sort(historyOrder);
    const end = page.maxResults === undefined ? all.length : offset + page.maxResults;
    const out: SearchResult<Metric> = { items: all.slice(offset, end).map((p) => toMetric(key, p)) };
    if (end < all.length) out.nextPageToken = encodeOffsetToken(end);
    return out;
  }

  /** The series is read whole (its points are packed in a few items), then handed out in chunks. */
  async historyChunks(runId: string, key: string, chunkRows: number): Promise<AsyncIterable<Metric[]>> {
    await this.runs.experimentIdOf(runId);
    const all = (await this.points(runId, key)).sort(historyOrder);
    return (async function* () {
      for (let i = 0; i < all.length; i += chunkRows) {
        yield all.slice(i, i + chunkRows).map((p) => toMetric(key, p));
      }
    })();
  }

  async bulk(runIds: string[], key: string, maxResults: number): Promise<Metric[]> {
    const out: Metric[] = [];
    for (const runId of [...new Set(runIds)].sort()) {
      await this.runs.experimentIdOf(runId);
      const pts = (await this.points(runId, key)).sort(historyOrder);
      for (const p of pts.slice(0, maxResults - out.length)) out.push(toMetric(key, p, runId));
      if (out.length >= maxResults) break;
    }
    return out;
  }

  /** MLflow's sampling rule (see the SQL store): NTILE(maxResults) bucket starts in step order, plus the last point. */
  async bulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<Metric[]> {
    for (const id of q.runIds) await this.runs.experimentIdOf(id);
    const out: Metric[] = [];
    for (const runId of q.runIds) {
      let pts = await this.points(runId, q.key);
      if (q.startStep !== undefined && q.endStep !== undefined) {
        pts = pts.filter((p) => p.step >= q.startStep! && p.step <= q.endStep!);
      }
      pts.sort(stepOrder);
      const n = pts.length;
      if (n <= q.maxResults) {
        for (const p of pts) out.push(toMetric(q.key, p, runId));
        continue;
      }
      const picks: Point[] = [];
      let start = 0;
      for (let b = 0; b < q.maxResults; b++) {
        picks.push(pts[start]!);
        start += Math.floor(n / q.maxResults) + (b < n % q.maxResults ? 1 : 0);
      }
      picks[picks.length - 1] = pts[n - 1]!;
      for (const p of picks) out.push(toMetric(q.key, p, runId));
    }
    return out;
  }
}
