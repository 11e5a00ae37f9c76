export interface Metric {
  key: string;
  /** NaN and ±Infinity are real doubles here; the wire layer encodes them as "NaN"/"Infinity". */
  value: number;
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
  run_id?: string;
}

/**
 * MLflow's SQL store (the default backend since 3.7) stores ±Infinity as ±max double and returns that finite
 * number; mltrack does the same so clients see identical values.
 */
export function storedMetricValue(v: number): number {
  if (v === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (v === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return v;
}
