/**
 * SearchLoggedModels filter grammar (MLflow's `search_logged_model_utils.parse_filter_string`, reference 4.6).
 *
 * Identifiers: `attributes.<column>` or a bare column, `metrics.<name>`, `params.<key>`, `tags.<key>` (plural
 * prefixes only). Column aliases: `creation_time` / `creation_timestamp` -> `creation_timestamp_ms`,
 * `last_updated_timestamp` -> `last_updated_timestamp_ms`. Metrics and the two timestamps are numeric
 * (`= != < <= > >=`); everything else is a string (`= != LIKE ILIKE IN NOT IN`). As in MLflow, a bare number is
 * accepted for a string entity and compared as its text (`params.lr = 0.01`, `experiment_id = 1`).
 *
 * order_by for logged models is a list of structured objects, not strings, so it is validated by the caller.
 */
import { invalidParam } from '../errors.js';
import type { Comparison, EntityType, Filter, Literal } from './ast.js';
import { checkOp, NUMERIC_OPS, numberLiteral, STRING_LIST_OPS } from './common.js';
import { notQuoted, parseFilterString, pyList, type RawComparison, splitIdentifier } from './parser.js';

/** Searchable `logged_models` columns, after alias normalisation. */
export const LOGGED_MODEL_ATTRIBUTE_KEYS: readonly string[] = [
  'creation_timestamp_ms',
  'experiment_id',
  'last_updated_timestamp_ms',
  'model_id',
  'model_type',
  'name',
  'source_run_id',
  'status',
];

const ALIASES: Readonly<Record<string, string>> = {
  creation_time: 'creation_timestamp_ms',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};

const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set([
  'creation_timestamp_ms',
  'last_updated_timestamp_ms',
]);

const PREFIXES: Readonly<Record<string, EntityType>> = {
  attributes: 'attribute',
  metrics: 'metric',
  params: 'param',
  tags: 'tag',
};

/** Normalises a logged-model attribute name (`creation_time` -> `creation_timestamp_ms`); unknown names pass. */
export function normalizeLoggedModelAttribute(key: string): string {
  return ALIASES[key] ?? key;
}

function toComparison(raw: RawComparison): Comparison {
  const { prefix, key: writtenKey } = splitIdentifier(raw.identifier);
  let entity: EntityType = 'attribute';
  if (prefix !== undefined) {
    const found = prefix.quote === '' || prefix.quote === '`' ? PREFIXES[prefix.name] : undefined;
    if (found === undefined) {
      throw invalidParam(
        `Invalid entity type: '${prefix.name}'. Expected one of ['attributes', 'metrics', 'params', 'tags'].`,
      );
    }
    entity = found;
  }
  let key = writtenKey;
  if (entity === 'attribute') {
    key = normalizeLoggedModelAttribute(writtenKey);
    if (!LOGGED_MODEL_ATTRIBUTE_KEYS.includes(key)) {
      throw invalidParam(
        `Invalid attribute key '${writtenKey}' specified. Valid keys are '${pyList([
          ...LOGGED_MODEL_ATTRIBUTE_KEYS,
          ...Object.keys(ALIASES),
        ])}'`,
      );
    }
  }
  const label = `${prefix === undefined ? 'attributes' : prefix.name}.${writtenKey}`;
  const numeric = entity === 'metric' || NUMERIC_ATTRIBUTES.has(key);
  const allowed = numeric ? NUMERIC_OPS : STRING_LIST_OPS;
  const op = checkOp(raw.op, allowed, (o) =>
    invalidParam(`Invalid comparison operator for ${label}: '${o}'. Expected one of ${pyTuple(allowed)}.`),
  );
  if (numeric) {
    const value = numberLiteral(raw.value, (t) =>
      invalidParam(`Expected numeric value type for ${label}. Found ${t}`),
    );
    return { entity, key, op, value };
  }
  let value: Literal;
  switch (raw.value.kind) {
    case 'string':
      value = { kind: 'string', value: raw.value.value };
      break;
    case 'number':
      value = { kind: 'string', value: raw.value.text };
      break;
    case 'list':
      value = { kind: 'list', values: raw.value.values };
      break;
    case 'bare':
      throw notQuoted(raw.value.text);
    case 'none':
      // Unreachable: IS NULL is not among the allowed operators.
      throw invalidParam(`Expected a value for ${label}`);
  }
  return { entity, key, op, value };
}

function pyTuple(values: readonly string[]): string {
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}

/** Parses a SearchLoggedModels `filter`. Absent or blank filters give `[]`. */
export function parseLoggedModelFilter(filter?: string): Filter {
  return parseFilterString(filter).map(toComparison);
}
