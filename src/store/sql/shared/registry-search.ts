import { DEFAULT_WORKSPACE } from '../../../domain/entities/experiment.js';
import {
  DELETED_STAGE,
  type ModelVersion,
  type RegisteredModel,
  TAG_IS_PROMPT,
} from '../../../domain/entities/registry.js';
import { invalidParam } from '../../../domain/errors.js';
import type { Filter, OrderTerm } from '../../../domain/search/ast.js';
import type { SqlDb, SqlValue } from '../sql-db.js';
import { compileComparison } from '../sql-ops.js';
import {
  loadModels,
  loadVersions,
  type ModelRow,
  VERSION_COLUMNS,
  type VersionRow,
} from './registry-load.js';

/** One page (limit/offset) of a registry search, compiled from the filter AST. */
export interface RegistrySearch {
  filter: Filter;
  includePrompts: boolean;
  orderBy: readonly OrderTerm[];
  limit: number;
  offset: number;
}

/** Registered models that carry the prompt tag (MLflow keeps prompts out of ordinary searches). */
const PROMPT_TAG = `EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.model_pk = m.model_pk AND pt."key" = '${TAG_IS_PROMPT}' AND lower(pt.value) = 'true')`;

export async function searchModels(db: SqlDb, q: RegistrySearch): Promise<RegisteredModel[]> {
  const params: SqlValue[] = [DEFAULT_WORKSPACE];
  const where = ['m.workspace = ?'];
  if (!q.includePrompts) where.push(`NOT ${PROMPT_TAG}`);
  for (const c of q.filter) {
    if (c.entity === 'attribute') where.push(compileComparison('m.name', c, params));
    else {
      params.push(c.key);
      where.push(
        `EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.model_pk = m.model_pk AND t."key" = ? AND ${compileComparison('t.value', c, params)})`,
      );
    }
  }
  const order = q.orderBy.map(
    (o) => `${o.key === 'name' ? 'm.name' : 'm.last_updated_time'} ${o.ascending ? 'ASC' : 'DESC'}`,
  );
  if (!q.orderBy.some((o) => o.key === 'name')) order.push('m.name ASC');
  params.push(q.limit, q.offset);
  const rows = await db.all<ModelRow>(
    `SELECT m.* FROM registered_models m WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    params,
  );
  return await loadModels(db, rows);
}

export async function searchVersions(db: SqlDb, q: RegistrySearch): Promise<ModelVersion[]> {
  const params: SqlValue[] = [DEFAULT_WORKSPACE, DELETED_STAGE];
  const where = ['m.workspace = ?', 'v.current_stage != ?'];
  if (!q.includePrompts) where.push(`NOT ${PROMPT_TAG}`);
  const columns: Record<string, string> = {
    name: 'm.name',
    run_id: 'v.run_id',
    source_path: 'v.source',
    version_number: 'v.version',
  };
  for (const c of q.filter) {
    if (c.entity === 'attribute') {
      const col = columns[c.key];
      if (col === undefined) throw invalidParam(`Invalid attribute name: ${c.key}`);
      where.push(compileComparison(col, c, params));
    } else {
      params.push(c.key);
      where.push(
        `EXISTS (SELECT 1 FROM model_version_tags t WHERE t.model_pk = v.model_pk AND t.version = v.version AND t."key" = ? AND ${compileComparison('t.value', c, params)})`,
      );
    }
  }
  const orderColumns: Record<string, string> = {
    name: 'm.name',
    version_number: 'v.version',
    creation_timestamp: 'v.creation_time',
    last_updated_timestamp: 'v.last_updated_time',
  };
  const terms =
    q.orderBy.length > 0
      ? q.orderBy
      : [{ entity: 'attribute', key: 'last_updated_timestamp', ascending: false }];
  const order = terms.map(
    (o) => `${orderColumns[o.key] ?? 'v.last_updated_time'} ${o.ascending ? 'ASC' : 'DESC'}`,
  );
  if (!terms.some((o) => o.key === 'name')) order.push('m.name ASC');
  if (!terms.some((o) => o.key === 'version_number')) order.push('v.version DESC');
  params.push(q.limit, q.offset);
  const rows = await db.all<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk
     WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    params,
  );
  return await loadVersions(db, rows);
}
