import { describe, expect, it } from 'vitest';
import { W2B_PARAMS, W2B_POINTS, W2B_STEPS, w2bBodies } from '../../bench/w2b.js';

interface Body {
  run_id?: string;
  metrics?: { key: string; step: number }[];
  params?: { key: string }[];
}

describe('W2b bodies (FastTrackML k6LoggingPerfScript.js shape)', () => {
  it("holds FastTrackML's requests in order, within MLflow's log-batch limits", () => {
    expect(W2B_STEPS.map((s) => s.fml)).toEqual([
      'CreateRun',
      'LogMetricSingle',
      'LogMetricBatch10',
      'LogMetricBatch100',
      'LogMetricBatch500',
      'LogParamBatch10',
      'LogParamBatch100',
      'UpdateRun',
    ]);
    expect(W2B_POINTS).toBe(1 + 40 + 400 + 1000);
    expect(W2B_PARAMS).toBe(110);
  });

  it('splices into valid JSON, is the same for every contender, and never repeats a key in a run', () => {
    const a = w2bBodies(7);
    const b = w2bBodies(7);
    const points = new Set<string>();
    const params = new Set<string>();
    for (const s of W2B_STEPS) {
      if (s.kind === 'create' || s.kind === 'update') continue;
      const body = JSON.parse(`{"run_id":"r1",${a.get(s.kind)!}`) as Body;
      expect(body.run_id).toBe('r1');
      const strip = (x: string) => x.replace(/"timestamp":\d+/g, '');
      expect(strip(a.get(s.kind)!)).toBe(strip(b.get(s.kind)!));
      expect(body.metrics?.length ?? 0).toBeLessThanOrEqual(1000);
      expect(body.params?.length ?? 0).toBeLessThanOrEqual(100);
      for (const m of body.metrics ?? []) points.add(`${m.key}@${m.step}`);
      for (const p of body.params ?? []) params.add(p.key);
    }
    expect(points.size).toBe(W2B_POINTS - 1);
    expect(params.size).toBe(W2B_PARAMS);
    expect(JSON.parse(a.get('create')!)).toMatchObject({ experiment_id: '0' });
  });
});
