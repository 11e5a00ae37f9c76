import { fileSize } from './lib/backends.js';
import { CpuMeter, type CpuShare, cpuExtra } from './lib/cpu.js';
import { HttpClient } from './lib/http-client.js';
import { memOf, RssSampler } from './lib/proc.js';
import { type LatencySummary, median, round, summarize } from './lib/stats.js';
import type { RunningTarget } from './lib/targets.js';
import { batchBody, W1_BATCH, type W1Plan } from './w1-data.js';

const API = '/api/2.0/mlflow';

export interface IngestResult {
  points: number;
  requests: number;
  wallMs: number;
  pointsPerSec: number;
  reqPerSec: number;
  latency: LatencySummary;
  errors: number;
  firstError?: string;
  rssPeakMB: number;
  rssSteadyMB: number;
  cpu: CpuShare;
  /** db + -wal right after the load, before the server stops. */
  dbBytesLive?: number;
}

/**
 * W1 against one target: creates one run per client (untimed), pre-builds every body (untimed), then each client
 * sends its run's batches back to back on its own keep-alive connection. With `maxMs`, the clients stop sending
 * once that much time has passed (slow peers), and the figures cover what was sent.
 */
export async function ingest(
  t: RunningTarget,
  plan: W1Plan,
  dbFile?: string,
  maxMs = Number.POSITIVE_INFINITY,
): Promise<IngestResult> {
  const client = new HttpClient(t.baseUrl, plan.clients);
  try {
    const runIds: string[] = [];
    for (let c = 0; c < plan.clients; c++) {
      const res = await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
        experiment_id: '0',
        run_name: `w1-client-${c}`,
        start_time: Date.now(),
      });
      // The no-op floor answers a fixed id; use a 32-hex one so its bodies have mltrack's exact size.
      const id = res.run.info.run_id;
      runIds.push(id.length === 32 ? id : c.toString(16).padStart(32, '0'));
    }
    const bodies = runIds.map((id, c) =>
      Array.from({ length: plan.requestsPerClient }, (_, j) => batchBody(id, c, j)),
    );
    const lat: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const sampler = new RssSampler(t.pid, 100);
    const meter = new CpuMeter([t.pid]);
    const t0 = performance.now();
    await Promise.all(
      bodies.map(async (list) => {
        for (const body of list) {
          if (performance.now() - t0 > maxMs) break;
          const r = await client.request('POST', `${API}/runs/log-batch`, body, true);
          lat.push(r.ms);
          if (r.status < 200 || r.status >= 300) {
            errors++;
            firstError ??= `${r.status} ${r.body?.toString('utf8').slice(0, 300)}`;
          }
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const samples = sampler.stop();
    const cpu = meter.stop();
    const requests = lat.length;
    const out: IngestResult = {
      points: requests * W1_BATCH,
      requests,
      wallMs,
      pointsPerSec: (requests * W1_BATCH) / (wallMs / 1000),
      reqPerSec: requests / (wallMs / 1000),
      latency: summarize(lat),
      errors,
      rssPeakMB: memOf(t.pid).hwmMB,
      rssSteadyMB: median(samples),
      cpu,
    };
    if (firstError !== undefined) out.firstError = firstError;
    if (dbFile !== undefined) out.dbBytesLive = fileSize(dbFile) + fileSize(`${dbFile}-wal`);
    return out;
  } finally {
    client.close();
  }
}

/**
 * The fields a W1 row shares, whoever served it (mltrack or a peer): points/s, request latencies, server memory,
 * errors, and the extras every W1 row carries. `rows` is the metrics table's count after the run.
 */
export function ingestRowFields(m: IngestResult, clients: number, dbBytes: number, rows: number) {
  return {
    workload: 'W1',
    throughput: Math.round(m.pointsPerSec),
    throughputUnit: 'points/s',
    p50: round(m.latency.p50, 2),
    p95: round(m.latency.p95, 2),
    p99: round(m.latency.p99, 2),
    rssPeakMB: round(m.rssPeakMB),
    rssSteadyMB: round(m.rssSteadyMB),
    dbBytes,
    errors: m.errors,
    extra: {
      points: m.points,
      requests: m.requests,
      clients,
      wallSec: round(m.wallMs / 1000, 2),
      reqPerSec: round(m.reqPerSec),
      bytesPerPoint: rows > 0 ? round(dbBytes / rows) : null,
      ...cpuExtra(m.cpu),
    },
  };
}
