import path from 'node:path';
import { type BenchBackend, type BenchDatabase, freshDatabase } from './lib/backends.js';
import { MLTRACK } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord, serialQueryRow } from './lib/record.js';
import { median, round } from './lib/stats.js';
import { mltrackTarget, REPO_ROOT, startTarget } from './lib/targets.js';
import { startOnDataRecord } from './start-on-data.js';
import { floorW4b, latencyOf, type QueryTiming, timePaging, timeQuery, w4Queries } from './w4-search.js';
import { seedW4 } from './w4-seed.js';

export interface W4Options {
  backend: BenchBackend;
  runs: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  iterations: number;
  warmups: number;
  log: (msg: string) => void;
  /** Waits for the machine to be quiet before each measured phase. */
  quiet: (what: string) => Promise<void>;
}

const ms = (v: number) => round(v, 2);

/** The W4 data set in a fresh database of the backend (seeded untimed); W8 reuses it. */
export interface W4Data {
  db: BenchDatabase;
  experimentId: string;
  runs: number;
  dbBytes: number;
}

export async function prepareW4(o: W4Options): Promise<W4Data> {
  const db = await freshDatabase(o.backend, path.join(o.workDir, `w4-${o.backend}`));
  try {
    const seed = await seedW4(db.uri, o.runs, REPO_ROOT);
    const dbBytes = await db.bytes();
    o.log(
      `W4 ${o.backend}: seeded ${seed.runs} runs in ${(seed.ms / 1000).toFixed(1)} s (not measured), db ${dbBytes} bytes`,
    );
    return { db, experimentId: seed.experimentId, runs: seed.runs, dbBytes };
  } catch (e) {
    await db.drop();
    throw e;
  }
}

/** W4 search at scale: queries (a)–(e) over HTTP at c=1, (b) also at c=8, and the (b) floor, on prepared data. */
export async function runW4(o: W4Options, data: W4Data): Promise<BenchRecord[]> {
  const rec = (r: Parameters<typeof makeRecord>[2]) =>
    makeRecord(o.env, o.size, { ...r, backend: o.backend });
  const { db, dbBytes } = data;
  const seed = data;
  await o.quiet('W4 queries');
  const server = await startTarget(mltrackTarget, {
    storeUri: db.uri,
    artifactDir: path.join(o.workDir, 'w4-art'),
  });
  const out: BenchRecord[] = [];
  // W10 (part): mltrack's W4 server started on the seeded database (not stamped with the W4 phase's memory)
  const startRec = startOnDataRecord({
    env: o.env,
    size: o.size,
    backend: o.backend,
    contender: MLTRACK,
    startupMs: server.startupMs,
    runs: seed.runs,
    dbBytes,
  });
  const client = new HttpClient(server.baseUrl, 8);
  const sampler = new RssSampler(server.pid, 100);
  const rssAtStart = memOf(server.pid).rssMB;
  let floorCheck: QueryTiming | undefined;
  try {
    for (const q of w4Queries(seed.experimentId)) {
      const meter = new CpuMeter([server.pid]);
      const t = await timeQuery(client, q.body, o.warmups, o.iterations);
      const cpu = meter.stop();
      if (q.id === 'W4b') floorCheck = t;
      const l = latencyOf(t.lat);
      o.log(`${q.id}: p50 ${l.p50.toFixed(1)} ms, ${t.runsReturned} runs, ${t.bytes} bytes`);
      out.push(
        rec({
          ...serialQueryRow(q.id, t, dbBytes),
          extra: {
            query: q.label,
            concurrency: 1,
            iterations: t.lat.length,
            runsReturned: t.runsReturned,
            responseBytes: t.bytes,
            runsPerSec: round((t.runsReturned * t.lat.length) / (t.wallMs / 1000)),
            ...cpuExtra(cpu),
          },
        }),
      );
      if (q.id === 'W4b') {
        const m8 = new CpuMeter([server.pid]);
        const c8 = await timeQuery(client, q.body, 8, Math.max(o.iterations, 10) * 4, 8);
        const cpu8 = m8.stop();
        const l8 = latencyOf(c8.lat);
        o.log(
          `W4b c=8: p50 ${l8.p50.toFixed(1)} ms, ${(c8.lat.length / (c8.wallMs / 1000)).toFixed(1)} req/s`,
        );
        out.push(
          rec({
            workload: 'W4b-c8',
            backend: o.backend,
            server: 'mltrack',
            throughput: round(c8.lat.length / (c8.wallMs / 1000)),
            throughputUnit: 'req/s (c=8)',
            p50: ms(l8.p50),
            p95: ms(l8.p95),
            p99: ms(l8.p99),
            dbBytes,
            errors: c8.errors,
            extra: {
              query: q.label,
              concurrency: 8,
              iterations: c8.lat.length,
              responseBytes: c8.bytes,
              ...cpuExtra(cpu8),
            },
          }),
        );
      }
    }
    const pageSize = 1000;
    const pagesPerPass = Math.max(1, Math.ceil(o.runs / pageSize));
    const passes = Math.max(3, Math.ceil(o.iterations / pagesPerPass));
    const pm = new CpuMeter([server.pid]);
    const p = await timePaging(
      client,
      seed.experimentId,
      pageSize,
      pagesPerPass >= 3 ? 1 : o.warmups,
      passes,
    );
    const pcpu = pm.stop();
    const lp = latencyOf(p.pageLat);
    const passMedian = median(p.passMs);
    o.log(
      `W4c: ${p.pages} pages, ${p.runs} runs, pass ${(passMedian / 1000).toFixed(2)} s (median of ${passes})`,
    );
    if (p.runs !== o.runs) o.log(`W4c: WARNING paging returned ${p.runs} runs, expected ${o.runs}`);
    out.push(
      rec({
        workload: 'W4c',
        backend: o.backend,
        server: 'mltrack',
        throughput: round(p.runs / (passMedian / 1000)),
        throughputUnit: 'runs/s (c=1)',
        p50: ms(lp.p50),
        p95: ms(lp.p95),
        p99: ms(lp.p99),
        dbBytes,
        errors: p.errors,
        extra: {
          query: `page through all runs, pages of ${pageSize} (latencies are per page)`,
          passes,
          pages: p.pages,
          runsReturned: p.runs,
          totalMsMedian: ms(passMedian),
          totalMsMax: ms(Math.max(...p.passMs)),
          responseBytes: p.bytes,
          ...cpuExtra(pcpu),
        },
      }),
    );
  } finally {
    client.close();
    stampServerMemory(out, server, sampler.stop(), rssAtStart);
    await server.stop();
  }

  await o.quiet('W4 floor');
  const fm = new CpuMeter([]);
  const f = await floorW4b(db, seed.experimentId, o.warmups, o.iterations);
  const fcpu = fm.stop();
  const sel = latencyOf(f.selectLat);
  const rows = latencyOf(f.selectAndRowsLat);
  const same =
    floorCheck !== undefined &&
    floorCheck.runIds.length === f.runIds.length &&
    floorCheck.runIds.every((id, i) => id === f.runIds[i]);
  if (!same) o.log('W4b floor: WARNING the raw SQL selected different runs than mltrack');
  o.log(`W4b floor: select p50 ${sel.p50.toFixed(2)} ms; + rows p50 ${rows.p50.toFixed(2)} ms`);
  const b = out.find((r) => r.workload === 'W4b');
  if (b?.p50 != null) {
    b.extra.vsFloorSelect = round(b.p50 / sel.p50, 1);
    b.extra.vsFloorSelectAndRows = round(b.p50 / rows.p50, 1);
  }
  const floorRec = (server: string, l: ReturnType<typeof latencyOf>, what: string) =>
    rec({
      workload: 'W4b',
      backend: o.backend,
      server,
      throughput: round(1000 / l.mean),
      throughputUnit: 'queries/s (in-process)',
      p50: ms(l.p50),
      p95: ms(l.p95),
      p99: ms(l.p99),
      dbBytes,
      extra: {
        query: what,
        iterations: l.n,
        runsReturned: f.runIds.length,
        sameRunsAsMltrack: same,
        ...cpuExtra(fcpu),
      },
    });
  out.push(
    floorRec(`floor:${o.backend}-raw`, sel, 'one hand-written SQL query: run selection with the joins'),
    floorRec(
      `floor:${o.backend}-raw+rows`,
      rows,
      'selection + params/tags/latest_metrics rows of the page, no JSON',
    ),
    startRec,
  );
  return out;
}
