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
  const m = all.find((x) => x.workload === r.workload && x.server === 'mltrack');
  if (m === undefined) return '';
  if (r.workload === 'W1' && m.throughput !== null && r.throughput !== null) {
    return `mltrack = ${((100 * m.throughput) / r.throughput).toFixed(0)}% of this`;
  }
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
  return parts.join('; ');
}

const HEAD = [
  'Workload',
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

/** The targets this issue measures against (2 vCPUs). */
export function checkTargets(records: BenchRecord[]): TargetCheck[] {
  const get = (w: string) => records.find((r) => r.workload === w && r.server === 'mltrack');
  const w1 = get('W1');
  const b = get('W4b');
  const idle = get('W10-idle');
  // W9: the slowest of the registry queries (a)–(d)
  const w9 = records
    .filter((r) => /^W9[a-d]$/.test(r.workload) && r.server === 'mltrack' && r.p50 !== null)
    .sort((x, y) => y.p50! - x.p50!)[0];
  return [
    {
      name: 'W1 ingest through HTTP log-batch',
      target: '≥ 200,000 points/s',
      actual: w1 ? `${fmt(w1.throughput)} points/s` : 'not run',
      ok: w1?.throughput != null ? w1.throughput >= 200_000 : null,
    },
    {
      name: 'W4(b) search p50',
      target: '≤ 50 ms',
      actual: b ? `${fmt(b.p50, 1)} ms (${b.size})` : 'not run',
      ok: b?.p50 != null ? b.p50 <= 50 : null,
    },
    {
      name: 'W9 registry search p50',
      target: '≤ 50 ms',
      actual: w9 ? `${fmt(w9.p50, 1)} ms (slowest: ${w9.workload}, ${w9.size})` : 'not run',
      ok: w9?.p50 != null ? w9.p50 <= 50 : null,
    },
    {
      name: 'Idle RSS (empty DB, 5 s after start)',
      target: '≤ 100 MB',
      actual: idle ? mb(idle.rssSteadyMB) : 'not run',
      ok: idle?.rssSteadyMB != null ? idle.rssSteadyMB <= 100 : null,
    },
  ];
}

function mdTable(head: string[], rows: string[][]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** docs/benchmarks/latest.md: one table per workload, mltrack next to its floors, plus targets and env. */
export function markdownReport(
  records: BenchRecord[],
  env: BenchEnv,
  meta: { command: string; when: string },
): string {
  const groups: [string, (r: BenchRecord) => boolean][] = [
    ['W1 — bulk ingest (log-batch of 1000 metrics, 4 runs, 4 clients)', (r) => r.workload === 'W1'],
    ['W4 — search_runs at scale', (r) => r.workload.startsWith('W4')],
    ['W9 — model registry (c=1)', (r) => r.workload.startsWith('W9')],
    ['W10 — cold start and idle (empty DB)', (r) => r.workload.startsWith('W10')],
  ];
  const out: string[] = [
    '# mltrack benchmarks — latest run',
    '',
    `Generated ${meta.when} by \`${meta.command}\` (bench/, see benchmarks reference §6).`,
    `Size: ${[...new Set(records.map((r) => r.size))].join(', ')}. Latencies in ms; RSS is the server process`,
    '(VmHWM / median VmRSS while under load); DB = `.db` + `-wal` after a TRUNCATE checkpoint (W1) or after seeding (W4, W9).',
    'Client and server share the same cores. Compare timings only with runs on the same hardware.',
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
  }
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
    '',
    'Peers (MLflow, FastTrackML, mlflow-go) are not measured yet: `bench/lib/targets.ts` is the extension point.',
    '',
  );
  return out.join('\n');
}
