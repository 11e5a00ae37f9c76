import type { Metric } from '../domain/entities/metric.js';

/**
 * Protobuf-JSON encodes non-finite doubles as the strings "NaN", "Infinity" and "-Infinity"; JSON.stringify
 * would write null. Doubles only occur in metric values, so responses convert those and stay on the fast
 * replacer-free JSON.stringify path.
 */
export function wireDouble(v: number): number | string {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

export function wireMetric(m: Metric): Metric | (Omit<Metric, 'value'> & { value: string }) {
  return Number.isFinite(m.value) ? m : { ...m, value: wireDouble(m.value) as string };
}

export function wireMetrics(ms: Metric[]): unknown[] {
  for (const m of ms) if (!Number.isFinite(m.value)) return ms.map(wireMetric);
  return ms;
}
