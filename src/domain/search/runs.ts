/**
 * SearchRuns filter and order_by grammar (MLflow's `SearchUtils`, reference section 4.1).
 *
 * Prefixes: metric(s), param(s)/parameter(s), tag(s), attribute(s)/attr/run, dataset(s); none = attribute. A prefix
 * may be backticked. Attribute keys are normalised (`created` -> `start_time`, `Run Name` -> `run_name`).
 */
import { invalidParam } from '../errors.js';
import type { Comparison, EntityType, Filter, Literal, OrderTerm } from './ast.js';
import {
  checkOp,
  NULL_OPS,
  NUMERIC_OPS,
  numberLiteral,
  STRING_LIST_OPS,
  STRING_OPS,
  stringLiteral,
} from './common.js';
import {
  parseFilterString,
  parseOrderByClause,
  pyList,
  type RawComparison,
  type RawIdentifier,
  splitIdentifier,
} from './parser.js';

const PREFIXES: ReadonlyMap<string, EntityType> = new Map<string, EntityType>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['param', 'param'],
  ['params', 'param'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
]);

/** The searchable (and orderable) run attributes, after alias normalisation. */
export const RUN_ATTRIBUTE_KEYS: readonly string[] = [
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
];

const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = {
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
};

const VALID_ATTRIBUTE_KEYS: readonly string[] = [
  ...RUN_ATTRIBUTE_KEYS,
  ...Object.keys(ATTRIBUTE_ALIASES),
].sort();
const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['start_time', 'end_time']);
const DATASET_KEYS: readonly string[] = ['context', 'digest', 'name'];

interface Resolved {
  readonly entity: EntityType;
  /** Normalised key. */
  readonly key: string;
  /** Key as written (MLflow's messages quote it). */
  readonly written: string;
}

function resolveIdentifier(id: RawIdentifier): Resolved {
  const { prefix, key } = splitIdentifier(id);
  let entity: EntityType = 'attribute';
  if (prefix !== undefined) {
    const found = prefix.quote === '' || prefix.quote === '`' ? PREFIXES.get(prefix.name) : undefined;
    if (found === undefined) {
      throw invalidParam(
        `Invalid entity type '${prefix.name}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      );
    }
    entity = found;
  }
  if (entity === 'attribute') {
    if (!VALID_ATTRIBUTE_KEYS.includes(key)) {
      throw invalidParam(
        `Invalid attribute key '${key}' specified. Valid keys are '${pyList(VALID_ATTRIBUTE_KEYS)}'`,
      );
    }
    return { entity, key: ATTRIBUTE_ALIASES[key] ?? key, written: key };
  }
  if (entity === 'dataset' && !DATASET_KEYS.includes(key)) {
    throw invalidParam(`Invalid dataset key '${key}' specified. Valid keys are '${pyList(DATASET_KEYS)}'`);
  }
  return { entity, key, written: key };
}

/** Python's `str.islower()`: at least one cased character and no upper-case one. */
function isLower(s: string): boolean {
  return s === s.toLowerCase() && s !== s.toUpperCase();
}

function toComparison(raw: RawComparison): Comparison {
  const { entity, key, written } = resolveIdentifier(raw.identifier);
  const { op, value } = raw;
  switch (entity) {
    case 'metric': {
      const literal = numberLiteral(value, (t) =>
        invalidParam(`Expected numeric value type for metric. Found ${t}`),
      );
      return { entity, key, op: checkOp(op, NUMERIC_OPS), value: literal };
    }
    case 'param':
    case 'tag': {
      const name = entity === 'param' ? 'parameter' : 'tag';
      const literal = stringLiteral(value, (t) =>
        invalidParam(`Expected a quoted string value for ${name} (e.g. 'my-value'). Got value ${t}`),
      );
      return { entity, key, op: checkOp(op, [...STRING_OPS, ...NULL_OPS]), value: literal };
    }
    case 'dataset': {
      const literal: Literal =
        value.kind === 'list'
          ? { kind: 'list', values: value.values }
          : stringLiteral(value, (t) =>
              invalidParam(`Expected a quoted string value for dataset attributes. Got value ${t}`),
            );
      return { entity, key, op: checkOp(op, STRING_LIST_OPS), value: literal };
    }
    case 'attribute': {
      if (NUMERIC_ATTRIBUTES.has(key)) {
        const literal = numberLiteral(value, (t) =>
          invalidParam(`Expected numeric value type for numeric attribute: ${written}. Found ${t}`),
        );
        return { entity, key, op: checkOp(op, NUMERIC_OPS), value: literal };
      }
      let literal: Literal;
      if (value.kind === 'list') {
        if (key !== 'run_id') {
          throw invalidParam(
            "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
          );
        }
        // Run ids are lower-case hex; MLflow drops other values because MySQL's IN is case-insensitive.
        literal = { kind: 'list', values: value.values.filter(isLower) };
      } else {
        literal = stringLiteral(value, (t) =>
          invalidParam(`Expected a quoted string value for attributes. Got value ${t}`),
        );
      }
      return { entity, key, op: checkOp(op, STRING_LIST_OPS), value: literal };
    }
  }
}

/** Parses a SearchRuns `filter`. Absent or blank filters give `[]` (match everything). */
export function parseRunFilter(filter?: string): Filter {
  return parseFilterString(filter).map(toComparison);
}

/**
 * Parses SearchRuns `order_by` entries. No default ordering or tie-breaker is added: that is the store's job
 * (`start_time DESC` unless ordered on, then `run_id ASC`).
 */
export function parseRunOrderBy(orderBy: readonly string[]): OrderTerm[] {
  const seen = new Set<string>();
  return orderBy.map((clause) => {
    const { identifier, ascending } = parseOrderByClause(clause);
    const { entity, key } = resolveIdentifier(identifier);
    if (entity === 'dataset') throw invalidParam(`Invalid identifier type '${entity}'`);
    const id = `${entity}\u0000${key}`;
    if (seen.has(id)) throw invalidParam(`\`order_by\` contains duplicate fields: ${pyList(orderBy)}`);
    seen.add(id);
    return { entity, key, ascending };
  });
}
