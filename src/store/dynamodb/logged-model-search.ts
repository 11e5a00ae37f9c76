import { invalidParam } from '../../domain/errors.js';
import type { Comparison, Filter } from '../../domain/search/ast.js';
import { compareScalars, compareStrings, matches } from '../../domain/search/evaluate.js';
import type { LoggedModelOrder } from '../types.js';
import {
  type ModelMeta,
  type ModelMetricItem,
  type ModelState,
  sqlMetricValue,
} from './logged-model-items.js';

/**
 * SearchLoggedModels evaluated in memory with the SQL store's semantics (src/store/sql/shared/logged-models.ts):
 * a metric filter or order uses the model's latest point of that metric (greatest timestamp, then step), among the
 * requested datasets for a filter and the order term's dataset for an order; a missing value matches nothing and
 * sorts last in either direction; ties go by model_id.
 */

export type ModelOrderTerm =
  | { kind: 'attribute'; key: string; ascending: boolean }
  | { kind: 'metric'; name: string; ascending: boolean; datasetName?: string; datasetDigest?: string };

type Dataset = { dataset_name: string; dataset_digest?: string };
type Value = string | number | undefined;

/** The logged_models columns a filter or order can name. */
const COLUMNS: Readonly<Record<string, (m: ModelMeta) => Value>> = {
  name: (m) => m.name,
  model_id: (m) => m.model_id,
  model_type: (m) => m.model_type,
  status: (m) => m.status,
  source_run_id: (m) => m.source_run_id,
  // A BIGINT column in SQL: compared as a number (a string literal converts, as in SQL).
  experiment_id: (m) => Number(m.experiment_id),
  creation_timestamp_ms: (m) => m.creation_timestamp_ms,
  last_updated_timestamp_ms: (m) => m.last_updated_timestamp_ms,
  artifact_location: (m) => m.artifact_location,
};

const ORDER_ALIASES: Readonly<Record<string, string>> = {
  creation_time: 'creation_timestamp_ms',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};

/** The order terms of a request (MLflow's messages for unknown fields). */
export function resolveOrder(orderBy: readonly LoggedModelOrder[]): ModelOrderTerm[] {
  return orderBy.map((o): ModelOrderTerm => {
    if (o.field_name.startsWith('metrics.')) {
      const term: ModelOrderTerm = {
        kind: 'metric',
        name: o.field_name.slice('metrics.'.length),
        ascending: o.ascending,
      };
      if (o.dataset_name) {
        term.datasetName = o.dataset_name;
        if (o.dataset_digest) term.datasetDigest = o.dataset_digest;
      }
      return term;
    }
    const written = o.field_name.replace(/^attributes?\./, '');
    const key = ORDER_ALIASES[written] ?? written;
    if (COLUMNS[key] === undefined) throw invalidParam(`Invalid order by field name: ${o.field_name}`);
    return { kind: 'attribute', key, ascending: o.ascending };
  });
}

/** Checks the filter's entities and columns (before any model is read, so an empty result still reports them). */
export function checkFilter(filter: Filter): void {
  for (const c of filter) {
    if (c.entity === 'attribute') {
      if (COLUMNS[c.key] === undefined) throw invalidParam(`Invalid attribute key '${c.key}' specified.`);
    } else if (c.entity !== 'metric' && c.entity !== 'param' && c.entity !== 'tag') {
      throw invalidParam(`Invalid entity type '${c.entity}' in logged model filter.`);
    }
  }
}

/** Whether the search needs the models' params, tags or metrics. */
export function usesChildren(
  filter: Filter,
  datasets: readonly Dataset[],
  order: readonly ModelOrderTerm[],
): boolean {
  return (
    datasets.length > 0 ||
    filter.some((c) => c.entity !== 'attribute') ||
    order.some((o) => o.kind === 'metric')
  );
}

const inDatasets = (m: ModelMetricItem, datasets: readonly Dataset[]): boolean =>
  datasets.some(
    (d) => m.dataset_name === d.dataset_name && (!d.dataset_digest || m.dataset_digest === d.dataset_digest),
  );

/** The SQL value of the latest point (greatest timestamp, then step) among `points`. */
function latestValue(points: readonly ModelMetricItem[]): number | undefined {
  let best: ModelMetricItem | undefined;
  for (const p of points) {
    if (
      best === undefined ||
      p.timestamp > best.timestamp ||
      (p.timestamp === best.timestamp && p.step > best.step)
    )
      best = p;
  }
  return best === undefined ? undefined : sqlMetricValue(best);
}

function test(s: ModelState, c: Comparison, datasets: readonly Dataset[]): boolean {
  switch (c.entity) {
    case 'attribute':
      return matches(COLUMNS[c.key]!(s.meta), c);
    case 'metric':
      return matches(
        latestValue(
          s.metrics.filter((m) => m.key === c.key && (datasets.length === 0 || inDatasets(m, datasets))),
        ),
        c,
      );
    case 'param':
      return matches(s.params.find((p) => p.key === c.key)?.value, c);
    case 'tag':
      return matches(s.tags.find((t) => t.key === c.key)?.value, c);
    default:
      throw invalidParam(`Invalid entity type '${c.entity}' in logged model filter.`);
  }
}

/** Whether the model passes the filter and has a metric point on one of the datasets (when any are given). */
export function modelMatches(s: ModelState, filter: Filter, datasets: readonly Dataset[]): boolean {
  if (datasets.length > 0 && !s.metrics.some((m) => inDatasets(m, datasets))) return false;
  return filter.every((c) => test(s, c, datasets));
}

function orderValue(s: ModelState, o: ModelOrderTerm): Value {
  if (o.kind === 'attribute') return COLUMNS[o.key]!(s.meta);
  return latestValue(
    s.metrics.filter(
      (m) =>
        m.key === o.name &&
        (o.datasetName === undefined ||
          (m.dataset_name === o.datasetName &&
            (o.datasetDigest === undefined || m.dataset_digest === o.datasetDigest))),
    ),
  );
}

/** The models in the request's order (creation_timestamp_ms DESC by default), ties by model_id ascending. */
export function orderModels(states: ModelState[], order: readonly ModelOrderTerm[]): ModelState[] {
  const terms: readonly ModelOrderTerm[] =
    order.length > 0 ? order : [{ kind: 'attribute', key: 'creation_timestamp_ms', ascending: false }];
  const keyed = states.map((s) => ({ s, k: terms.map((o) => orderValue(s, o)) }));
  keyed.sort((a, b) => {
    for (const [i, o] of terms.entries()) {
      const x = a.k[i];
      const y = b.k[i];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1; // missing values last, whatever the direction
        continue;
      }
      const c = compareScalars(x, y);
      if (c !== 0) return o.ascending ? c : -c;
    }
    return compareStrings(a.s.meta.model_id, b.s.meta.model_id);
  });
  return keyed.map((x) => x.s);
}
