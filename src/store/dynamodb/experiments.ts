import { type KeyValue, stagesFor, type ViewType } from '../../domain/entities/common.js';
import { DEFAULT_WORKSPACE, type Experiment } from '../../domain/entities/experiment.js';
import { alreadyExists, invalidParam, notFound } from '../../domain/errors.js';
import type { Comparison, Filter, OrderTerm } from '../../domain/search/ast.js';
import { compareScalars, matches } from '../../domain/search/evaluate.js';
import type { SearchResult } from '../types.js';
import { appendUriPath } from '../uri-path.js';
import { decodeCursor, pageAfter, queryFingerprint, type SortKey } from './cursor.js';
import { conditionFailed, type Ddb, failedConditions, type Item } from './ddb.js';
import { patternTrigrams, trigramDiff } from './fts.js';
import * as K from './keys.js';

export interface ExperimentItem {
  experiment_id: string;
  name: string;
  workspace: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  tags?: Record<string, string>;
}

const WS = DEFAULT_WORKSPACE;

/** DynamoDB experiment ids are MLflow's: decimal integers (the default experiment is "0"). */
export const isExperimentId = (id: string): boolean => /^\d{1,18}$/.test(id);

export function requireExperimentIds(ids: readonly string[]): string[] {
  return ids.map((id) => {
    const s = String(id);
    if (!isExperimentId(s))
      throw invalidParam(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
    return String(Number(s));
  });
}

export function toExperiment(e: ExperimentItem): Experiment {
  const tags = Object.entries(e.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
  return {
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    creation_time: e.creation_time,
    last_update_time: e.last_update_time,
    tags,
    workspace: e.workspace,
  };
}

function attribute(e: ExperimentItem, key: string): string | number {
  switch (key) {
    case 'name':
      return e.name;
    case 'creation_time':
      return e.creation_time;
    case 'last_update_time':
      return e.last_update_time;
    case 'experiment_id':
      return Number(e.experiment_id);
    default:
      throw invalidParam(`Invalid attribute key '${key}' specified.`);
  }
}

function test(e: ExperimentItem, c: Comparison): boolean {
  if (c.entity === 'attribute') return matches(attribute(e, c.key), c);
  if (c.entity === 'tag') return matches(e.tags?.[c.key], c);
  throw invalidParam(`Invalid entity type '${c.entity}' in experiment filter.`);
}

export class DynamoExperiments {
  constructor(
    private readonly ddb: Ddb,
    private readonly defaultArtifactRoot: string,
  ) {}

  async item(id: string): Promise<ExperimentItem> {
    const it = isExperimentId(id)
      ? await this.ddb.get<ExperimentItem>(K.experiment(String(Number(id))))
      : undefined;
    if (it === undefined) throw notFound(`No Experiment with id=${id} exists`);
    return it;
  }

  async requireActive(id: string): Promise<ExperimentItem> {
    const e = await this.item(id);
    if (e.lifecycle_stage !== 'active') {
      throw invalidParam(
        `The experiment ${e.experiment_id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`,
      );
    }
    return e;
  }

  private async nextId(): Promise<string> {
    const out = await this.ddb.update<{ next: number }>({
      Key: K.config.experimentSequence,
      UpdateExpression: 'ADD #n :one',
      ExpressionAttributeNames: { '#n': 'next' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    });
    return String(out!.next);
  }

  private async writeTrigrams(name: string, id: string, before?: string): Promise<string[]> {
    const { add, remove } = trigramDiff(before, name);
    await this.ddb.batchWrite(add.map((t) => ({ PK: K.experimentFtsPk(WS), SK: `${t}#${K.pad20(id)}` })));
    return remove;
  }

  async create(input: { name: string; artifactLocation?: string; tags?: KeyValue[] }): Promise<string> {
    const taken = () => alreadyExists(`Experiment(name=${input.name}) already exists.`);
    const sentinel = await this.ddb.get<{ experiment_id: string }>(K.experimentName(WS, input.name));
    if (sentinel !== undefined) {
      if ((await this.ddb.get(K.experiment(sentinel.experiment_id))) !== undefined) throw taken();
      // The experiment expired (TTL) before its name sentinel did: the name is free again.
      try {
        await this.ddb.delete(K.experimentName(WS, input.name), {
          ConditionExpression: 'experiment_id = :id',
          ExpressionAttributeValues: { ':id': sentinel.experiment_id },
        });
      } catch (e) {
        if (!conditionFailed(e)) throw e;
      }
    }
    for (;;) {
      const id = await this.nextId();
      const now = Date.now();
      const tags: Record<string, string> = {};
      for (const t of input.tags ?? []) tags[t.key] = t.value;
      // Trigram items first: an orphan (the create fails below) is harmless, searches verify every candidate.
      await this.writeTrigrams(input.name, id);
      const item: Item = {
        ...K.experiment(id),
        experiment_id: id,
        name: input.name,
        workspace: WS,
        artifact_location: input.artifactLocation || appendUriPath(this.defaultArtifactRoot, id),
        lifecycle_stage: 'active',
        creation_time: now,
        last_update_time: now,
        tags,
        gsi2pk: K.experimentList(WS),
        gsi2sk: K.experimentListSk('active', id),
      };
      try {
        await this.ddb.transact([
          {
            Put: {
              Item: { ...K.experimentName(WS, input.name), experiment_id: id },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          { Put: { Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
        ]);
        return id;
      } catch (e) {
        if (!conditionFailed(e)) throw e;
        if (failedConditions(e).includes(0)) throw taken();
        // The id was taken (e.g. a table restored from a backup behind the sequence): take the next one.
      }
    }
  }

  async get(id: string): Promise<Experiment> {
    return toExperiment(await this.item(id));
  }

  async getByName(name: string): Promise<Experiment | null> {
    const ptr = await this.ddb.get<{ experiment_id: string }>(K.experimentName(WS, name));
    if (ptr === undefined) return null;
    const e = await this.ddb.get<ExperimentItem>(K.experiment(ptr.experiment_id));
    return e === undefined ? null : toExperiment(e);
  }

  /** Sets the lifecycle of the experiment (its runs follow in runs.ts), conditioned on the current one. */
  async setLifecycle(
    id: string,
    from: 'active' | 'deleted',
    to: 'active' | 'deleted',
  ): Promise<ExperimentItem> {
    const e = await this.item(id);
    if (e.lifecycle_stage !== from) throw notFound(`No Experiment with id=${id} exists`);
    try {
      await this.ddb.update({
        Key: K.experiment(e.experiment_id),
        UpdateExpression: 'SET lifecycle_stage = :to, last_update_time = :now, gsi2sk = :sk',
        ConditionExpression: 'lifecycle_stage = :from',
        ExpressionAttributeValues: {
          ':to': to,
          ':from': from,
          ':now': Date.now(),
          ':sk': K.experimentListSk(to, e.experiment_id),
        },
      });
    } catch (err) {
      if (conditionFailed(err)) throw notFound(`No Experiment with id=${id} exists`);
      throw err;
    }
    return e;
  }

  async rename(id: string, newName: string): Promise<void> {
    const e = await this.item(id);
    // MLflow answers INVALID_STATE (HTTP 500, which the client retries for minutes); it is a client mistake.
    if (e.lifecycle_stage !== 'active') throw invalidParam('Cannot rename a non-active experiment.');
    if (newName === e.name) return;
    const stale = await this.writeTrigrams(newName, e.experiment_id, e.name);
    try {
      await this.ddb.transact([
        {
          Put: {
            Item: { ...K.experimentName(WS, newName), experiment_id: e.experiment_id },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Delete: {
            Key: K.experimentName(WS, e.name),
            ConditionExpression: 'experiment_id = :id',
            ExpressionAttributeValues: { ':id': e.experiment_id },
          },
        },
        {
          Update: {
            Key: K.experiment(e.experiment_id),
            UpdateExpression: 'SET #n = :new, last_update_time = :now',
            ConditionExpression: '#n = :old AND lifecycle_stage = :active',
            ExpressionAttributeNames: { '#n': 'name' },
            ExpressionAttributeValues: {
              ':new': newName,
              ':old': e.name,
              ':now': Date.now(),
              ':active': 'active',
            },
          },
        },
      ]);
    } catch (err) {
      if (conditionFailed(err) && failedConditions(err).includes(0)) {
        throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      }
      if (conditionFailed(err)) return this.rename(id, newName); // changed under us: look again
      throw err;
    }
    await this.ddb.batchWrite(
      [],
      stale.map((t) => ({ PK: K.experimentFtsPk(WS), SK: `${t}#${K.pad20(e.experiment_id)}` })),
    );
  }

  async setTag(id: string, tag: KeyValue): Promise<void> {
    const e = await this.requireActive(id);
    await this.ddb.update({
      Key: K.experiment(e.experiment_id),
      UpdateExpression: 'SET tags.#k = :v',
      ConditionExpression: 'lifecycle_stage = :active',
      ExpressionAttributeNames: { '#k': tag.key },
      ExpressionAttributeValues: { ':v': tag.value, ':active': 'active' },
    });
  }

  async deleteTag(id: string, key: string): Promise<void> {
    const e = await this.requireActive(id);
    try {
      await this.ddb.update({
        Key: K.experiment(e.experiment_id),
        UpdateExpression: 'REMOVE tags.#k',
        ConditionExpression: 'attribute_exists(tags.#k)',
        ExpressionAttributeNames: { '#k': key },
      });
    } catch (err) {
      if (conditionFailed(err)) throw notFound(`No tag with name: ${key} in experiment with id ${id}`);
      throw err;
    }
  }

  /** Experiments of the workspace in the given lifecycle stages (GSI2, one query per stage). */
  private async list(stages: readonly string[]): Promise<ExperimentItem[]> {
    const out: ExperimentItem[] = [];
    for (const s of stages) {
      const items = await this.ddb.query({
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk AND begins_with(gsi2sk, :s)',
        ExpressionAttributeValues: { ':pk': K.experimentList(WS), ':s': `${s}#` },
      });
      out.push(...(items as unknown as ExperimentItem[]));
    }
    return out;
  }

  /** Candidates for the filter: by name (sentinel), by trigram intersection for LIKE/ILIKE, else all. */
  private async candidates(filter: Filter, stages: readonly string[]): Promise<ExperimentItem[]> {
    const byName = filter.find((c) => c.entity === 'attribute' && c.key === 'name' && c.op === '=');
    if (byName !== undefined && byName.value.kind === 'string') {
      const e = await this.getByName(byName.value.value);
      return e === null ? [] : [await this.item(e.experiment_id)];
    }
    for (const c of filter) {
      if (c.entity !== 'attribute' || c.key !== 'name' || (c.op !== 'LIKE' && c.op !== 'ILIKE')) continue;
      if (c.value.kind !== 'string') continue;
      const tris = patternTrigrams(c.value.value);
      if (tris === undefined) continue;
      let ids: Set<string> | undefined;
      for (const t of tris) {
        const hits = await this.ddb.prefix(K.experimentFtsPk(WS), `${t}#`);
        const found = new Set(hits.map((h) => String(Number((h.SK as string).slice(t.length + 1)))));
        ids = ids === undefined ? found : new Set([...ids].filter((x) => found.has(x)));
        if (ids.size === 0) return [];
      }
      const items = await this.ddb.batchGet([...(ids ?? [])].map((id) => K.experiment(id)));
      return items as unknown as ExperimentItem[];
    }
    return this.list(stages);
  }

  async search(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Experiment>> {
    const stages = stagesFor(q.viewType);
    const fp = queryFingerprint(['experiments', q.viewType, q.filter, q.orderBy]);
    const after = decodeCursor(q.pageToken, fp);
    const terms: OrderTerm[] =
      q.orderBy.length > 0
        ? [...q.orderBy]
        : [
            { entity: 'attribute', key: 'creation_time', ascending: false },
            { entity: 'attribute', key: 'experiment_id', ascending: true },
          ];
    if (!terms.some((o) => o.key === 'experiment_id')) {
      terms.push({ entity: 'attribute', key: 'experiment_id', ascending: false });
    }
    for (const o of terms) attribute({} as ExperimentItem, o.key === 'name' ? 'name' : o.key);
    const matched = (await this.candidates(q.filter, stages)).filter(
      (e) => stages.includes(e.lifecycle_stage) && q.filter.every((c) => test(e, c)),
    );
    const keyOf = (e: ExperimentItem): SortKey => terms.map((o) => attribute(e, o.key));
    const cmp = (a: SortKey, b: SortKey): number => {
      for (const [i, o] of terms.entries()) {
        const c = compareScalars(a[i] as string | number, b[i] as string | number);
        if (c !== 0) return o.ascending ? c : -c;
      }
      return 0;
    };
    matched.sort((x, y) => cmp(keyOf(x), keyOf(y)));
    const page = pageAfter(matched, keyOf, cmp, after, q.maxResults, fp);
    const out: SearchResult<Experiment> = { items: page.items.map(toExperiment) };
    if (page.nextPageToken !== undefined) out.nextPageToken = page.nextPageToken;
    return out;
  }
}
