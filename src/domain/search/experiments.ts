/**
 * SearchExperiments filter and order_by grammar (MLflow's `SearchExperimentsUtils`, reference section 4.2).
 *
 * Prefixes: `attribute.`, `tag.`, `tags.`, or none (= attribute); `attributes.` is NOT accepted here.
 * Attributes: `name` (string), `creation_time` and `last_update_time` (numeric). Tags: `= != LIKE ILIKE`, and since
 * MLflow 3.11 also `IS NULL` / `IS NOT NULL`.
 */
import { invalidParam } from '../errors.js';
import type { Comparison, Filter, OrderTerm } from './ast.js';
import { checkOp, NULL_OPS, NUMERIC_OPS, numberLiteral, STRING_OPS, stringLiteral } from './common.js';
import {
  parseFilterString,
  parseOrderByClause,
  pyList,
  type RawComparison,
  type RawIdentifier,
  splitIdentifier,
} from './parser.js';

const SEARCH_KEYS: readonly string[] = ['name', 'creation_time', 'last_update_time'];
const ORDER_BY_KEYS: readonly string[] = ['name', 'experiment_id', 'creation_time', 'last_update_time'];
const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['creation_time', 'last_update_time']);

function resolveIdentifier(
  id: RawIdentifier,
  validKeys: readonly string[],
): { entity: 'attribute' | 'tag'; key: string } {
  const { prefix, key } = splitIdentifier(id);
  let entity: 'attribute' | 'tag' = 'attribute';
  if (prefix !== undefined) {
    const name = prefix.quote === '' || prefix.quote === '`' ? prefix.name : `"${prefix.name}"`;
    if (name === 'tag' || name === 'tags') entity = 'tag';
    else if (name !== 'attribute') {
      throw invalidParam(
        `Invalid entity type '${name}'. Valid entity types are ('attribute', 'tag', 'tags')`,
      );
    }
  }
  if (entity === 'attribute' && !validKeys.includes(key)) {
    throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '${pyList(validKeys)}'`);
  }
  return { entity, key };
}

function toComparison(raw: RawComparison): Comparison {
  const { entity, key } = resolveIdentifier(raw.identifier, SEARCH_KEYS);
  const { op, value } = raw;
  if (entity === 'tag') {
    const literal = stringLiteral(value, (t) =>
      invalidParam(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${t}`),
    );
    const checked = checkOp(op, [...STRING_OPS, ...NULL_OPS], (o) =>
      invalidParam(`Invalid comparator for tag: ${o}`),
    );
    return { entity, key, op: checked, value: literal };
  }
  if (NUMERIC_ATTRIBUTES.has(key)) {
    const literal = numberLiteral(value, (t) =>
      invalidParam(`Expected numeric value type for numeric attribute: ${key}. Found ${t}`),
    );
    const checked = checkOp(op, NUMERIC_OPS, (o) =>
      invalidParam(`Invalid comparator for numeric attribute: ${o}`),
    );
    return { entity, key, op: checked, value: literal };
  }
  const badOp = (o: string) => invalidParam(`Invalid comparator for string attribute: ${o}`);
  const literal = stringLiteral(
    value,
    (t) => invalidParam(`Expected a quoted string value for attributes. Got value ${t}`),
    () => badOp(op),
  );
  return { entity, key, op: checkOp(op, STRING_OPS, badOp), value: literal };
}

/** Parses a SearchExperiments `filter`. Absent or blank filters give `[]`. */
export function parseExperimentFilter(filter?: string): Filter {
  return parseFilterString(filter).map(toComparison);
}

/**
 * Parses SearchExperiments `order_by` entries (attributes only). Defaults and the `experiment_id` tie-breaker
 * (`creation_time DESC, experiment_id ASC` when empty; `experiment_id DESC` appended otherwise) are the store's job.
 */
export function parseExperimentOrderBy(orderBy: readonly string[]): OrderTerm[] {
  return orderBy.map((clause) => {
    const { identifier, ascending } = parseOrderByClause(clause);
    const { entity, key } = resolveIdentifier(identifier, ORDER_BY_KEYS);
    if (entity !== 'attribute') throw invalidParam(`Invalid order_by entity: ${entity}`);
    return { entity, key, ascending };
  });
}
