import type { KeyValue } from '../../domain/entities/common.js';
import type { ModelVersion, RegisteredModel } from '../../domain/entities/registry.js';
import { invalidParam } from '../../domain/errors.js';
import type { Comparison, Filter, OrderTerm } from '../../domain/search/ast.js';
import { compareScalars, matches, type Scalar } from '../../domain/search/evaluate.js';
import type { SearchResult } from '../types.js';
import { decodeCursor, pageAfter, queryFingerprint, type SortKey } from './cursor.js';
import type { Ddb } from './ddb.js';
import { patternTrigrams } from './fts.js';
import * as K from './keys.js';
import {
  aliasesByVersion,
  isLive,
  loadModel,
  type ModelMeta,
  mapLimit,
  readAliases,
  readVersion,
  resolveModel,
  splitVersions,
  toVersion,
  type VersionItem,
  WS,
} from './registry-items.js';

/**
 * search_registered_models and search_model_versions: candidates from the narrowest index the filter allows
 * (name sentinels for `=`/`IN`, trigram items for `LIKE`/`ILIKE`, the name listing for a `LIKE` prefix, run-id
 * items for versions), then every clause evaluated exactly in memory on consistently read items, MLflow's SQL
 * order, and keyset page tokens tied to the query.
 */
export interface RegistryQuery {
  filter: Filter;
  includePrompts: boolean;
  maxResults: number;
  orderBy: readonly OrderTerm[];
  pageToken?: string;
}

const CONCURRENCY = 16;

const isName = (c: Comparison) => c.entity === 'attribute' && c.key === 'name';

/**
 * Ids of the models whose name starts with `prefix`, from the GSI2 listing. GSIs are eventually consistent on AWS:
 * a model created or renamed a moment ago can be missing here (DynamoDB Local is immediate); a deleted one that
 * still shows is dropped by the consistent META read that follows.
 */
async function listModels(ddb: Ddb, prefix = ''): Promise<string[]> {
  const items = await ddb.query({
    IndexName: 'gsi2',
    KeyConditionExpression: prefix === '' ? 'gsi2pk = :pk' : 'gsi2pk = :pk AND begins_with(gsi2sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': K.modelList(WS),
      ...(prefix === '' ? {} : { ':prefix': K.utf8Prefix(prefix, 1000) }),
    },
    ProjectionExpression: 'rm_id',
  });
  return items.map((i) => i.rm_id as string);
}

/** Ids of the models whose names hold every trigram (plus the models with names too long for trigram items). */
async function trigramCandidates(ddb: Ddb, tris: readonly string[]): Promise<string[]> {
  let ids: Set<string> | undefined;
  for (const t of tris) {
    const hits = await ddb.prefix(K.modelFtsPk(WS), `${t}#`, { ProjectionExpression: 'SK' });
    const found = new Set(hits.map((h) => (h.SK as string).slice(t.length + 1)));
    ids = ids === undefined ? found : new Set([...ids].filter((x) => found.has(x)));
    if (ids.size === 0) break;
  }
  const long = await ddb.query({
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': K.modelFtsLongPk(WS) },
  });
  return [...(ids ?? []), ...long.map((l) => l.SK as string)];
}

/**
 * The model ids the filter's name clauses narrow to, best index first: `name =` (one sentinel), `name IN` (the
 * sentinels), `LIKE`/`ILIKE` with a 3-character literal stretch (trigram items), `LIKE` with a literal prefix (the
 * GSI2 name listing); otherwise every model of the workspace (GSI2). Candidates are only a superset: the clauses
 * are evaluated on the real names afterwards.
 */
async function modelCandidates(ddb: Ddb, filter: Filter): Promise<string[]> {
  const names = filter.filter(isName);
  const eq = names.find((c) => c.op === '=' && c.value.kind === 'string');
  if (eq !== undefined && eq.value.kind === 'string') {
    const id = await resolveModel(ddb, eq.value.value);
    return id === undefined ? [] : [id];
  }
  const list = names.find((c) => c.op === 'IN' && c.value.kind === 'list');
  if (list !== undefined && list.value.kind === 'list') {
    const keys = [...new Set(list.value.values)].map((n) => K.modelName(WS, n));
    return (await ddb.batchGet(keys)).map((s) => s.rm_id as string);
  }
  for (const c of names) {
    if ((c.op === 'LIKE' || c.op === 'ILIKE') && c.value.kind === 'string') {
      const tris = patternTrigrams(c.value.value);
      if (tris !== undefined) return await trigramCandidates(ddb, tris);
    }
  }
  for (const c of names) {
    if (c.op === 'LIKE' && c.value.kind === 'string') {
      const literal = /^[^%_]*/.exec(c.value.value)![0];
      if (literal !== '') return await listModels(ddb, literal);
    }
  }
  return await listModels(ddb);
}

/** Consistent META reads of the candidates that pass the name clauses and the prompt rule. */
async function modelMetas(
  ddb: Ddb,
  ids: readonly string[],
  filter: Filter,
  includePrompts: boolean,
): Promise<ModelMeta[]> {
  const metas = (await ddb.batchGet([...new Set(ids)].map(K.modelMeta))) as unknown as ModelMeta[];
  const names = filter.filter(isName);
  return metas.filter(
    (m) =>
      m.workspace === WS &&
      (includePrompts || m.is_prompt !== true) &&
      names.every((c) => matches(m.name, c)),
  );
}

function sorter<T>(
  terms: readonly OrderTerm[],
  value: (t: T, key: string) => string | number,
): { keyOf: (t: T) => SortKey; cmp: (a: SortKey, b: SortKey) => number } {
  return {
    keyOf: (t) => terms.map((o) => value(t, o.key)),
    cmp: (a, b) => {
      for (const [i, o] of terms.entries()) {
        const c = compareScalars(a[i] as string | number, b[i] as string | number);
        if (c !== 0) return o.ascending ? c : -c;
      }
      return 0;
    },
  };
}

function withToken<T>(items: T[], nextPageToken: string | undefined): SearchResult<T> {
  const out: SearchResult<T> = { items };
  if (nextPageToken !== undefined) out.nextPageToken = nextPageToken;
  return out;
}

// ---- registered models ------------------------------------------------------------------------------------------

export async function searchModels(ddb: Ddb, q: RegistryQuery): Promise<SearchResult<RegisteredModel>> {
  const fp = queryFingerprint(['registered_models', q.filter, q.orderBy, q.includePrompts]);
  const after = decodeCursor(q.pageToken, fp);
  const terms: OrderTerm[] = [...q.orderBy];
  if (!terms.some((o) => o.key === 'name')) terms.push({ entity: 'attribute', key: 'name', ascending: true });

  let metas = await modelMetas(ddb, await modelCandidates(ddb, q.filter), q.filter, q.includePrompts);
  const tagClauses = q.filter.filter((c) => c.entity === 'tag');
  if (tagClauses.length > 0 && metas.length > 0) {
    // Only the tags the clauses name, read consistently in batches.
    const keys = [...new Set(tagClauses.map((c) => c.key))];
    const items = await ddb.batchGet(metas.flatMap((m) => keys.map((k) => K.modelTag(m.rm_id, k))));
    const tags = new Map(items.map((t) => [`${t.PK}\n${t.key}`, t.value as string]));
    metas = metas.filter((m) =>
      tagClauses.every((c) => matches(tags.get(`${K.modelPk(m.rm_id)}\n${c.key}`), c)),
    );
  }
  const { keyOf, cmp } = sorter<ModelMeta>(terms, (m, key) =>
    key === 'name' ? m.name : m.last_updated_time,
  );
  metas.sort((a, b) => cmp(keyOf(a), keyOf(b)));
  const page = pageAfter(metas, keyOf, cmp, after, q.maxResults, fp);
  const models = await mapLimit(page.items, CONCURRENCY, (m) => loadModel(ddb, m.rm_id));
  return withToken(
    models.filter((m) => m !== undefined),
    page.nextPageToken,
  );
}

// ---- model versions ---------------------------------------------------------------------------------------------

interface Hit {
  meta: ModelMeta;
  version: VersionItem;
  tags: KeyValue[];
}

const VERSION_ATTRIBUTES = new Set(['name', 'run_id', 'source_path', 'version_number']);

function versionAttribute(h: Hit, key: string): Scalar {
  switch (key) {
    case 'name':
      return h.meta.name;
    case 'run_id':
      return h.version.run_id;
    case 'source_path':
      return h.version.source;
    case 'version_number':
      return h.version.version;
    default:
      throw invalidParam(`Invalid attribute name: ${key}`);
  }
}

function versionOrderValue(h: Hit, key: string): string | number {
  switch (key) {
    case 'name':
      return h.meta.name;
    case 'version_number':
      return h.version.version;
    case 'creation_timestamp':
      return h.version.creation_time;
    default:
      return h.version.last_updated_time;
  }
}

/**
 * (model id → version numbers) of live versions with one of the run ids, from GSI3. Eventually consistent on AWS:
 * a version registered a moment ago can be missing; every hit is re-read consistently and checked again.
 */
async function byRunIds(ddb: Ddb, runIds: readonly string[]): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  for (const runId of new Set(runIds)) {
    if (runId === '') continue;
    const items = await ddb.query({
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': K.versionRunGsi3(WS, runId) },
      ProjectionExpression: 'rm_id, version',
    });
    for (const i of items) {
      const set = out.get(i.rm_id as string) ?? new Set<number>();
      set.add(i.version as number);
      out.set(i.rm_id as string, set);
    }
  }
  return out;
}

export async function searchVersions(ddb: Ddb, q: RegistryQuery): Promise<SearchResult<ModelVersion>> {
  const fp = queryFingerprint(['model_versions', q.filter, q.orderBy, q.includePrompts]);
  const after = decodeCursor(q.pageToken, fp);
  const terms: OrderTerm[] =
    q.orderBy.length > 0
      ? [...q.orderBy]
      : [{ entity: 'attribute', key: 'last_updated_timestamp', ascending: false }];
  if (!terms.some((o) => o.key === 'name')) terms.push({ entity: 'attribute', key: 'name', ascending: true });
  if (!terms.some((o) => o.key === 'version_number')) {
    terms.push({ entity: 'attribute', key: 'version_number', ascending: false });
  }
  for (const c of q.filter) {
    if (c.entity === 'attribute' && !VERSION_ATTRIBUTES.has(c.key)) {
      throw invalidParam(`Invalid attribute name: ${c.key}`);
    }
  }

  // Narrowing: run ids (GSI3) and an exact version number restrict the versions read per model.
  const run = q.filter.find(
    (c) => c.entity === 'attribute' && c.key === 'run_id' && (c.op === '=' || c.op === 'IN'),
  );
  const runIds =
    run === undefined
      ? undefined
      : run.value.kind === 'list'
        ? run.value.values
        : run.value.kind === 'string'
          ? [run.value.value]
          : undefined;
  const pairs = runIds === undefined ? undefined : await byRunIds(ddb, runIds);
  const numberEq = q.filter.find(
    (c) =>
      c.entity === 'attribute' && c.key === 'version_number' && c.op === '=' && c.value.kind === 'number',
  );
  const onlyNumber = numberEq?.value.kind === 'number' ? numberEq.value.value : undefined;

  // With run ids, their models are the candidates (name clauses are checked on the METAs either way).
  const ids = pairs !== undefined ? [...pairs.keys()] : await modelCandidates(ddb, q.filter);
  const metas = await modelMetas(ddb, ids, q.filter, q.includePrompts);

  const perModel = await mapLimit(metas, CONCURRENCY, async (meta): Promise<Hit[]> => {
    let numbers: number[] | undefined = pairs === undefined ? undefined : [...(pairs.get(meta.rm_id) ?? [])];
    if (onlyNumber !== undefined) numbers = (numbers ?? [onlyNumber]).filter((n) => n === onlyNumber);
    const entries =
      numbers === undefined
        ? splitVersions(await ddb.prefix(K.modelPk(meta.rm_id), K.MODEL_VERSIONS_FROM))
        : (await Promise.all(numbers.map((n) => readVersion(ddb, meta.rm_id, n)))).filter(
            (e) => e !== undefined,
          );
    return entries.filter((e) => isLive(e.version)).map((e) => ({ meta, ...e }));
  });
  const hits = perModel.flat().filter((h) => {
    const tags = new Map(h.tags.map((t) => [t.key, t.value]));
    return q.filter.every((c) =>
      c.entity === 'attribute' ? matches(versionAttribute(h, c.key), c) : matches(tags.get(c.key), c),
    );
  });
  const { keyOf, cmp } = sorter<Hit>(terms, versionOrderValue);
  hits.sort((a, b) => cmp(keyOf(a), keyOf(b)));
  const page = pageAfter(hits, keyOf, cmp, after, q.maxResults, fp);

  // Aliases only for the models on the page.
  const modelIds = [...new Set(page.items.map((h) => h.meta.rm_id))];
  const aliases = new Map(
    await mapLimit(
      modelIds,
      CONCURRENCY,
      async (id) => [id, aliasesByVersion((await readAliases(ddb, id)).aliases)] as const,
    ),
  );
  const items = page.items.map((h) =>
    toVersion(h.meta.name, h.version, h.tags, aliases.get(h.meta.rm_id)?.get(h.version.version) ?? []),
  );
  return withToken(items, page.nextPageToken);
}
