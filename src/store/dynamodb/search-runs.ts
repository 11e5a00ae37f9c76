import { stagesFor, type ViewType } from '../../domain/entities/common.js';
import type { Run } from '../../domain/entities/run.js';
import { TAG_DATASET_CONTEXT, TAG_RUN_NAME } from '../../domain/entities/run.js';
import { invalidParam } from '../../domain/errors.js';
import type { Comparison, Filter, OrderTerm } from '../../domain/search/ast.js';
import { compareScalars, matches, matchesMetric, type Scalar } from '../../domain/search/evaluate.js';
import type { SearchResult } from '../types.js';
import { decodeCursor, encodeCursor, pageAfter, queryFingerprint, type SortKey } from './cursor.js';
import type { Ddb, Item } from './ddb.js';
import { patternTrigrams } from './fts.js';
import * as K from './keys.js';
import { latestOfKey } from './latest.js';
import type { RunMeta } from './run-items.js';
import type { DynamoRuns } from './runs.js';

type ChildEntity = 'param' | 'tag' | 'metric';
const CHILD_CODE: Record<ChildEntity, string> = { param: 'P', tag: 'T', metric: 'M' };

function attribute(m: RunMeta, key: string): Scalar {
  switch (key) {
    case 'run_id':
      return m.run_id;
    case 'run_name':
      return m.name;
    case 'status':
      return m.status;
    case 'user_id':
      return m.user_id;
    case 'artifact_uri':
      return m.artifact_uri;
    case 'start_time':
      return m.start_time ?? null;
    case 'end_time':
      return m.end_time ?? null;
    default:
      throw invalidParam(`Invalid attribute key '${key}' specified.`);
  }
}

/** A child value of one run: a param/tag string or a latest metric (NaN kept). */
type ChildValue = string | number;

/**
 * The key condition on lsi3 that narrows candidates for one clause, when the clause can use one (equality on a
 * param/tag, a metric range, a LIKE prefix); every candidate is still checked against the full filter.
 */
function lsi3Condition(c: Comparison): { expr: string; values: Item } | undefined {
  if (c.entity !== 'param' && c.entity !== 'tag') return undefined;
  const head = `${CHILD_CODE[c.entity]}#${c.key}#`;
  if (c.value.kind !== 'string') return undefined;
  if (c.op === '=') {
    const full = `${head}${c.value.value}`;
    const key = K.indexKey(head, c.value.value);
    return key === full
      ? { expr: 'lsi3sk = :a', values: { ':a': key } }
      : { expr: 'begins_with(lsi3sk, :a)', values: { ':a': key } };
  }
  if (c.op === 'LIKE') {
    const prefix = /^[^%_]*/.exec(c.value.value)![0];
    if (prefix.length === 0) return undefined;
    return { expr: 'begins_with(lsi3sk, :a)', values: { ':a': K.indexKey(head, prefix) } };
  }
  return undefined;
}

/** Rank of a clause as the driving index query (lower is better), or undefined when it cannot drive. */
function driverRank(c: Comparison): number | undefined {
  if (lsi3Condition(c) === undefined) return undefined;
  if (c.op === '=') return 0;
  if (c.op === 'LIKE') return 1;
  return 2;
}

/**
 * search_runs on DynamoDB. Per experiment: candidates come from the most selective index query the filter allows
 * (lsi3 over param/tag/metric values: equality, metric range, LIKE prefix), or else from lsi1 (run META by
 * lifecycle, in MLflow's default order). Values the filter or order needs are read per key (one lsi3 query per
 * key across the experiment, or direct reads for few candidates); every clause is evaluated exactly in memory,
 * the matches sorted in MLflow's order and cut at the page, and only the page's runs are loaded (from snapshots
 * where their version is unchanged). All reads are strongly consistent (table and LSIs).
 */
export class DynamoRunSearch {
  constructor(
    private readonly ddb: Ddb,
    private readonly runs: DynamoRuns,
  ) {}

  /** Run ids whose name holds every trigram (the run-name FTS items of the experiment partition). */
  private async byNameTrigrams(exp: string, tris: readonly string[]): Promise<string[]> {
    let ids: Set<string> | undefined;
    for (const t of tris) {
      const hits = await this.ddb.prefix(K.expPk(exp), `${K.runFtsPrefix}${t}#`, {
        ProjectionExpression: 'SK',
      });
      const found = new Set(hits.map((h) => (h.SK as string).slice(-32)));
      ids = ids === undefined ? found : new Set([...ids].filter((x) => found.has(x)));
      if (ids.size === 0) break;
    }
    return [...(ids ?? [])];
  }

  private async candidates(exp: string, stages: readonly string[], filter: Filter): Promise<RunMeta[]> {
    let best: Comparison | undefined;
    for (const c of filter) {
      const r = driverRank(c);
      if (r !== undefined && (best === undefined || r < driverRank(best)!)) best = c;
    }
    // A substring match on the run name (`attributes.run_name` or the `mlflow.runName` tag, which createRun,
    // update-run and set-tag keep equal to it) with a 3-character literal: the name trigrams give the candidates,
    // which the full filter then verifies. Equality on a param/tag is still the better driver.
    const tris = nameTrigrams(filter);
    if (tris !== undefined && (best === undefined || best.op !== '=')) {
      const ids = await this.byNameTrigrams(exp, tris);
      const metas = (await this.ddb.batchGet(ids.map((id) => K.run(exp, id)))) as unknown as RunMeta[];
      return metas.filter((m) => stages.includes(m.lifecycle_stage));
    }
    if (best === undefined) {
      const out: RunMeta[] = [];
      for (const s of stages) out.push(...(await this.runs.metasOf(exp, s as 'active' | 'deleted')));
      return out;
    }
    const cond = lsi3Condition(best)!;
    const hits = await this.ddb.query({
      IndexName: 'lsi3',
      KeyConditionExpression: `PK = :pk AND ${cond.expr}`,
      ExpressionAttributeValues: { ':pk': K.expPk(exp), ...cond.values },
      ProjectionExpression: 'SK',
    });
    const ids = [...new Set(hits.map((h) => (h.SK as string).slice(2, 34)))];
    const metas = (await this.ddb.batchGet(ids.map((id) => K.run(exp, id)))) as unknown as RunMeta[];
    return metas.filter((m) => stages.includes(m.lifecycle_stage));
  }

  /** run id → value of one (entity, key) for the candidates. */
  private async values(
    exp: string,
    entity: ChildEntity,
    key: string,
    all: RunMeta[],
  ): Promise<Map<string, ChildValue>> {
    if (entity === 'metric') {
      return latestOfKey(
        this.ddb,
        all.map((m) => m.run_id),
        key,
      );
    }
    const out = new Map<string, ChildValue>();
    let metas = all;
    if (entity === 'tag' && this.runs.config.denormalized(key)) {
      // Runs whose denormalized map is current answer from their META; the others read the tag items.
      const hash = this.runs.config.patternsHash();
      metas = [];
      for (const m of all) {
        if (m.dph !== hash) metas.push(m);
        else if (m.dtags?.[key] !== undefined) out.set(m.run_id, m.dtags[key]);
      }
      if (metas.length === 0) return out;
    }
    const put = (runId: string, it: Item) => out.set(runId, it.value as string);
    if (metas.length <= 100) {
      const keyOf = entity === 'param' ? K.runParam : K.runTag;
      for (const it of await this.ddb.batchGet(metas.map((m) => keyOf(exp, m.run_id, key)))) {
        put((it.SK as string).slice(2, 34), it);
      }
      return out;
    }
    const items = await this.ddb.query({
      IndexName: 'lsi3',
      KeyConditionExpression: 'PK = :pk AND begins_with(lsi3sk, :h)',
      ExpressionAttributeValues: { ':pk': K.expPk(exp), ':h': `${CHILD_CODE[entity]}#${key}#` },
    });
    for (const it of items) put((it.SK as string).slice(2, 34), it);
    return out;
  }

  /**
   * One experiment, one lifecycle stage, MLflow's default order (or `start_time DESC`) and only attribute filters:
   * lsi1 already walks that order, so read it from the cursor on and stop once the page (plus one) has matched.
   * Page tokens have the same shape as the general path's.
   */
  private async inIndexOrder(
    exp: string,
    stage: 'active' | 'deleted',
    filter: Filter,
    maxResults: number,
    after: SortKey | undefined,
    fp: string,
  ): Promise<SearchResult<Run>> {
    const matched: RunMeta[] = [];
    let start: Record<string, unknown> | undefined;
    if (after !== undefined) {
      const runId = String(after[2]);
      const startTime = after[0] === 1 ? null : Number(after[1]);
      start = { PK: K.expPk(exp), SK: `R#${runId}`, lsi1sk: K.runLsi1(stage, startTime, runId) };
    }
    do {
      const page = await this.ddb.queryPage({
        IndexName: 'lsi1',
        KeyConditionExpression: 'PK = :pk AND begins_with(lsi1sk, :s)',
        ExpressionAttributeValues: { ':pk': K.expPk(exp), ':s': `${stage}#` },
        Limit: Math.min(1000, maxResults + 1 - matched.length + 16),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      for (const it of page.items as unknown as RunMeta[]) {
        if (filter.every((c) => matches(attribute(it, c.key), c))) matched.push(it);
        if (matched.length > maxResults) break;
      }
      start = page.lastKey;
    } while (start !== undefined && matched.length <= maxResults);
    const pageMetas = matched.slice(0, maxResults);
    const out: SearchResult<Run> = { items: await this.runs.load(pageMetas) };
    if (matched.length > maxResults && pageMetas.length > 0) {
      out.nextPageToken = encodeCursor(fp, defaultKey(pageMetas[pageMetas.length - 1]!));
    }
    return out;
  }

  async search(q: {
    experimentIds: string[];
    filter: Filter;
    viewType: ViewType;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Run>> {
    const stages = stagesFor(q.viewType);
    const fp = queryFingerprint(['runs', q.experimentIds, q.viewType, q.filter, q.orderBy]);
    const after = decodeCursor(q.pageToken, fp);
    for (const c of q.filter) {
      if (c.entity === 'attribute') attribute({} as RunMeta, c.key);
      if (c.entity === 'dataset' && !['name', 'digest', 'context'].includes(c.key)) {
        throw invalidParam(`Invalid dataset key '${c.key}' specified.`);
      }
    }
    for (const o of q.orderBy) {
      if (o.entity === 'attribute') attribute({} as RunMeta, o.key);
      else if (o.entity !== 'metric' && o.entity !== 'param' && o.entity !== 'tag') {
        throw invalidParam(`Invalid order_by entity type '${o.entity}'`);
      }
    }
    const single = [...new Set(q.experimentIds)];
    const startDesc =
      q.orderBy.length === 0 ||
      (q.orderBy.length === 1 &&
        q.orderBy[0]!.entity === 'attribute' &&
        q.orderBy[0]!.key === 'start_time' &&
        !q.orderBy[0]!.ascending);
    if (
      single.length === 1 &&
      stages.length === 1 &&
      startDesc &&
      q.filter.every((c) => c.entity === 'attribute') &&
      nameTrigrams(q.filter) === undefined
    ) {
      return this.inIndexOrder(
        single[0]!,
        stages[0] as 'active' | 'deleted',
        q.filter,
        q.maxResults,
        after,
        fp,
      );
    }
    const needed = new Map<string, { entity: ChildEntity; key: string }>();
    for (const x of [...q.filter, ...q.orderBy]) {
      if (x.entity === 'param' || x.entity === 'tag' || x.entity === 'metric') {
        needed.set(`${x.entity}:${x.key}`, { entity: x.entity, key: x.key });
      }
    }
    const rows: { meta: RunMeta; key: SortKey }[] = [];
    const dirs: number[] = [];
    for (const exp of [...new Set(q.experimentIds)]) {
      let metas = await this.candidates(exp, stages, q.filter);
      const vals = new Map<string, Map<string, ChildValue>>();
      for (const [id, n] of needed) vals.set(id, await this.values(exp, n.entity, n.key, metas));
      const v = (entity: string, key: string, runId: string) => vals.get(`${entity}:${key}`)!.get(runId);
      metas = metas.filter((m) =>
        q.filter.every((c) => {
          switch (c.entity) {
            case 'attribute':
              return matches(attribute(m, c.key), c);
            case 'metric':
              return matchesMetric(v('metric', c.key, m.run_id) as number | undefined, c);
            case 'param':
            case 'tag':
              return matches(v(c.entity, c.key, m.run_id), c);
            default:
              return true; // datasets: checked on the loaded runs below
          }
        }),
      );
      if (q.filter.some((c) => c.entity === 'dataset')) {
        const loaded = await this.runs.load(metas);
        metas = metas.filter((_, i) => datasetMatch(loaded[i]!, q.filter));
      }
      for (const m of metas) {
        const key: (string | number | null)[] = [];
        dirs.length = 0;
        let orderedOnStart = false;
        for (const o of q.orderBy) {
          const dir = o.ascending ? 1 : -1;
          let value: Scalar;
          if (o.entity === 'attribute') {
            value = attribute(m, o.key);
            if (o.key === 'start_time') orderedOnStart = true;
          } else value = v(o.entity, o.key, m.run_id);
          const missing = value === undefined || value === null;
          if (o.entity === 'metric') {
            const nan = typeof value === 'number' && Number.isNaN(value);
            key.push(missing ? 1 : 0, nan ? 1 : 0, missing || nan ? null : (value as number));
            dirs.push(1, 1, dir);
          } else {
            key.push(missing ? 1 : 0, missing ? null : (value as string | number));
            dirs.push(1, dir);
          }
        }
        if (!orderedOnStart) {
          // start_time DESC with a missing start last (the SQL stores' order)
          key.push(m.start_time === null || m.start_time === undefined ? 1 : 0, m.start_time ?? null);
          dirs.push(1, -1);
        }
        key.push(m.run_id);
        dirs.push(1);
        rows.push({ meta: m, key });
      }
    }
    const cmp = (a: SortKey, b: SortKey): number => {
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        const y = b[i];
        if (x === y) continue;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const c = compareScalars(x, y);
        if (c !== 0) return c * (dirs[i] ?? 1);
      }
      return 0;
    };
    rows.sort((a, b) => cmp(a.key, b.key));
    const page = pageAfter(rows, (r) => r.key, cmp, after, q.maxResults, fp);
    const out: SearchResult<Run> = { items: await this.runs.load(page.items.map((r) => r.meta)) };
    if (page.nextPageToken !== undefined) out.nextPageToken = page.nextPageToken;
    return out;
  }
}

/** The trigrams of a run-name substring clause (`attributes.run_name` or tag `mlflow.runName`, LIKE/ILIKE), if any. */
function nameTrigrams(filter: Filter): string[] | undefined {
  for (const c of filter) {
    const onName =
      (c.entity === 'attribute' && c.key === 'run_name') || (c.entity === 'tag' && c.key === TAG_RUN_NAME);
    if (!onName || (c.op !== 'LIKE' && c.op !== 'ILIKE') || c.value.kind !== 'string') continue;
    const tris = patternTrigrams(c.value.value);
    if (tris !== undefined) return tris;
  }
  return undefined;
}

/** The sort key of a run in MLflow's default order (also `start_time DESC`): start missing last, start, run id. */
const defaultKey = (m: RunMeta): SortKey => [
  m.start_time === null || m.start_time === undefined ? 1 : 0,
  m.start_time ?? null,
  m.run_id,
];

function datasetMatch(run: Run, filter: Filter): boolean {
  return filter
    .filter((c) => c.entity === 'dataset')
    .every((c) =>
      run.inputs.dataset_inputs.some((di) => {
        const value =
          c.key === 'name'
            ? di.dataset.name
            : c.key === 'digest'
              ? di.dataset.digest
              : di.tags.find((t) => t.key === TAG_DATASET_CONTEXT)?.value;
        return matches(value, c);
      }),
    );
}
