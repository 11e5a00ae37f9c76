import { fmt, mb } from './lib/format.js';
import type { BenchRecord } from './lib/record.js';

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  ok: boolean | null;
}

/** The targets of benchmarks.md and the store issues (2 vCPUs), for each backend that was measured. */
export function checkTargets(records: BenchRecord[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const backend of [...new Set(records.map((r) => r.backend))].filter((b) => b !== 'none')) {
    const get = (w: string) =>
      records.find((r) => r.workload === w && r.server === 'mltrack' && r.backend === backend);
    const slowest = (re: RegExp) =>
      records
        .filter(
          (r) => re.test(r.workload) && r.server === 'mltrack' && r.backend === backend && r.p50 !== null,
        )
        .sort((x, y) => y.p50! - x.p50!)[0];
    const w1 = get('W1');
    const ingest = backend === 'sqlite' ? 200_000 : backend === 'postgres' ? 100_000 : undefined;
    if (w1 !== undefined)
      out.push({
        name: `${backend}: W1 ingest through HTTP log-batch`,
        target: ingest === undefined ? '– (none set)' : `≥ ${ingest.toLocaleString('en-US')} points/s`,
        actual: `${fmt(w1.throughput)} points/s`,
        ok: ingest === undefined || w1.throughput === null ? null : w1.throughput >= ingest,
      });
    const b = get('W4b');
    if (backend === 'sqlite' && b !== undefined)
      out.push({
        name: 'sqlite: W4(b) search p50',
        target: '≤ 50 ms',
        actual: `${fmt(b.p50, 1)} ms (${b.size})`,
        ok: b.p50 !== null ? b.p50 <= 50 : null,
      });
    const w4 = slowest(/^W4[abde]$/);
    if (backend !== 'sqlite' && w4 !== undefined)
      out.push({
        name: `${backend}: search_runs p50, slowest of W4 (a), (b), (d), (e)`,
        target: '≤ 100 ms',
        actual: `${fmt(w4.p50, 1)} ms (${w4.workload}, ${w4.size})`,
        ok: w4.p50! <= 100,
      });
    const w8 = records.filter(
      (r) => r.workload.startsWith('W8') && r.server === 'mltrack' && r.backend === backend,
    );
    const writers = get('W8-writers');
    if (writers !== undefined) {
      const errors = w8.reduce((n, r) => n + r.errors, 0);
      const lost = Number(writers.extra.lostPoints ?? 0);
      out.push(
        {
          name: `${backend}: W8 errors (deadlocks answer 503) and lost points`,
          target: '0',
          actual: `${errors} errors, ${lost} lost`,
          ok: errors === 0 && lost === 0,
        },
        {
          name: `${backend}: W8 writer p99 vs W2 alone`,
          target: '≤ 2×',
          actual: `${String(writers.extra.p99VsAlone)}× (${fmt(writers.p99, 1)} ms)`,
          ok: typeof writers.extra.p99VsAlone === 'number' ? writers.extra.p99VsAlone <= 2 : null,
        },
      );
    }
    const w12 = records.find((r) => r.workload === 'W12-W1');
    if (w12 !== undefined && backend === w12.backend) {
      const wcu = Number(w12.extra.wcuPer1000Points);
      const hot = Number(w12.extra.hottestWcuPerSecAt100000PointsPerSec);
      out.push({
        name: 'dynamodb: W12 write units per 1000 points (W1 shape)',
        target: '≤ 40 WCU',
        actual: `${wcu} WCU`,
        ok: wcu <= 40,
      });
      out.push({
        name: 'dynamodb: W12 hottest partition at 100k points/s',
        target: '≤ 1000 WCU/s',
        actual: `${hot} WCU/s (${String(w12.extra.hottestPartition)})`,
        ok: hot <= 1000,
      });
    }
    const full = get('W5-full');
    const points = Number(full?.extra.points);
    if (full !== undefined && typeof full.extra.rssGrowthMB === 'number') {
      out.push({
        name: `${backend}: W5 RSS growth during a full get-history`,
        target: '≤ 150 MB (for 1M points)',
        actual: `${fmt(full.extra.rssGrowthMB, 0)} MB for ${fmt(points, 0)} points (${full.size})`,
        ok: full.extra.rssGrowthMB <= 150,
      });
      if (full.p50 !== null && points > 0)
        out.push({
          name: `${backend}: W5 full get-history time, scaled to 1M points`,
          target: '≤ 3 s',
          actual: `${fmt((full.p50 * 1e6) / points / 1000, 2)} s (${fmt(full.p50, 0)} ms for ${fmt(points, 0)})`,
          ok: (full.p50 * 1e6) / points <= 3000,
        });
    }
    const w6long = get('W6-long');
    if (w6long !== undefined && w6long.p99 !== null) {
      const p99 = Math.max(w6long.p99 ?? 0, get('W6-short')?.p99 ?? 0);
      out.push({
        name: `${backend}: W6 sampled chart (get-history-bulk-interval) p99`,
        target: '≤ 200 ms',
        actual: `${fmt(p99, 1)} ms (${w6long.size})`,
        ok: p99 <= 200,
      });
      const ratio = w6long.extra.longVsShortP50;
      if (typeof ratio === 'number')
        out.push({
          name: `${backend}: W6 independent of series length (p50 long / short, ${w6long.extra.seriesLengthRatio}× the points)`,
          target: '≤ 1.5×',
          actual: `${ratio}×`,
          ok: ratio <= 1.5,
        });
    }
    const w9 = slowest(/^W9[a-d]$/);
    if (w9 !== undefined)
      out.push({
        name: `${backend}: W9 registry search p50`,
        target: '≤ 50 ms',
        actual: `${fmt(w9.p50, 1)} ms (slowest: ${w9.workload}, ${w9.size})`,
        ok: w9.p50! <= 50,
      });
    out.push(...peerAndShapeTargets(records, backend, get));
    const idle = get('W10-idle');
    if (idle !== undefined)
      out.push({
        name: `${backend}: idle RSS (empty DB, 5 s after start)`,
        target: '≤ 100 MB',
        actual: mb(idle.rssSteadyMB),
        ok: idle.rssSteadyMB != null ? idle.rssSteadyMB <= 100 : null,
      });
  }
  return out;
}

type Get = (w: string) => BenchRecord | undefined;

/** Issue 7's targets: multiples over the peers measured in the same run, W2, W3, start-up and storage (W11). */
function peerAndShapeTargets(records: BenchRecord[], backend: string, get: Get): TargetCheck[] {
  const out: TargetCheck[] = [];
  const peer = (w: string, server: string) =>
    records.find((r) => r.workload === w && r.server === server && r.backend === backend);
  const times = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const multiple = (name: string, at: number, x: number | null, what: string) =>
    out.push({
      name,
      target: `≥ ${at}×`,
      actual: x === null ? '–' : `${x.toFixed(1)}× (${what})`,
      ok: x === null ? null : x >= at,
    });

  const w1 = get('W1');
  const w1m = peer('W1', 'mlflow');
  if (backend === 'sqlite' && w1 !== undefined && w1m !== undefined)
    multiple(
      'sqlite: W1 ingest vs MLflow (same run)',
      25,
      times(w1.throughput, w1m.throughput),
      `${fmt(w1m.throughput)} points/s`,
    );
  const w4a = get('W4a');
  const w4b = get('W4b');
  for (const [id, m] of [
    ['W4a', w4a],
    ['W4b', w4b],
  ] as const) {
    if (m === undefined) continue;
    const mf = peer(id, 'mlflow');
    const go = peer(id, 'mlflow-go');
    if (mf !== undefined)
      multiple(`${backend}: ${id} p50 vs MLflow`, 20, times(mf.p50, m.p50), `${fmt(mf.p50, 1)} ms`);
    if (go !== undefined)
      multiple(`${backend}: ${id} p50 vs mlflow-go`, 2, times(go.p50, m.p50), `${fmt(go.p50, 1)} ms`);
  }
  const w2 = get('W2');
  if (backend === 'sqlite' && w2 !== undefined)
    out.push({
      name: 'sqlite: W2 training-loop logging (20 connections)',
      target: '≥ 3,000 req/s, p99 ≤ 20 ms',
      actual: `${fmt(w2.throughput)} req/s, p99 ${fmt(w2.p99, 1)} ms`,
      ok: w2.throughput !== null && w2.p99 !== null ? w2.throughput >= 3000 && w2.p99 <= 20 : null,
    });
  const w3 = get('W3');
  if (backend === 'sqlite' && w3 !== undefined)
    out.push({
      name: 'sqlite: W3 run churn',
      target: '≥ 1,500 runs/s',
      actual: `${fmt(w3.throughput)} runs/s`,
      ok: w3.throughput === null ? null : w3.throughput >= 1500,
    });
  const w7 = ['W7-experiments', 'W7-runs'].map(get).filter((r) => r !== undefined);
  if (w7.length > 0) {
    const p99 = Math.max(...w7.map((r) => r.p99 ?? 0));
    out.push({
      name: `${backend}: W7 UI page load p99 (slowest request)`,
      target: '≤ 500 ms',
      actual: `${fmt(p99, 1)} ms`,
      ok: p99 <= 500,
    });
  }
  const w7runs = get('W7-runs');
  const resp = typeof w7runs?.extra.responseBytes === 'number' ? w7runs.extra.responseBytes : null;
  if (resp !== null)
    out.push({
      name: `${backend}: W7 runs/search response for 100 runs`,
      target: '≤ 5 MB',
      actual: `${fmt(resp / 2 ** 20, 2)} MiB`,
      ok: resp <= 5 * 2 ** 20,
    });
  const idle = get('W10-idle');
  const start = typeof idle?.extra.startupMsMedian === 'number' ? idle.extra.startupMsMedian : null;
  if (backend === 'sqlite' && start !== null)
    out.push({
      name: 'sqlite: start to first 200 on /health (empty DB)',
      target: '≤ 1 s',
      actual: `${fmt(start, 0)} ms`,
      ok: start <= 1000,
    });
  const bpp = typeof w1?.extra.bytesPerPoint === 'number' ? w1.extra.bytesPerPoint : null;
  const bppTarget = backend === 'sqlite' ? 100 : backend === 'postgres' ? 200 : null;
  if (bpp !== null && bppTarget !== null)
    out.push({
      name: `${backend}: W11 DB bytes per metric point after W1`,
      target: `≤ ${bppTarget} B`,
      actual: `${bpp} B`,
      ok: bpp <= bppTarget,
    });
  return out;
}
