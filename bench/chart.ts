import fs from 'node:fs';
import path from 'node:path';
import type { BenchRecord } from './lib/record.js';

/**
 * Dependency-free SVG bar charts for the benchmark report: one horizontal bar per server (and backend) of one
 * workload, mltrack / peers / floors in three colours. The output is a pure function of the records (no dates, no
 * random ids), so regenerating a report from the same JSON gives byte-identical files.
 */

export type BarKind = 'mltrack' | 'peer' | 'floor';
export type ChartMetric = 'throughput' | 'latency' | 'memory';

export interface ChartBar {
  label: string;
  kind: BarKind;
  /** The bar's length in `unit`; null draws no bar and writes "n/a" (with `note` as the reason). */
  value: number | null;
  /** p99 for latency charts: drawn as a whisker from the bar's end. */
  whisker?: number | null;
  /** Text at the bar's end (defaults to the formatted value). */
  valueLabel?: string;
  /** Why there is no value (`extra.unsupported`). */
  note?: string;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  /** Unit of the axis: `points/s`, `ms`, `MB`. */
  unit: string;
  better: 'higher' | 'lower';
  /** Legend text of the whisker, when there are whiskers. */
  whiskerLabel?: string;
  bars: ChartBar[];
}

const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const TEXT = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e6eaef';
const FILL: Record<BarKind, string> = { mltrack: '#0969da', peer: '#e16f24', floor: '#8c959f' };
const DARK: Record<BarKind, string> = { mltrack: '#0a3069', peer: '#762c00', floor: '#424a53' };
const LEGEND: Record<BarKind, string> = { mltrack: 'mltrack', peer: 'peer', floor: 'floor' };
/** Above this max/min ratio the axis is logarithmic (MLflow is often 100× slower than mltrack). */
export const LOG_SPAN = 30;

export const escapeXml = (s: string): string =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');

/** Approximate rendered width of sans-serif text (no font metrics without a DOM). */
const textWidth = (s: string, size: number, bold = false): number => s.length * size * (bold ? 0.62 : 0.58);
/** Coordinates with one decimal: stable text, no float noise. */
const n = (v: number): string => String(Math.round(v * 10) / 10);
const clean = (v: number): number => Number(v.toPrecision(12));

export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1 || a === 0) return v.toFixed(2);
  return v.toPrecision(2);
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(clean(Number(x.toPrecision(3))));
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

export const barKind = (server: string): BarKind =>
  server.startsWith('mltrack') ? 'mltrack' : server.startsWith('floor:') ? 'floor' : 'peer';

/**
 * What a workload's chart shows: W1–W3 and W2b throughput, W10 idle RSS, W12 nothing (capacity figures), else
 * latency (W2b's request kinds, `W2b-batch1000`, … included).
 */
export function chartMetric(workload: string): ChartMetric | null {
  if (workload.startsWith('W2b-')) return 'latency';
  if (/^W[123](?![0-9])/.test(workload)) return 'throughput';
  if (workload.startsWith('W10')) return 'memory';
  if (workload.startsWith('W12')) return null;
  return 'latency';
}

/** The chart of one workload's rows, or null when nothing in them can be drawn. */
export function chartSpec(workload: string, records: BenchRecord[]): ChartSpec | null {
  const rows = records.filter((r) => r.workload === workload);
  let metric = chartMetric(workload);
  if (metric === 'latency' && rows.every((r) => r.p50 === null) && rows.some((r) => r.throughput !== null))
    metric = 'throughput';
  if (metric === null || rows.length === 0) return null;
  const backends = [...new Set(rows.map((r) => r.backend).filter((b) => b !== 'none'))];
  const sizes = [...new Set(rows.map((r) => r.size))];
  const unitOf = (r: BenchRecord) => r.throughputUnit;
  const main = rows.find((r) => r.server === 'mltrack' && r.throughput !== null) ?? rows[0]!;
  const unit = metric === 'latency' ? 'ms' : metric === 'memory' ? 'MB' : unitOf(main);
  let pass = '';
  const bars = rows.map((r): ChartBar => {
    if (r.backend !== 'none') pass = r.backend;
    // A backend-less row (the HTTP floor) runs once per backend pass: name the pass it belongs to.
    const suffix =
      backends.length < 2 ? '' : r.backend !== 'none' ? ` · ${r.backend}` : pass ? ` · ${pass} pass` : '';
    const value = metric === 'latency' ? r.p50 : metric === 'memory' ? r.rssSteadyMB : r.throughput;
    // a peer given smaller data than mltrack (W5, W6: extra.reducedSize) must not pass for a like-for-like bar
    const smaller = typeof r.extra.reducedSize === 'string' ? ' (smaller data)' : '';
    const bar: ChartBar = { label: `${r.server}${smaller}${suffix}`, kind: barKind(r.server), value };
    if (typeof r.extra.unsupported === 'string') bar.note = r.extra.unsupported;
    const errs = r.errors > 0 ? ` · ${r.errors} errors` : '';
    if (value === null) {
      if (errs) bar.valueLabel = `n/a${bar.note ? ` — ${bar.note}` : ''}${errs}`;
      return bar;
    }
    if (metric === 'latency') {
      bar.whisker = r.p99;
      bar.valueLabel = `${formatValue(value)}${r.p99 === null ? '' : ` · p99 ${formatValue(r.p99)}`}${errs}`;
    } else {
      const own = metric === 'throughput' && unitOf(r) !== unit ? ` ${unitOf(r)}` : '';
      bar.valueLabel = `${formatValue(value)}${own}${errs}`;
    }
    return bar;
  });
  if (bars.every((b) => b.value === null)) return null;
  const what =
    metric === 'latency' ? 'latency p50, whisker to p99' : metric === 'memory' ? 'idle RSS' : 'throughput';
  const spec: ChartSpec = {
    title: `${workload} — ${what} (${metric === 'throughput' ? 'higher' : 'lower'} is better)`,
    subtitle: [`size ${sizes.join(', ')}`, backends.length === 1 ? `backend ${backends[0]}` : '']
      .filter(Boolean)
      .join(' · '),
    unit,
    better: metric === 'throughput' ? 'higher' : 'lower',
    bars,
  };
  if (metric === 'latency' && bars.some((b) => b.whisker != null)) spec.whiskerLabel = 'p99';
  return spec;
}

interface Scale {
  log: boolean;
  max: number;
  ticks: number[];
  /** 0…1 along the axis. */
  at(v: number): number;
}

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

export function makeScale(values: number[]): Scale {
  const pos = values.filter((v) => v > 0);
  const hi = Math.max(...pos, 0);
  const lo = Math.min(...pos, hi);
  if (pos.length > 0 && hi / lo > LOG_SPAN) {
    // Whole decades around the data, starting ≥ 0.3 decade below the smallest value so its bar stays visible.
    const a = Math.floor(Math.log10(lo) - 0.3);
    const b = Math.ceil(Math.log10(hi));
    const decades = b - a;
    const ticks: number[] = [];
    for (let e = a; e <= b; e++) {
      ticks.push(clean(10 ** e));
      if (decades <= 2 && e < b) ticks.push(clean(2 * 10 ** e), clean(5 * 10 ** e));
    }
    const at = (v: number) => Math.min(1, Math.max(0, (Math.log10(Math.max(v, 10 ** a)) - a) / decades));
    return { log: true, max: 10 ** b, ticks, at };
  }
  const step = niceStep(hi > 0 ? hi : 1, 5);
  const max = clean(Math.ceil((hi > 0 ? hi : 1) / step) * step);
  const ticks: number[] = [];
  for (let i = 0; clean(i * step) <= max; i++) ticks.push(clean(i * step));
  return { log: false, max, ticks, at: (v) => Math.min(1, Math.max(0, v / max)) };
}

/** A horizontal bar chart as a standalone SVG document (white background: readable in GitHub's dark mode). */
export function chartSvg(spec: ChartSpec): string {
  const bars = spec.bars;
  const values = bars.flatMap((b) => [b.value, b.whisker ?? null]).filter((v): v is number => v !== null);
  const scale = makeScale(values);
  const labelOf = (b: ChartBar) =>
    b.value === null
      ? (b.valueLabel ?? `n/a${b.note ? ` — ${b.note}` : ''}`)
      : (b.valueLabel ?? formatValue(b.value));
  const labelW = Math.ceil(
    Math.min(340, Math.max(80, ...bars.map((b) => textWidth(b.label, 12, b.kind === 'mltrack')))),
  );
  const valueW = Math.ceil(
    Math.max(60, ...bars.filter((b) => b.value !== null).map((b) => textWidth(labelOf(b), 11))),
  );
  const pad = 16;
  const left = pad + labelW + 10;
  const plotW = Math.max(360, 720 - left - valueW - 8 - pad);
  const width = Math.ceil(
    Math.max(left + plotW + valueW + 8 + pad, textWidth(spec.title, 15, true) + 2 * pad),
  );
  const band = 28;
  const barH = 16;
  const top = 86;
  const plotH = bars.length * band;
  const axisY = top + plotH;
  const height = axisY + 50;
  const x = (v: number) => left + scale.at(v) * plotW;
  const out: string[] = [];
  const push = (s: string) => out.push(`  ${s}`);

  push(
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#ffffff" stroke="#d1d9e0"/>`,
  );
  push(
    `<text x="${pad}" y="26" font-size="15" font-weight="600" fill="${TEXT}">${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle)
    push(`<text x="${pad}" y="45" font-size="12" fill="${MUTED}">${escapeXml(spec.subtitle)}</text>`);

  // Legend: the kinds present, then the whisker.
  let lx = pad;
  for (const kind of (['mltrack', 'peer', 'floor'] as const).filter((k) => bars.some((b) => b.kind === k))) {
    push(`<rect x="${lx}" y="56" width="10" height="10" rx="2" fill="${FILL[kind]}"/>`);
    push(`<text x="${lx + 14}" y="65" font-size="11" fill="${MUTED}">${LEGEND[kind]}</text>`);
    lx += Math.ceil(28 + textWidth(LEGEND[kind], 11));
  }
  if (spec.whiskerLabel) {
    push(
      `<path d="M${lx} 61H${lx + 16}M${lx + 16} 57V65" stroke="${MUTED}" stroke-width="1.5" fill="none"/>`,
    );
    push(`<text x="${lx + 20}" y="65" font-size="11" fill="${MUTED}">${escapeXml(spec.whiskerLabel)}</text>`);
  }

  // Grid and tick labels.
  for (const t of scale.ticks) {
    const tx = n(x(t));
    push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${axisY}" stroke="${GRID}"/>`);
    push(
      `<text x="${tx}" y="${axisY + 15}" font-size="11" fill="${MUTED}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`,
    );
  }
  push(`<line x1="${left}" y1="${top - 4}" x2="${left}" y2="${axisY}" stroke="#8c959f"/>`);
  push(`<line x1="${left}" y1="${axisY}" x2="${n(left + plotW)}" y2="${axisY}" stroke="#8c959f"/>`);
  const axisLabel = `${spec.unit}${scale.log ? ' · log scale' : ''} · ${spec.better} is better`;
  push(
    `<text x="${n(left + plotW / 2)}" y="${axisY + 36}" font-size="12" fill="${TEXT}" text-anchor="middle">${escapeXml(axisLabel)}</text>`,
  );

  bars.forEach((b, i) => {
    const cy = top + i * band + band / 2;
    const weight = b.kind === 'mltrack' ? ' font-weight="600"' : '';
    const fit = Math.floor(labelW / textWidth('x', 12, b.kind === 'mltrack'));
    const label = b.label.length > fit ? `${b.label.slice(0, fit - 1)}…` : b.label;
    push(
      `<text x="${left - 8}" y="${n(cy + 4)}" font-size="12"${weight} fill="${TEXT}" text-anchor="end">${escapeXml(label)}</text>`,
    );
    if (b.value === null) {
      const room = Math.floor((plotW + valueW) / textWidth('x', 11));
      const s = labelOf(b);
      const text = s.length > room ? `${s.slice(0, room - 1)}…` : s;
      push(
        `<text x="${left + 6}" y="${n(cy + 4)}" font-size="11" font-style="italic" fill="${MUTED}">${escapeXml(text)}</text>`,
      );
      return;
    }
    const end = Math.max(x(b.value), left + 1);
    push(
      `<rect x="${left}" y="${n(cy - barH / 2)}" width="${n(end - left)}" height="${barH}" fill="${FILL[b.kind]}"/>`,
    );
    let textX = end;
    if (b.whisker != null && b.whisker > b.value) {
      const wx = x(b.whisker);
      push(
        `<path d="M${n(end)} ${n(cy)}H${n(wx)}M${n(wx)} ${n(cy - 5)}V${n(cy + 5)}" stroke="${DARK[b.kind]}" stroke-width="1.5" fill="none"/>`,
      );
      textX = wx;
    }
    push(
      `<text x="${n(textX + 5)}" y="${n(cy + 4)}" font-size="11" fill="${TEXT}">${escapeXml(labelOf(b))}</text>`,
    );
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT)}" role="img">`,
    `  <title>${escapeXml(spec.title)}</title>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** A file-name-safe workload id (`W4b-c8` stays as it is). */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Writes `<prefix>-<workload>.svg` into `dir` for each workload with at least two rows to compare (in the order the
 * workloads first appear) and returns the workloads with the file names written (relative to `dir`).
 */
export function writeCharts(
  records: BenchRecord[],
  dir: string,
  prefix: string,
): { workload: string; file: string }[] {
  const written: { workload: string; file: string }[] = [];
  for (const workload of [...new Set(records.map((r) => r.workload))]) {
    if (records.filter((r) => r.workload === workload).length < 2) continue;
    const spec = chartSpec(workload, records);
    if (spec === null) continue;
    const file = `${prefix}-${safe(workload)}.svg`;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), chartSvg(spec));
    written.push({ workload, file });
  }
  return written;
}
