import type { BenchEnv } from './lib/env.js';
import { bytes, fmt, mb } from './lib/format.js';
import { PEER_NAMES } from './lib/peers.js';
import type { BenchRecord } from './lib/record.js';
import { checkTargets } from './report-targets.js';

const PEERS = new Set<string>(PEER_NAMES);
/** Throughput workloads: higher is better (the rest compare p50 latencies). */
const byThroughput = (w: string) => /^W[123]$|^W2b$/.test(w);

/** How mltrack compares with a floor (mltrack as % of it) or a peer (mltrack N× faster): same workload id. */
function ratio(r: BenchRecord, all: BenchRecord[]): string {
  if (r.server === 'mltrack') return '';
  const m = all.find(
    (x) =>
      x.workload === r.workload &&
      x.server === 'mltrack' &&
      (r.backend === 'none' || x.backend === r.backend),
  );
  if (m === undefined) return '';
  const tp = byThroughput(r.workload) && m.throughput !== null && r.throughput !== null && r.throughput > 0;
  // a peer given smaller data (W5, W6) cannot be compared row by row
  if (typeof r.extra.reducedSize === 'string') return '';
  if (PEERS.has(r.server)) {
    if (tp) return `mltrack ${(m.throughput! / r.throughput!).toFixed(1)}× this`;
    if (m.p50 !== null && r.p50 !== null && m.p50 > 0 && r.p50 > 0)
      return r.p50 >= m.p50
        ? `mltrack ${(r.p50 / m.p50).toFixed(1)}× faster (p50)`
        : `mltrack ${(m.p50 / r.p50).toFixed(1)}× slower (p50)`;
    return '';
  }
  if (tp) return `mltrack = ${((100 * m.throughput!) / r.throughput!).toFixed(0)}% of this`;
  if (m.p50 !== null && r.p50 !== null) return `mltrack p50 = ${(m.p50 / r.p50).toFixed(1)}× this`;
  return '';
}

function note(r: BenchRecord, all: BenchRecord[]): string {
  const e = r.extra;
  const parts: string[] = [];
  const rr = ratio(r, all);
  if (rr !== '') parts.push(rr);
  if (typeof e.bytesPerPoint === 'number') parts.push(`${e.bytesPerPoint} B/point`);
  if (typeof e.reqPerSec === 'number') parts.push(`${fmt(e.reqPerSec)} req/s`);
  if (typeof e.pointsPerSec === 'number') parts.push(`${fmt(e.pointsPerSec)} points/s`);
  if (typeof e.failedIterations === 'number' && e.failedIterations > 0)
    parts.push(`${e.failedIterations} iterations with an error`);
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
  if (typeof e.errorKinds === 'string' && e.errorKinds !== '') parts.push(`errors: ${e.errorKinds}`);
  if (typeof e.p99VsAlone === 'number') parts.push(`p99 = ${e.p99VsAlone}× W2 alone`);
  if (typeof e.lostPoints === 'number') parts.push(`${e.lostPoints} acknowledged points lost`);
  if (typeof e.lostParams === 'number' && e.lostParams > 0)
    parts.push(`${e.lostParams} acknowledged params lost`);
  if (typeof e.storedFromFailedRequests === 'number' && e.storedFromFailedRequests > 0)
    parts.push(`${e.storedFromFailedRequests} points stored from failed requests`);
  if (typeof e.fsyncP50Ms === 'number') parts.push(`fdatasync p50 ${e.fsyncP50Ms} ms`);
  if (typeof e.stoppedAfterSec === 'number') parts.push(`stopped after ${e.stoppedAfterSec} s`);
  if (typeof e.unsupported === 'string') parts.push(e.unsupported);
  if (typeof e.note === 'string') parts.push(e.note);
  if (typeof e.rssGrowthMB === 'number') parts.push(`RSS +${fmt(e.rssGrowthMB, 0)} MB during`);
  if (typeof e.longVsShortP50 === 'number') parts.push(`long/short p50 ${e.longVsShortP50}×`);
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

/** Which peers ran, as pip resolved them, how they were run, and the figures they published themselves. */
function peersSection(records: BenchRecord[]): string[] {
  const versions = new Map<string, string>();
  for (const r of records)
    if (PEERS.has(r.server) && typeof r.extra.versions === 'string') versions.set(r.server, r.extra.versions);
  if (versions.size === 0) return ['No peer was measured in this run (`--peers all` adds them).', ''];
  return [
    '## Peers',
    '',
    'Installed from PyPI by `scripts/bench/setup-peers.sh`, one virtualenv each, started on loopback against a fresh',
    'database of the same backend, driven by the same client with the same bodies (benchmarks reference §6.0):',
    '',
    ...[...versions].map(([name, v]) => `- **${name}**: ${v}`),
    '',
    '- MLflow runs `mlflow server --workers 4` (uvicorn); mlflow-go runs its Go server in front of the Python',
    '  `mlflow server` (4 gunicorn workers) it proxies to. Their RSS is summed over the whole process tree.',
    '- mlflow-go-backend 0.2.2 inserts a `logged_model_metrics` row with an empty model id for every metric of a',
    '  log-batch; the MLflow 3 schema refuses it (foreign key), so every log-batch fails. The bench drops that one',
    "  foreign key in mlflow-go's own database (its figures include the extra insert). It also needs mlflow 3.1",
    '  (it imports `TraceInfoV2`) and SQLAlchemy 2.0, pinned in its venv.',
    '- A peer that cannot finish a fixed-size phase in time (W1, W3) stops after `--peer-sec` seconds; its row says',
    '  so and its throughput covers what it was sent.',
    '',
    'Figures the peers published themselves (their hardware, PostgreSQL, 20 k6 VUs; not comparable in absolute terms):',
    'mlflow-go LogMetricBatch10 (W2) MLflow 58 ms / 341 req/s, mlflow-go 18 ms / 1094 req/s; SearchRuns of 1000 runs',
    'from 23.5k (W4a) MLflow 1004 ms, mlflow-go 104 ms; CreateRun (W3) MLflow 25 ms / 784 runs/s, mlflow-go 13.7 ms /',
    '1448 runs/s. FastTrackML chart (W2b, its means): log-batch of 1000 points ≈ 250 ms (FML PG) vs ≈ 835–1090 ms (MLflow).',
    '',
  ];
}

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
    [
      'W2 — training-loop logging (log-batch of 10 metrics at step 0 into one run, 20 connections)',
      (r) => r.workload === 'W2',
    ],
    [
      "W2b — FastTrackML's logging shape (per iteration: create-run, log-metric, log-batch of 40 / 400 / 1000 points, of 10 / 100 params, update; 20 connections)",
      (r) => r.workload === 'W2b' || r.workload.startsWith('W2b-'),
    ],
    ['W3 — run churn (create, one log-batch of 60 entities, finish; 8 clients)', (r) => r.workload === 'W3'],
    [
      'W7 — UI page load (experiments/search + runs/search of 100 wide runs)',
      (r) => r.workload.startsWith('W7'),
    ],
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
    ['W10 — cold start (empty DB, and on the W4 data set) and idle', (r) => r.workload.startsWith('W10')],
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
    ...peersSection(records),
  );
  return out.join('\n');
}
