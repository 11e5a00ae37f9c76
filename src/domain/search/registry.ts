/**
 * Model registry search grammars: SearchRegisteredModels (MLflow's `SearchModelUtils`, reference 4.4) and
 * SearchModelVersions (`SearchModelVersionUtils`, reference 4.5), with the extra checks MLflow's SQL registry store
 * makes when it compiles them (`mlflow/store/model_registry/sqlalchemy_store.py`). Behaviour follows MLflow 3.17.
 *
 * Filter identifiers: `attribute.<key>`, `tag.<key>`, `tags.<key>`, or a bare attribute key. The prefix must be
 * written plainly (no backticks) and an attribute key must be unquoted; tag keys may be quoted
 * (``tags.`mlflow.prompt.is_prompt` ``).
 *
 * - Registered models: `name` (`= != LIKE ILIKE IN NOT IN`); tags (`= != LIKE ILIKE`).
 * - Model versions: `name`, `run_id` (`= != LIKE ILIKE IN NOT IN`), `source_path` (`= != LIKE ILIKE`),
 *   `version_number` (`= != < <= > >=`, an integer, or a quoted string holding one); tags (`= != LIKE ILIKE`).
 *
 * Prompts live in the same tables and are told apart by the `mlflow.prompt.is_prompt` tag; see
 * {@link filterAsksForPrompts} and {@link withoutPromptTagClauses}.
 */
import { TAG_IS_PROMPT } from '../entities/registry.js';
import { invalidParam } from '../errors.js';
import type { Comparison, ComparisonOp, Filter, Literal, OrderTerm } from './ast.js';
import { checkOp, NUMERIC_OPS, STRING_LIST_OPS, STRING_OPS, stringLiteral } from './common.js';
import type { IdentPart } from './lexer.js';
import {
  notQuoted,
  parseFilterString,
  parseOrderByClause,
  pyList,
  type RawComparison,
  type RawIdentifier,
  type RawValue,
} from './parser.js';

const ENTITY_TYPES = "('attribute', 'tag', 'tags')";

/** Python's repr of a set, as MLflow's messages print its key sets (set order in Python varies; this is fixed). */
function pySetRepr(values: readonly string[]): string {
  return `{${values.map((v) => `'${v}'`).join(', ')}}`;
}

/** Python's repr of a str: single quotes unless the text holds a single quote and no double quote. */
function pyStrRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s.replace(/\\/g, '\\\\')}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Python's repr of a float (`1.0`, `0.5`). */
function pyFloatRepr(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
}

/** A part as written (for messages): quotes kept. */
function written(part: IdentPart): string {
  return part.quote === '' ? part.name : `${part.quote}${part.name}${part.quote}`;
}

interface ResolvedFilterKey {
  readonly entity: 'attribute' | 'tag';
  readonly key: string;
}

/**
 * MLflow's `_get_model_search_identifier` / `_get_model_version_search_identifier`: split at the first dot, prefix
 * one of attribute/tag/tags (as written, no backticks), attribute key checked as written (so quoting it fails).
 */
function resolveFilterIdentifier(id: RawIdentifier, validKeys: readonly string[]): ResolvedFilterKey {
  const [first, ...rest] = id.parts;
  if (first === undefined) throw invalidParam(`Invalid clause(s) in filter string: ${id.text}`);
  let entity: 'attribute' | 'tag' = 'attribute';
  let keyParts: readonly IdentPart[] = id.parts;
  if (rest.length > 0) {
    const prefix = first.quote === '' ? first.name : undefined;
    if (prefix === 'tag' || prefix === 'tags') entity = 'tag';
    else if (prefix !== 'attribute') {
      throw invalidParam(`Invalid entity type '${written(first)}'. Valid entity types are ${ENTITY_TYPES}`);
    }
    keyParts = rest;
  }
  if (entity === 'tag') return { entity, key: keyParts.map((p) => p.name).join('.') };
  const only = keyParts.length === 1 ? keyParts[0] : undefined;
  if (only === undefined || only.quote !== '' || !validKeys.includes(only.name)) {
    throw invalidParam(
      `Invalid attribute key '${keyParts.map(written).join('.')}' specified. Valid keys are '${pySetRepr(validKeys)}'`,
    );
  }
  return { entity, key: only.name };
}

/** Tag clauses: a quoted string; `= != LIKE ILIKE` (SQL store: "Invalid comparator for tag"). */
function tagComparison(key: string, raw: RawComparison): Comparison {
  const valueError = (t: string) =>
    invalidParam(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${t}`);
  const value = stringLiteral(raw.value, valueError);
  const op = checkOp(raw.op, STRING_OPS, (o) => invalidParam(`Invalid comparator for tag: ${o}`));
  return { entity: 'tag', key, op, value };
}

const listKeysError = (keys: readonly string[]) =>
  invalidParam(
    `Only ${pyList([...keys].sort())} attributes support comparison with a list of quoted string values.`,
  );

// ---------------------------------------------------------------------------------------------------------------
// Registered models

const RM_SEARCH_KEYS: readonly string[] = ['name'];
const RM_LIST_KEYS: readonly string[] = ['name'];

function registeredModelComparison(raw: RawComparison): Comparison {
  const { entity, key } = resolveFilterIdentifier(raw.identifier, RM_SEARCH_KEYS);
  if (entity === 'tag') return tagComparison(key, raw);
  const value = stringAttributeValue(key, raw.value, RM_LIST_KEYS, () =>
    invalidParam(
      `Expected a quoted string value or a list of quoted string values for attributes. Got value ${raw.value.text}`,
    ),
  );
  const op = checkOp(raw.op, STRING_LIST_OPS, (o) => invalidParam(`Invalid comparator for attribute: ${o}`));
  return { entity, key, op, value };
}

/** A string attribute's value: a quoted string, or a list for the keys in `listKeys`. */
function stringAttributeValue(
  key: string,
  value: RawValue,
  listKeys: readonly string[],
  numberError: () => Error,
): Literal {
  switch (value.kind) {
    case 'string':
      return { kind: 'string', value: value.value };
    case 'list':
      if (!listKeys.includes(key)) throw listKeysError(listKeys);
      return { kind: 'list', values: value.values };
    case 'bare':
      throw notQuoted(value.text);
    case 'number':
      throw numberError();
    case 'none':
      return { kind: 'none' };
  }
}

/** Parses a SearchRegisteredModels `filter`. Absent or blank filters give `[]`. */
export function parseRegisteredModelFilter(filter?: string): Filter {
  return parseFilterString(filter).map(registeredModelComparison);
}

const RM_ORDER_KEYS: ReadonlyMap<string, string> = new Map([
  ['name', 'name'],
  ['timestamp', 'last_updated_timestamp'],
  ['last_updated_timestamp', 'last_updated_timestamp'],
]);

/**
 * Parses SearchRegisteredModels `order_by` entries: `name`, `timestamp` or `last_updated_timestamp` (both become
 * `last_updated_timestamp`), unprefixed. No default or tie-breaker is added: the store appends `name ASC` unless
 * name is ordered on (and uses `name ASC` alone when the list is empty).
 */
export function parseRegisteredModelOrderBy(orderBy: readonly string[]): OrderTerm[] {
  const seen = new Set<string>();
  return orderBy.map((clause) => {
    const { identifier, ascending } = parseOrderByClause(clause);
    const token = identifier.parts.map((p) => p.name).join('.');
    const key = RM_ORDER_KEYS.get(token);
    if (key === undefined) {
      throw invalidParam(
        `Invalid order by key '${token}' specified. Valid keys are '${pySetRepr(['name', 'timestamp'])}'`,
      );
    }
    if (seen.has(key)) throw invalidParam(`\`order_by\` contains duplicate fields: ${pyList(orderBy)}`);
    seen.add(key);
    return { entity: 'attribute', key, ascending };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Model versions

const MV_SEARCH_KEYS: readonly string[] = ['name', 'version_number', 'run_id', 'source_path'];
const MV_LIST_KEYS: readonly string[] = ['name', 'run_id'];
const MV_NUMERIC_ATTRIBUTES: readonly string[] = [
  'version_number',
  'creation_timestamp',
  'last_updated_timestamp',
];
const MV_ORDER_KEYS: readonly string[] = [
  'name',
  'version_number',
  'creation_timestamp',
  'last_updated_timestamp',
];

/** Python's `int(str)` for the strings it accepts: surrounding whitespace, a sign, digits (single `_` between). */
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

function versionNumberComparison(key: string, raw: RawComparison): Comparison {
  const { value } = raw;
  if (value.kind === 'list') throw listKeysError(MV_LIST_KEYS);
  if (value.kind === 'bare') throw notQuoted(value.text);
  const op: ComparisonOp = checkOp(raw.op, NUMERIC_OPS, (o) =>
    invalidParam(`Invalid comparator for attribute ${key}: ${o}`),
  );
  let n: number;
  if (value.kind === 'number') {
    if (!/^-?\d+$/.test(value.text)) {
      throw invalidParam(`Invalid value for numeric attribute '${key}': ${pyFloatRepr(value.value)}`);
    }
    n = value.value;
  } else if (value.kind === 'string' && PY_INT.test(value.value)) {
    n = Number(value.value.trim().replace(/_/g, ''));
  } else {
    const shown = value.kind === 'string' ? pyStrRepr(value.value) : 'None';
    throw invalidParam(`Invalid value for numeric attribute '${key}': ${shown}`);
  }
  if (!Number.isSafeInteger(n)) {
    throw invalidParam(`Invalid value for numeric attribute '${key}': ${value.text}`);
  }
  return { entity: 'attribute', key, op, value: { kind: 'number', value: n } };
}

function modelVersionComparison(raw: RawComparison): Comparison {
  const { entity, key } = resolveFilterIdentifier(raw.identifier, MV_SEARCH_KEYS);
  if (entity === 'tag') return tagComparison(key, raw);
  if (key === 'version_number') return versionNumberComparison(key, raw);
  const value = stringAttributeValue(key, raw.value, MV_LIST_KEYS, () =>
    invalidParam(
      `Only the '${pySetRepr(MV_NUMERIC_ATTRIBUTES)}' attributes support comparison with numeric values.`,
    ),
  );
  const op = checkOp(raw.op, STRING_LIST_OPS, (o) => invalidParam(`Invalid comparator for attribute: ${o}`));
  return { entity, key, op, value };
}

/**
 * Parses a SearchModelVersions `filter`. Absent or blank filters give `[]`. Attribute keys are `name`, `run_id`,
 * `source_path` (the `source` column) and `version_number` (the `version` column; its value is always a number).
 */
export function parseModelVersionFilter(filter?: string): Filter {
  return parseFilterString(filter).map(modelVersionComparison);
}

/**
 * Parses SearchModelVersions `order_by` entries: `name`, `version_number`, `creation_timestamp`,
 * `last_updated_timestamp`, optionally with an `attribute.` prefix (no `timestamp` alias here). No default or
 * tie-breaker is added: with an empty list the store uses `last_updated_timestamp DESC, name ASC,
 * version_number DESC`; otherwise it appends `name ASC` and `version_number DESC` when not ordered on.
 */
export function parseModelVersionOrderBy(orderBy: readonly string[]): OrderTerm[] {
  const seen = new Set<string>();
  return orderBy.map((clause) => {
    const { identifier, ascending } = parseOrderByClause(clause);
    const [first, ...rest] = identifier.parts;
    let entity: 'attribute' | 'tag' = 'attribute';
    let key = first?.name ?? '';
    if (rest.length > 0) {
      const prefix = first?.name;
      if (prefix === 'tag' || prefix === 'tags') entity = 'tag';
      else if (prefix !== 'attribute') {
        throw invalidParam(`Invalid entity type '${prefix}'. Valid entity types are ${ENTITY_TYPES}`);
      }
      key = rest.map((p) => p.name).join('.');
    }
    if (entity === 'tag') {
      throw invalidParam(
        `Invalid order by key '${key}' specified. Valid keys are ${pySetRepr(MV_ORDER_KEYS)}`,
      );
    }
    if (!MV_ORDER_KEYS.includes(key)) {
      throw invalidParam(
        `Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(MV_ORDER_KEYS)}'`,
      );
    }
    if (seen.has(key)) throw invalidParam(`\`order_by\` contains duplicate fields: ${pyList(orderBy)}`);
    seen.add(key);
    return { entity, key, ascending };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Prompts

const isPromptTagClause = (c: Comparison): boolean => c.entity === 'tag' && c.key === TAG_IS_PROMPT;

/**
 * MLflow's `_is_querying_prompt`: the FIRST tag clause on `mlflow.prompt.is_prompt` decides; the search includes
 * prompts when it is `= 'true'` or `!= 'false'` (value compared case-insensitively). Without such a clause, prompts
 * (models / versions whose registered model carries `mlflow.prompt.is_prompt = 'true'`) are excluded.
 */
export function filterAsksForPrompts(filter: Filter): boolean {
  const clause = filter.find(isPromptTagClause);
  if (clause === undefined || clause.value.kind !== 'string') return false;
  const value = clause.value.value.toLowerCase();
  return (clause.op === '=' && value === 'true') || (clause.op === '!=' && value === 'false');
}

/**
 * When the filter does not ask for prompts, MLflow's SQL store drops every clause on the prompt tag (so
 * ``tags.`mlflow.prompt.is_prompt` = 'false'`` matches all ordinary models, which lack the tag) and anti-joins the
 * prompt rows instead. Returns the filter the store should apply in that case; unchanged when prompts are asked for.
 */
export function withoutPromptTagClauses(filter: Filter): Filter {
  if (filterAsksForPrompts(filter)) return filter;
  return filter.filter((c) => !isPromptTagClause(c));
}
