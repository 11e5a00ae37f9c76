/**
 * The filter AST shared by every search grammar (runs, experiments, logged models; later registry and traces).
 * A filter is a conjunction of comparisons: MLflow has no OR, NOT or grouping.
 * Parsers in this folder produce it; each store compiles it (store/sql/search-compiler.ts, ...).
 */

/** Which family of columns an identifier names. `attribute` keys are normalised (see the grammar modules). */
export type EntityType = 'attribute' | 'metric' | 'param' | 'tag' | 'dataset';

export type ComparisonOp =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

export type Literal =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly values: readonly string[] }
  | { readonly kind: 'none' };

export interface Comparison {
  readonly entity: EntityType;
  /** Normalised key: attribute names in their canonical form (e.g. `start_time` for `created`). */
  readonly key: string;
  readonly op: ComparisonOp;
  readonly value: Literal;
}

/** AND of all clauses; an empty list matches everything. */
export type Filter = readonly Comparison[];

export interface OrderTerm {
  readonly entity: EntityType;
  readonly key: string;
  readonly ascending: boolean;
}
