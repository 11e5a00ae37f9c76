import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChartSpec,
  chartMetric,
  chartSpec,
  chartSvg,
  makeScale,
  writeCharts,
} from '../../bench/chart.js';
import { type BenchRecord, makeRecord, type RecordInit } from '../../bench/lib/record.js';
import { markdownReport } from '../../bench/report.js';
import { TEST_ENV } from './fixtures.js';

const env = TEST_ENV;
const rec = (r: Partial<RecordInit> & Pick<RecordInit, 'workload' | 'server'>): BenchRecord =>
  makeRecord(env, 'S', { backend: 'sqlite', throughput: null, throughputUnit: 'req/s (c=1)', ...r });

/** Well-formedness without a DOM: tags balance, attributes are quoted, no raw `<` or stray `&` in text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    expect(text.replace(entity, '')).not.toMatch(/[&>]/);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    expect(m[3]!.replace(entity, '')).not.toContain('&');
    const [, close, name, , self] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!self) stack.push(name!);
    i = tag.lastIndex;
  }
  expect(stack).toEqual([]);
}

const spec = (bars: ChartSpec['bars']): ChartSpec => ({
  title: 'T',
  unit: 'ms',
  better: 'lower',
  bars,
});
/** The bars (16 px high), not the background or the legend swatches. */
const barRects = (svg: string) =>
  svg.split('\n').filter((l) => l.includes('<rect') && l.includes('height="16"'));

describe('chartSvg', () => {
  it('is well-formed and escapes text', () => {
    const svg = chartSvg({
      title: 'W4b <search> & "sort"',
      subtitle: "it's",
      unit: 'ms',
      better: 'lower',
      whiskerLabel: 'p99',
      bars: [
        { label: 'mltrack <x>', kind: 'mltrack', value: 10, whisker: 20 },
        { label: 'a&b', kind: 'peer', value: null, note: 'no <filter> & "order"' },
        { label: 'floor:raw', kind: 'floor', value: 5 },
      ],
    });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('W4b &lt;search&gt; &amp; &quot;sort&quot;');
    expect(svg).toContain('mltrack &lt;x&gt;');
    expect(svg).toContain('n/a — no &lt;filter&gt; &amp; &quot;order&quot;');
    expect(svg).toContain('fill="#ffffff"');
    expect(svg).not.toContain('<x>');
  });

  it('switches to a log axis past a 30× spread and keeps the small bar visible', () => {
    expect(makeScale([10, 200]).log).toBe(false);
    expect(makeScale([10, 400]).log).toBe(true);
    const svg = chartSvg(
      spec([
        { label: 'mltrack', kind: 'mltrack', value: 1.2 },
        { label: 'mlflow', kind: 'peer', value: 250 },
      ]),
    );
    assertWellFormed(svg);
    expect(svg).toContain('ms · log scale · lower is better');
    for (const t of ['>1<', '>10<', '>100<', '>1k<']) expect(svg).toContain(t);
    const widths = barRects(svg).map((l) => Number(/width="([\d.]+)"/.exec(l)![1]));
    expect(widths).toHaveLength(2);
    expect(Math.min(...widths)).toBeGreaterThan(40);
    const linear = chartSvg(
      spec([
        { label: 'a', kind: 'mltrack', value: 10 },
        { label: 'b', kind: 'floor', value: 25 },
      ]),
    );
    expect(linear).not.toContain('log scale');
    expect(linear).toContain('>0<');
  });

  it('draws no bar for a missing value and says why', () => {
    const svg = chartSvg(
      spec([
        { label: 'mltrack', kind: 'mltrack', value: 3 },
        { label: 'mlflow-go', kind: 'peer', value: null, note: 'PostgreSQL only' },
        { label: 'fasttrackml', kind: 'peer', value: null },
      ]),
    );
    assertWellFormed(svg);
    expect(barRects(svg)).toHaveLength(1);
    expect(svg).toContain('>n/a — PostgreSQL only<');
    expect(svg).toContain('>n/a<');
  });

  it('is deterministic', () => {
    const s = spec([
      { label: 'mltrack', kind: 'mltrack', value: 1 / 3, whisker: 2 / 3 },
      { label: 'mlflow', kind: 'peer', value: 100 / 7 },
    ]);
    const a = chartSvg(s);
    expect(chartSvg(structuredClone(s))).toBe(a);
    expect(a).not.toMatch(/\d\.\d{2,}"/); // coordinates rounded to one decimal
    expect(a).not.toMatch(/id="/);
  });
});

describe('chartSpec', () => {
  it('picks the metric from the workload', () => {
    expect(chartMetric('W1')).toBe('throughput');
    expect(chartMetric('W3')).toBe('throughput');
    expect(chartMetric('W10-idle')).toBe('memory');
    expect(chartMetric('W12-W1')).toBeNull();
    expect(chartMetric('W4b-c8')).toBe('latency');
    expect(chartMetric('W9a')).toBe('latency');
    expect(chartMetric('W2b')).toBe('throughput');
    expect(chartMetric('W2b-batch1000')).toBe('latency');
  });

  it('charts W2b iterations/s and its request kinds by latency, errors shown', () => {
    const rows = [
      rec({ workload: 'W2b', server: 'mltrack', throughput: 30, throughputUnit: 'iterations/s', p50: 500 }),
      rec({ workload: 'W2b', server: 'mlflow', throughput: 0.4, throughputUnit: 'iterations/s', errors: 1 }),
      rec({ workload: 'W2b-batch400', server: 'mltrack', throughputUnit: 'req/s', p50: 80, p99: 240 }),
      rec({ workload: 'W2b-batch400', server: 'mlflow', throughputUnit: 'req/s', p50: 3300, p99: 23000 }),
    ];
    const it = chartSpec('W2b', rows)!;
    expect(it.unit).toBe('iterations/s');
    expect(it.bars.map((b) => b.valueLabel)).toEqual(['30.0', '0.40 · 1 errors']);
    const kind = chartSpec('W2b-batch400', rows)!;
    expect(kind.unit).toBe('ms');
    expect(kind.bars.map((b) => [b.value, b.whisker])).toEqual([
      [80, 240],
      [3300, 23000],
    ]);
    const md = markdownReport(rows, env, { command: 'c', when: 'w' });
    expect(md).toContain("## W2b — FastTrackML's logging shape");
    expect(md).toContain('mltrack 75.0× this');
    expect(md).toContain('mltrack 41.3× faster (p50)');
  });

  it('charts W1 throughput, marks other units and unsupported peers', () => {
    const s = chartSpec('W1', [
      rec({ workload: 'W1', server: 'mltrack', throughput: 180000, throughputUnit: 'points/s' }),
      rec({ workload: 'W1', server: 'floor:sqlite-raw', throughput: 320000, throughputUnit: 'rows/s' }),
      rec({ workload: 'W1', server: 'mlflow', throughput: 1800, throughputUnit: 'points/s', errors: 2 }),
      rec({
        workload: 'W1',
        server: 'mlflow-go',
        throughputUnit: 'points/s',
        extra: { unsupported: 'PostgreSQL only' },
      }),
    ])!;
    expect(s.title).toBe('W1 — throughput (higher is better)');
    expect(s.unit).toBe('points/s');
    expect(s.bars.map((b) => [b.kind, b.value, b.valueLabel])).toEqual([
      ['mltrack', 180000, '180,000'],
      ['floor', 320000, '320,000 rows/s'],
      ['peer', 1800, '1,800 · 2 errors'],
      ['peer', null, undefined],
    ]);
    expect(s.bars[3]!.note).toBe('PostgreSQL only');
  });

  it('charts latency p50 with a p99 whisker and names backends when several are compared', () => {
    const s = chartSpec('W4b', [
      rec({ workload: 'W4b', server: 'mltrack', backend: 'postgres', p50: 40, p99: 70 }),
      rec({ workload: 'W4b', server: 'floor:fastify-noop', backend: 'none', p50: 2, p99: 5 }),
      rec({ workload: 'W4b', server: 'mltrack', backend: 'mysql', p50: 60, p99: 90 }),
    ])!;
    expect(s.better).toBe('lower');
    expect(s.title).toContain('lower is better');
    expect(s.unit).toBe('ms');
    expect(s.whiskerLabel).toBe('p99');
    expect(s.bars.map((b) => b.label)).toEqual([
      'mltrack · postgres',
      'floor:fastify-noop · postgres pass',
      'mltrack · mysql',
    ]);
    expect(s.bars[0]).toMatchObject({ value: 40, whisker: 70, valueLabel: '40.0 · p99 70.0' });
  });

  it('has nothing to draw for W12 or all-missing rows', () => {
    expect(chartSpec('W12-W1', [rec({ workload: 'W12-W1', server: 'mltrack' })])).toBeNull();
    expect(chartSpec('W4a', [rec({ workload: 'W4a', server: 'mltrack' })])).toBeNull();
  });
});

describe('writeCharts and the report', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const records = [
    rec({ workload: 'W1', server: 'mltrack', throughput: 180000, throughputUnit: 'points/s' }),
    rec({ workload: 'W1', server: 'mlflow', throughput: 1500, throughputUnit: 'points/s' }),
    rec({ workload: 'W4b-c8', server: 'mltrack', p50: 200, p99: 700 }),
    rec({ workload: 'W4b-c8', server: 'fasttrackml', p50: 900, p99: 1500 }),
    rec({ workload: 'W4a', server: 'mltrack', p50: 20, p99: 40 }),
    rec({ workload: 'W5', server: 'mltrack', p50: 3, p99: 4 }),
    rec({ workload: 'W5', server: 'mlflow', p50: 30, p99: 50 }),
  ];

  it('writes one file per workload with two rows or more, identically each time', () => {
    const [a, b] = [tmp(), tmp()];
    const written = writeCharts(records, a, 'latest');
    expect(written).toEqual([
      { workload: 'W1', file: 'latest-W1.svg' },
      { workload: 'W4b-c8', file: 'latest-W4b-c8.svg' },
      { workload: 'W5', file: 'latest-W5.svg' },
    ]);
    writeCharts(records, b, 'latest');
    for (const { file } of written) {
      const svg = fs.readFileSync(path.join(a, file), 'utf8');
      assertWellFormed(svg);
      expect(fs.readFileSync(path.join(b, file), 'utf8')).toBe(svg);
    }
    expect(fs.readdirSync(a).sort()).toEqual(written.map((w) => w.file).sort());
  });

  it('puts each chart under its section, the rest under "Other charts"', () => {
    const charts = writeCharts(records, tmp(), 'run');
    const md = markdownReport(records, env, { command: 'c', when: 'w' }, charts);
    const at = (s: string) => md.indexOf(s);
    expect(at('![W1 chart](run-W1.svg)')).toBeGreaterThan(at('## W1'));
    expect(at('![W1 chart](run-W1.svg)')).toBeLessThan(at('## W4'));
    expect(at('![W4b-c8 chart](run-W4b-c8.svg)')).toBeGreaterThan(at('## W4'));
    expect(at('![W5 chart](run-W5.svg)')).toBeGreaterThan(at('## Other charts'));
    expect(md.split('![').length - 1).toBe(3);
    expect(markdownReport(records, env, { command: 'c', when: 'w' })).not.toContain('![');
  });
});
