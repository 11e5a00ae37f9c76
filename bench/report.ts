import type { BenchEnv } from './lib/env.js';
import type { BenchRecord } from './lib/record.js';

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(digits);
const mb = (v: number | null) => (v === null ? '–' : `${fmt(v)} MB`);
const bytes = (v: number | null) => (v === null ? '–' : `${(v / 2 ** 20).toFixed(1)} MiB`);

/** The mltrack row a floor is compared with: same workload id. */
function ratio(r: BenchRecord, all: BenchRecord[]): string {
  if (r.server === 'mltrack') return '';
  const m = all.find(
    (x) =>
      x.workload === r.workload &&
      x.server === 'mltrack' &&
      (r.backend === 'none' || x.backend === r.backend),
  );
  if (m === undefined) return '';
  if (r.workload === 'W1' && m.throughput !== null && r.throughput !== null) {
    return `mltrack = ${((100 * m.throughput) / r.throughput).toFixed(0)}% of this`;
  }
  // a peer given smaller data (W5, W6) cannot be compared row by row
  if (typeof r.extra.reducedSize === 'string') return '';
  if (m.p50 !== null && r.p50 !== null)
    return m.p50 < r.p50
      ? `p50 = ${(r.p50 / m.p50).toFixed(1)}× mltrack's`
      : `mltrack p50 = ${(m.p50 / r.p50).toFixed(1)}× this`;
  return '';
}

function note(r: BenchRecord, all: BenchRecord[]): string {
  const e = r.extra;
  const parts: string[] = [];
  const rr = ratio(r, all);
  if (rr !== '') parts.push(rr);
  if (typeof e.bytesPerPoint === 'number') parts.push(`${e.bytesPerPoint} B/point`);
  if (typeof e.reqPerSec === 'number') parts.push(`${fmt(e.reqPerSec)} req/s`);
  if (typeof e.runsReturned === 'number') parts.push(`${e.runsReturned} runs`);
  if (typeof e.returned === 'string') parts.push(e.returned);
  if (typeof e.responseBytes === 'number')
    parts.push(
      e.responseBytes < 10240 ? `${e.responseBytes} B resp` : `${fmt(e.responseBytes / 1024, 0)} KiB resp`,
    );
  if (typeof e.totalMsMedian === 'number') parts.push(`full pass ${fmt(e.totalMsMedian, 0)} ms`);
  if (typeof e.startupMsMedian === 'number') parts.push(`start ${fmt(e.startupMsMedian, 0)} ms`);
  if (typeof e.foreignCpuPct === 'number' && e.foreignCpuPct >= 10) {
    parts.push(`NOISY: other processes used ${e.foreignCpuPct}% CPU`);
  }
  if (e.sameRunsAsMltrack === false) parts.push('DIFFERENT RUNS THAN MLTRACK');
  if (typeof e.statuses === 'string' && e.statuses !== '') parts.push(`statuses ${e.statuses}`);
  if (typeof e.p99VsAlone === 'number') parts.push(`p99 = ${e.p99VsAlone}× W2 alone`);
  if (typeof e.lostPoints === 'number') parts.push(`${e.lostPoints} acknowledged points lost`);
  if (typeof e.rssGrowthMB === 'number') parts.push(`RSS +${fmt(e.rssGrowthMB, 0)} MB during`);
  if (typeof e.longVsShortP50 === 'number') parts.push(`long/short p50 ${e.longVsShortP50}×`);
  if (typeof e.unsupported === 'string') parts.push(e.unsupported);
  if (typeof e.reducedSize === 'string') parts.push('SMALLER DATA (see extra.reducedSize)');
  return parts.join('; ');
}

const HEAD = [
  'Workload',
  'Backend',
  'Server',
  'Throughput',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'RSS peak',
  'RSS steady',
  'DB',
  'Err',
  'Notes',
];

function cells(r: BenchRecord, all: BenchRecord[]): string[] {
  const tp = r.throughput === null ? '–' : `${fmt(r.throughput)} ${r.throughputUnit}`;
  return [
    r.workload,
    r.backend,
    r.server,
    tp,
    fmt(r.p50, 2),
    fmt(r.p95, 2),
    fmt(r.p99, 2),
    mb(r.rssPeakMB),
    mb(r.rssSteadyMB),
    bytes(r.dbBytes),
    String(r.errors),
    note(r, all),
  ];
}

/** Plain-text table for stdout. */
export function textTable(records: BenchRecord[]): string {
  const rows = [HEAD, ...records.map((r) => cells(r, records))];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

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
    const idle = get('W10-idle');
    if (idle !== undefined)
      out.push({
        name: 'Idle RSS (empty DB, 5 s after start)',
        target: '≤ 100 MB',
        actual: mb(idle.rssSteadyMB),
        ok: idle.rssSteadyMB != null ? idle.rssSteadyMB <= 100 : null,
      });
  }
  return out;
}

function mdTable(head: string[], rows: string[][]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Chart files (bench/chart.ts `writeCharts`), relative to the report. */
export type ReportCharts = readonly { workload: string; file: string }[];

/**
 * docs/benchmarks/latest.md: one table per workload, mltrack next to its floors, plus targets and env; with
 * `charts`, each section ends with its workloads' charts (any left over get a section of their own).
 */
export function markdownReport(
  records: BenchRecord[],
  env: BenchEnv,
  meta: { command: string; when: string },
  charts: ReportCharts = [],
): string {
  const placed = new Set<string>();
  const chartLines = (workloads: string[]) =>
    charts
      .filter((c) => workloads.includes(c.workload) && !placed.has(c.workload))
      .flatMap((c) => {
        placed.add(c.workload);
        return ['', `![${c.workload} chart](${c.file.split('/').map(encodeURIComponent).join('/')})`];
      });
  const groups: [string, (r: BenchRecord) => boolean][] = [
    ['W1 — bulk ingest (log-batch of 1000 metrics, 4 runs, 4 clients)', (r) => r.workload === 'W1'],
    ['W4 — search_runs at scale', (r) => r.workload.startsWith('W4')],
    [
      'W8 — mixed read/write (16 writers doing W2; then the same with 4 readers looping W4b and W6)',
      (r) => r.workload.startsWith('W8'),
    ],
    [
      'W5 — long series (get-history: whole series, pages of 25,000, many keys at c=4)',
      (r) => r.workload.startsWith('W5'),
    ],
    [
      'W6 — sampled charts (get-history-bulk-interval, max_results 320, short and long series)',
      (r) => r.workload.startsWith('W6'),
    ],
    ['W9 — model registry (c=1)', (r) => r.workload.startsWith('W9')],
    ['W10 — cold start and idle (empty DB)', (r) => r.workload.startsWith('W10')],
  ];
  const out: string[] = [
    '# mltrack benchmarks — latest run',
    '',
    `Generated ${meta.when} by \`${meta.command}\` (bench/, see benchmarks reference §6).`,
    `Size: ${[...new Set(records.map((r) => r.size))].join(', ')}. Latencies in ms; RSS is the server process`,
    '(VmHWM / median VmRSS while under load); DB = `.db` + `-wal` after a TRUNCATE checkpoint (W1) or after seeding (W4, W9);',
    'on PostgreSQL `pg_database_size` after VACUUM ANALYZE, on MariaDB data + index length after ANALYZE TABLE.',
    'Floors run in the benchmark process against the same database server, with the same rows and concurrency.',
    'Client and server share the same cores. Compare timings only with runs on the same hardware.',
    'On PostgreSQL and MariaDB the database server is one of the "other processes": NOISY there mostly counts it.',
    '',
    '## Targets (2 vCPUs)',
    '',
    mdTable(
      ['Check', 'Target', 'Measured', 'Met'],
      checkTargets(records).map((t) => [
        t.name,
        t.target,
        t.actual,
        t.ok === null ? '–' : t.ok ? 'yes' : '**no**',
      ]),
    ),
  ];
  for (const [title, pick] of groups) {
    const rows = records.filter(pick);
    if (rows.length === 0) continue;
    out.push(
      '',
      `## ${title}`,
      '',
      mdTable(
        HEAD,
        rows.map((r) => cells(r, records)),
      ),
    );
    const queries = rows.filter((r) => typeof r.extra.query === 'string' && r.server === 'mltrack');
    if (queries.length > 0) {
      out.push('', ...queries.map((r) => `- **${r.workload}**: ${String(r.extra.query)}`));
    }
    out.push(...chartLines(rows.map((r) => r.workload)));
  }
  const w12 = records.filter((r) => r.workload.startsWith('W12'));
  if (w12.length > 0) {
    out.push(
      '',
      '## W12 — DynamoDB capacity accounting (DynamoDB Local, ReturnConsumedCapacity=TOTAL; no latency)',
      '',
      mdTable(
        ['Workload', 'Figures'],
        w12.map((r) => [
          r.workload,
          Object.entries(r.extra)
            .map(([k, v]) => `${k}: ${v}`)
            .join('; '),
        ]),
      ),
    );
  }
  const rest = chartLines(charts.map((c) => c.workload));
  if (rest.length > 0) out.push('', '## Other charts', ...rest);
  out.push(
    '',
    '## Environment',
    '',
    mdTable(
      ['Node', 'SQLite', 'CPUs', 'Model', 'Memory', 'OS', 'Client/server share cores', 'Load avg at start'],
      [
        [
          env.node,
          env.sqlite,
          String(env.cpus),
          env.model,
          `${env.memGB} GiB`,
          env.os,
          env.sharedCores ? 'yes' : 'no',
          String(env.load1AtStart),
        ],
      ],
    ),
    ...Object.entries(env.databases ?? {}).map(([k, v]) => `\n- ${k}: ${v}`),
    '',
    'Peers (MLflow, FastTrackML, mlflow-go) are not measured yet: `bench/lib/targets.ts` is the extension point.',
    '',
  );
  return out.join('\n');
}
