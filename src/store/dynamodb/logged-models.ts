import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../domain/entities/common.js';
import type { LoggedModel, LoggedModelStatus } from '../../domain/entities/logged-model.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import { generateRunName } from '../../domain/run-names.js';
import type { Filter } from '../../domain/search/ast.js';
import { decodeOffsetToken, encodePageToken } from '../../domain/search/page-token.js';
import type { LoggedModelOrder, LoggedModelStore, SearchResult } from '../types.js';
import { appendUriPath } from '../uri-path.js';
import {
  conditionFailed,
  type Ddb,
  failedConditions,
  type Item,
  type Key,
  type TransactItem,
} from './ddb.js';
import { type DynamoExperiments, requireExperimentIds } from './experiments.js';
import * as K from './keys.js';
import { assembleModels, type ModelMeta, type ModelState, toLoggedModel } from './logged-model-items.js';
import { checkFilter, modelMatches, orderModels, resolveOrder, usesChildren } from './logged-model-search.js';
import { eachLimit } from './run-writes.js';

/** Child items per transaction next to the META condition check (DynamoDB takes 100 items per transaction). */
const TX_CHILDREN = 99;

const ACTIVE = { ':active': 'active' };

/**
 * Logged models on DynamoDB, with the SQL store's behaviour (src/store/sql/shared/logged-models.ts).
 *
 * A model lives in its experiment's partition: META `LM#<model>` and child items `LM#<model>#T|P|M#...`, plus the
 * pointer `LMODEL#<model>` → experiment, so a model id alone finds its partition with one consistent GetItem.
 * Every write to a model is a transaction whose condition check on the META requires it to be active, so a write
 * racing a delete either lands before it or fails as RESOURCE_DOES_NOT_EXIST. Models are never removed (delete
 * is a lifecycle change, as in SQL); a live model's META carries lsi4sk, which lists it in creation order.
 */
export class DynamoLoggedModels implements LoggedModelStore {
  /** model id → experiment id (immutable), so most calls skip the pointer read. */
  private readonly experimentOf = new Map<string, string>();

  constructor(
    private readonly ddb: Ddb,
    private readonly experiments: DynamoExperiments,
  ) {}

  private gone(modelId: string) {
    return notFound(`Logged model with ID '${modelId}' not found.`);
  }

  private async experimentIdOf(modelId: string): Promise<string> {
    const known = this.experimentOf.get(modelId);
    if (known !== undefined) return known;
    const ptr = await this.ddb.get<{ experiment_id: string }>(K.loggedModelPointer(modelId));
    if (ptr === undefined) throw this.gone(modelId);
    if (this.experimentOf.size > 100_000) this.experimentOf.clear();
    this.experimentOf.set(modelId, ptr.experiment_id);
    return ptr.experiment_id;
  }

  /** The model's META and children (one consistent query); the model must be active. */
  private async state(modelId: string): Promise<ModelState> {
    const exp = await this.experimentIdOf(modelId);
    const sk = K.loggedModelSk(modelId);
    const items = await this.ddb.prefix(K.expPk(exp), sk);
    // A prefix query on `LM#<id>` also matches longer ids: keep this model's items only.
    const [s] = assembleModels(items.filter((i) => i.SK === sk || (i.SK as string).startsWith(`${sk}#`)));
    if (s === undefined || s.meta.lifecycle_stage !== 'active') throw this.gone(modelId);
    return s;
  }

  private metaCheck(exp: string, modelId: string): TransactItem {
    return {
      ConditionCheck: {
        Key: K.loggedModel(exp, modelId),
        ConditionExpression: 'lifecycle_stage = :active',
        ExpressionAttributeValues: ACTIVE,
      },
    };
  }

  /**
   * Puts or deletes children of an active model, in transactions that each check the model is still active (more
   * than 99 writes take several transactions, so a delete racing such a call can stop it part-way).
   */
  private async writeChildren(modelId: string, writes: TransactItem[]): Promise<void> {
    const exp = await this.experimentIdOf(modelId);
    if (writes.length === 0) {
      // Nothing to write, but a missing or deleted model is still an error (as in SQL).
      const meta = await this.ddb.get<ModelMeta>(K.loggedModel(exp, modelId));
      if (meta?.lifecycle_stage !== 'active') throw this.gone(modelId);
      return;
    }
    for (let i = 0; i < writes.length; i += TX_CHILDREN) {
      try {
        await this.ddb.transact([this.metaCheck(exp, modelId), ...writes.slice(i, i + TX_CHILDREN)]);
      } catch (e) {
        if (conditionFailed(e) && failedConditions(e).includes(0)) throw this.gone(modelId);
        throw e;
      }
    }
  }

  /** Key/value child items, the last value of a repeated key winning (as sequential SQL upserts do). */
  private kvItems(keyOf: (key: string) => Key, kvs: readonly KeyValue[]): Item[] {
    const last = new Map(kvs.map((kv) => [kv.key, kv.value]));
    return [...last].map(([key, value]) => ({ ...keyOf(key), key, value }));
  }

  async createLoggedModel(input: {
    experimentId: string;
    name?: string;
    modelType?: string;
    sourceRunId?: string;
    params: KeyValue[];
    tags: KeyValue[];
  }): Promise<LoggedModel> {
    const exp = await this.experiments.requireActive(input.experimentId);
    const e = exp.experiment_id;
    const modelId = `m-${randomUUID().replaceAll('-', '')}`;
    const now = Date.now();
    const meta: ModelMeta = {
      ...K.loggedModel(e, modelId),
      model_id: modelId,
      experiment_id: e,
      name: input.name || generateRunName(),
      artifact_location: appendUriPath(exp.artifact_location, 'models', modelId, 'artifacts'),
      creation_timestamp_ms: now,
      last_updated_timestamp_ms: now,
      status: 'LOGGED_MODEL_PENDING',
      lifecycle_stage: 'active',
    };
    if (input.modelType !== undefined) meta.model_type = input.modelType;
    if (input.sourceRunId !== undefined) meta.source_run_id = input.sourceRunId;
    const children = [
      ...this.kvItems((k) => K.loggedModelParam(e, modelId, k), input.params),
      ...this.kvItems((k) => K.loggedModelTag(e, modelId, k), input.tags),
    ];
    // Children beyond one transaction go first: without their META nothing reads them, so the model still
    // appears whole and at once when the transaction below commits.
    const inTx = 97;
    await this.ddb.batchWrite(children.slice(inTx));
    try {
      await this.ddb.transact([
        {
          ConditionCheck: {
            Key: K.experiment(e),
            ConditionExpression: 'lifecycle_stage = :active',
            ExpressionAttributeValues: ACTIVE,
          },
        },
        {
          Put: {
            Item: { ...K.loggedModelPointer(modelId), model_id: modelId, experiment_id: e },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            Item: { ...meta, lsi4sk: K.loggedModelLsi4(now, modelId) },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...children.slice(0, inTx).map((Item) => ({ Put: { Item } })),
      ]);
    } catch (err) {
      if (conditionFailed(err) && failedConditions(err).includes(0)) {
        throw invalidParam(`The experiment ${e} must be in the 'active' state. Current state is deleted.`);
      }
      throw err;
    }
    this.experimentOf.set(modelId, e);
    return this.getLoggedModel(modelId);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return toLoggedModel(await this.state(modelId));
  }

  /** Updates the META of an active model (RESOURCE_DOES_NOT_EXIST otherwise). */
  private async updateMeta(
    modelId: string,
    set: string,
    values: Item,
    names?: Record<string, string>,
  ): Promise<void> {
    const exp = await this.experimentIdOf(modelId);
    try {
      await this.ddb.update({
        Key: K.loggedModel(exp, modelId),
        UpdateExpression: set,
        ConditionExpression: 'lifecycle_stage = :active',
        ExpressionAttributeValues: { ...ACTIVE, ...values },
        ...(names === undefined ? {} : { ExpressionAttributeNames: names }),
      });
    } catch (e) {
      if (conditionFailed(e)) throw this.gone(modelId);
      throw e;
    }
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    await this.updateMeta(
      modelId,
      'SET #st = :st, last_updated_timestamp_ms = :now',
      { ':st': status, ':now': Date.now() },
      { '#st': 'status' },
    );
    return this.getLoggedModel(modelId);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.updateMeta(
      modelId,
      'SET lifecycle_stage = :deleted, last_updated_timestamp_ms = :now REMOVE lsi4sk',
      { ':deleted': 'deleted', ':now': Date.now() },
    );
  }

  async setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<void> {
    const exp = await this.experimentIdOf(modelId);
    const items = this.kvItems((k) => K.loggedModelTag(exp, modelId, k), tags);
    await this.writeChildren(
      modelId,
      items.map((Item) => ({ Put: { Item } })),
    );
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    const exp = await this.experimentIdOf(modelId);
    try {
      await this.ddb.transact([
        this.metaCheck(exp, modelId),
        {
          Delete: { Key: K.loggedModelTag(exp, modelId, key), ConditionExpression: 'attribute_exists(SK)' },
        },
      ]);
    } catch (e) {
      if (!conditionFailed(e)) throw e;
      if (failedConditions(e).includes(0)) throw this.gone(modelId);
      throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    }
  }

  async logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void> {
    const exp = await this.experimentIdOf(modelId);
    const items = this.kvItems((k) => K.loggedModelParam(exp, modelId, k), params);
    await this.writeChildren(
      modelId,
      items.map((Item) => ({ Put: { Item } })),
    );
  }

  /** Every live model of the experiment with its children (one consistent query over `LM#`). */
  private async modelsWithChildren(exp: string): Promise<ModelState[]> {
    const items = await this.ddb.prefix(K.expPk(exp), K.loggedModelsPrefix);
    return assembleModels(items).filter((s) => s.meta.lifecycle_stage === 'active');
  }

  /** Live model METAs of the experiment in the default order (lsi4, consistent), up to `max`. */
  private async metas(exp: string, max = Number.POSITIVE_INFINITY): Promise<ModelMeta[]> {
    return (await this.ddb.query(
      {
        IndexName: 'lsi4',
        KeyConditionExpression: 'PK = :pk AND begins_with(lsi4sk, :p)',
        ExpressionAttributeValues: { ':pk': K.expPk(exp), ':p': K.loggedModelsPrefix },
        ...(Number.isFinite(max) ? { Limit: max } : {}),
      },
      max,
    )) as unknown as ModelMeta[];
  }

  async searchLoggedModels(q: {
    experimentIds: string[];
    filter: Filter;
    datasets: { dataset_name: string; dataset_digest?: string }[];
    maxResults: number;
    orderBy: readonly LoggedModelOrder[];
    pageToken?: string;
    tokenContext?: Readonly<Record<string, unknown>>;
  }): Promise<SearchResult<LoggedModel>> {
    const offset = decodeOffsetToken(q.pageToken, q.tokenContext);
    const experimentIds = [...new Set(requireExperimentIds(q.experimentIds))];
    checkFilter(q.filter);
    const order = resolveOrder(q.orderBy);
    const end = offset + q.maxResults;
    let page: ModelState[];
    let more: boolean;
    if (usesChildren(q.filter, q.datasets, order)) {
      // Filters on params, tags or metrics, dataset restrictions and metric order read the models whole.
      const all: ModelState[] = [];
      for (const e of experimentIds) all.push(...(await this.modelsWithChildren(e)));
      const matched = orderModels(
        all.filter((s) => modelMatches(s, q.filter, q.datasets)),
        order,
      );
      page = matched.slice(offset, end);
      more = matched.length > end;
    } else {
      // Attribute filters and order: METAs only, then the children of the page's models. Without a filter, in the
      // default order, each experiment's lsi4 walk can stop after end + 1 models.
      const cap = q.filter.length === 0 && order.length === 0 ? end + 1 : Number.POSITIVE_INFINITY;
      const metas: ModelMeta[] = [];
      for (const e of experimentIds) metas.push(...(await this.metas(e, cap)));
      const matched = orderModels(
        metas
          .map((meta): ModelState => ({ meta, tags: [], params: [], metrics: [] }))
          .filter((s) => modelMatches(s, q.filter, [])),
        order,
      );
      page = matched.slice(offset, end);
      more = matched.length > end;
      const loaded: ModelState[] = new Array(page.length);
      await eachLimit([...page.keys()], 16, async (i) => {
        loaded[i] = await this.childrenOf(page[i]!.meta);
      });
      page = loaded;
    }
    const out: SearchResult<LoggedModel> = { items: page.map(toLoggedModel) };
    if (more) out.nextPageToken = encodePageToken({ ...q.tokenContext, offset: offset + page.length });
    return out;
  }

  /** The model with its children, for a META already read (children in one consistent query). */
  private async childrenOf(meta: ModelMeta): Promise<ModelState> {
    const items = await this.ddb.prefix(meta.PK, `${meta.SK}#`);
    const [s] = assembleModels([meta as unknown as Item, ...items]);
    return s!;
  }
}
