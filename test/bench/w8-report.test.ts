import { describe, expect, it } from 'vitest';
import { chartSpec } from '../../bench/chart.js';
import { errorKind, Tally } from '../../bench/lib/load.js';
import { type BenchRecord, makeRecord, type RecordInit } from '../../bench/lib/record.js';
import { markdownReport, textTable } from '../../bench/report.js';
import { checkTargets } from '../../bench/report-targets.js';
import { TEST_ENV } from './fixtures.js';

const env = TEST_ENV;
const rec = (r: Partial<RecordInit> & Pick<RecordInit, 'workload' | 'server'>): BenchRecord =>
  makeRecord(env, 'S', { backend: 'sqlite', throughput: 10, throughputUnit: 'req/s', ...r });

describe('errorKind', () => {
  it('names a known cause, else the message, the page title or the text', () => {
    const locked = JSON.stringify({
      error_code: 'TEMPORARILY_UNAVAILABLE',
      message: '(sqlite3.OperationalError) database is locked\n[SQL: INSERT INTO metrics …]',
    });
    expect(errorKind(locked)).toBe('database is locked');
    expect(
      errorKind(
        '{"message":"unable to insert metrics for run \'x\': error updating latest metrics for run: x: ERROR: deadlock detected (SQLSTATE 40P01)","error_code":"INTERNAL_ERROR"}',
      ),
    ).toBe('deadlock detected');
    expect(errorKind('{"error_code":"BAD_REQUEST","message":"Invalid  value\\n for x"}')).toBe(
      'Invalid value for x',
    );
    expect(
      errorKind('<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>…</h1>'),
    ).toBe('500 Internal Server Error');
    expect(errorKind('socket hang up')).toBe('socket hang up');
  });

  it('is counted per status and kind by Tally', () => {
    const t = new Tally();
    const body = (s: string) => Buffer.from(s);
    t.add({ status: 200, bytes: 2, ms: 1, body: body('{}') });
    t.add({ status: 503, bytes: 1, ms: 2, body: body('{"message":"database is locked"}') });
    t.add({ status: 503, bytes: 1, ms: 2, body: body('{"message":"database is locked"}') });
    t.add({ status: 0, bytes: 0, ms: 3, body: body('socket hang up') });
    expect(t.errors).toBe(3);
    expect(t.statuses()).toBe('200×1 503×2 0×1');
    expect(t.errorKinds()).toBe('503 database is locked ×2; 0 socket hang up ×1');
  });
});

describe('W8 rows with peers in the report', () => {
  const reduced = 'a smaller W6 series for the readers (slow ingest over HTTP): 10 runs × 2000 points';
  const note = 'fasttrackml has no get-history-bulk-interval (404): its 4 readers loop W4b only';
  const records = [
    rec({ workload: 'W8-W2-alone', server: 'mltrack', p50: 10, p99: 20 }),
    rec({
      workload: 'W8-writers',
      server: 'mltrack',
      p50: 15,
      p99: 30,
      extra: { p99VsAlone: 1.5, lostPoints: 0 },
    }),
    rec({ workload: 'W8-readers-W6', server: 'mltrack', p50: 100, p99: 150 }),
    rec({ workload: 'W8-W2-alone', server: 'mlflow', p50: 200, p99: 900 }),
    rec({
      workload: 'W8-writers',
      server: 'mlflow',
      p50: 9000,
      p99: 30000,
      errors: 8,
      extra: {
        p99VsAlone: 33.3,
        lostPoints: 0,
        statuses: '500×2 200×98 503×6',
        errorKinds: '500 500 Internal Server Error ×2; 503 database is locked ×6',
        reducedSize: reduced,
      },
    }),
    rec({
      workload: 'W8-readers-W6',
      server: 'mlflow',
      p50: 8000,
      p99: 19000,
      extra: { reducedSize: reduced },
    }),
    rec({
      workload: 'W8-writers',
      server: 'fasttrackml',
      p50: 180,
      p99: 880,
      extra: { p99VsAlone: 6.5, lostPoints: 0, note },
    }),
    rec({
      workload: 'W8-readers-W6',
      server: 'fasttrackml',
      throughput: null,
      extra: { unsupported: 'endpoint not implemented (404): the readers loop W4b only' },
    }),
  ];

  it('compares like-for-like rows only, and shows errors, notes and gaps', () => {
    const lines = textTable(records).split('\n');
    const row = (w: string, s: string) =>
      lines.find((l) => l.startsWith(`${w} `) && l.includes(` ${s} `)) ?? '';
    expect(row('W8-W2-alone', 'mlflow')).toContain('mltrack 20.0× faster (p50)');
    const mlflow = row('W8-writers', 'mlflow');
    expect(mlflow).not.toContain('faster');
    expect(mlflow).toContain('SMALLER DATA');
    expect(mlflow).toContain('errors: 500 500 Internal Server Error ×2; 503 database is locked ×6');
    expect(mlflow).toContain('p99 = 33.3× W2 alone');
    const fml = row('W8-writers', 'fasttrackml');
    expect(fml).toContain('mltrack 12.0× faster (p50)');
    expect(fml).toContain(note);
    expect(row('W8-readers-W6', 'fasttrackml')).toContain('endpoint not implemented (404)');
  });

  it('says "slower" when mltrack is slower, and checks targets on mltrack rows only', () => {
    const slower = [
      rec({ workload: 'W8-writers', server: 'mltrack', p50: 1000, p99: 1900, extra: { p99VsAlone: 21 } }),
      rec({ workload: 'W8-writers', server: 'fasttrackml', p50: 180, p99: 880, errors: 3 }),
    ];
    expect(textTable(slower)).toContain('mltrack 5.6× slower (p50)');
    const t = checkTargets(slower).find((c) => c.name.includes('W8 errors'));
    expect(t).toMatchObject({ actual: '0 errors, 0 lost', ok: true });
  });

  it('charts each W8 workload with every contender, smaller data and gaps marked', () => {
    const s = chartSpec('W8-readers-W6', records)!;
    expect(s.bars.map((b) => [b.label, b.value])).toEqual([
      ['mltrack', 100],
      ['mlflow (smaller data)', 8000],
      ['fasttrackml', null],
    ]);
    expect(s.bars[2]!.note).toContain('endpoint not implemented');
    const md = markdownReport(records, env, { command: 'c', when: 'w' });
    expect(md).toContain('## W8 — mixed read/write');
    expect(md).toContain(note);
  });
});
