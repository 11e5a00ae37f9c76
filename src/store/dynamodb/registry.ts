import type { KeyValue } from '../../domain/entities/common.js';
import { type RegisteredModel, TAG_IS_PROMPT } from '../../domain/entities/registry.js';
import { alreadyExists } from '../../domain/errors.js';
import type { RegistryStore } from '../types.js';
import { conditionFailed, type Ddb, failedConditions, type Item, keyOf, type TransactItem } from './ddb.js';
import * as K from './keys.js';
import {
  dedupeTags,
  loadModel,
  modelFtsKeys,
  modelNotFound,
  newModelId,
  promptFlag,
  resolveModel,
  tagsMakePrompt,
  WS,
} from './registry-items.js';
import { searchModels, searchVersions } from './registry-search.js';
import { DynamoVersionStages } from './registry-stages.js';
import { metaCheck, onModel, StaleModel, tagsFittingTx, transact } from './registry-tx.js';
import { DynamoRegistryVersions } from './registry-versions.js';

/**
 * The model registry on the DynamoDB table (key formats in keys.ts, "model registry"), with the SQL store's
 * semantics and messages.
 *
 * Integrity: names are unique through sentinel items written, moved and deleted in the model's transactions;
 * every write into a model's partition is a transaction (or conditional update) on its META, conditioned on the
 * model still existing under the name that was resolved, so a concurrent rename or delete makes the write resolve
 * the name again instead of landing in a model that has moved on. Reads are consistent (table and LSIs) except
 * listings through GSIs, which say so where they are used.
 */
export class DynamoRegistry implements RegistryStore {
  private readonly versions: DynamoRegistryVersions;
  private readonly stages: DynamoVersionStages;

  constructor(private readonly ddb: Ddb) {
    this.versions = new DynamoRegistryVersions(ddb);
    this.stages = new DynamoVersionStages(ddb);
  }

  // ---- registered models --------------------------------------------------------------------------------------

  /** The RESOURCE_ALREADY_EXISTS error for creating `name` over an existing model (prompts and models differ). */
  private async clash(name: string, wantsPrompt: boolean): Promise<Error | undefined> {
    const id = await resolveModel(this.ddb, name);
    if (id === undefined) return undefined;
    const isPrompt = (await this.ddb.get(K.modelTag(id, TAG_IS_PROMPT))) !== undefined;
    if (isPrompt && !wantsPrompt) {
      return alreadyExists(
        `Tried to create a model with name '${name}', but a prompt with the same name already exists.`,
      );
    }
    if (!isPrompt && wantsPrompt) {
      return alreadyExists(
        `Tried to create a prompt with name '${name}', but a model with the same name already exists.`,
      );
    }
    return alreadyExists(`Registered Model (name=${name}) already exists.`);
  }

  async createRegisteredModel(input: {
    name: string;
    tags: KeyValue[];
    description?: string;
  }): Promise<RegisteredModel> {
    const { name } = input;
    const tags = dedupeTags(input.tags);
    const wantsPrompt = input.tags.some((t) => t.key === TAG_IS_PROMPT);
    for (let attempt = 0; ; attempt++) {
      const taken = await this.clash(name, wantsPrompt);
      if (taken !== undefined) throw taken;
      const id = newModelId();
      const now = Date.now();
      const tagItems = tags.map((t) => ({ ...K.modelTag(id, t.key), key: t.key, value: t.value }));
      const inTx = tagsFittingTx(tags);
      // Before the transaction, into the fresh partition (nothing reaches it until the sentinel exists): trigram
      // items (searches verify every candidate, so an orphan is harmless) and tags too many for one transaction.
      await this.ddb.batchWrite([...modelFtsKeys(id, name), ...tagItems.slice(inTx)]);
      const meta: Item = {
        ...K.modelMeta(id),
        rm_id: id,
        name,
        workspace: WS,
        creation_time: now,
        last_updated_time: now,
        next_version: 0,
        stage_seq: 0,
        is_prompt: tagsMakePrompt(tags),
        gsi2pk: K.modelList(WS),
        gsi2sk: K.modelListSk(name),
      };
      if (input.description) meta.description = input.description;
      try {
        await transact(this.ddb, [
          {
            Put: {
              Item: { ...K.modelName(WS, name), rm_id: id, name },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          { Put: { Item: meta, ConditionExpression: 'attribute_not_exists(PK)' } },
          ...tagItems.slice(0, inTx).map((Item): TransactItem => ({ Put: { Item } })),
        ]);
      } catch (e) {
        // Only a failed condition says for sure that nothing was committed (a lost reply may hide a commit).
        if (!conditionFailed(e)) throw e;
        await this.ddb
          .batchWrite([], [...modelFtsKeys(id, name), ...tagItems.slice(inTx).map(keyOf)])
          .catch(() => undefined); // best effort: nothing reaches the partition anyway
        if (!failedConditions(e).includes(0)) throw e;
        // Taken meanwhile: report the clash (or, if that model is already gone again, try once more).
        const clash = await this.clash(name, wantsPrompt);
        if (clash !== undefined || attempt >= 5)
          throw clash ?? alreadyExists(`Registered Model (name=${name}) already exists.`);
        continue;
      }
      const out: RegisteredModel = {
        name,
        creation_timestamp: now,
        last_updated_timestamp: now,
        latest_versions: [],
        tags,
        aliases: [],
      };
      if (input.description) out.description = input.description;
      return out;
    }
  }

  private async load(id: string, name: string): Promise<RegisteredModel> {
    const m = await loadModel(this.ddb, id);
    if (m === undefined) throw new StaleModel(name);
    return m;
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      (id) => this.load(id, name),
    );
  }

  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        const now = Date.now();
        if (newName === name) {
          await this.touchMeta(id, name, now);
          return await this.load(id, newName);
        }
        const taken = () => alreadyExists(`Registered Model (name=${newName}) already exists.`);
        if ((await resolveModel(this.ddb, newName)) !== undefined) throw taken();
        // Trigram items of the new name first (candidates are verified), the stale ones after the move.
        await this.ddb.batchWrite(modelFtsKeys(id, newName));
        try {
          await transact(this.ddb, [
            {
              Update: {
                Key: K.modelMeta(id),
                UpdateExpression: 'SET #n = :new, last_updated_time = :now, gsi2sk = :sk',
                ConditionExpression: 'attribute_exists(PK) AND #n = :old',
                ExpressionAttributeNames: { '#n': 'name' },
                ExpressionAttributeValues: {
                  ':new': newName,
                  ':old': name,
                  ':now': now,
                  ':sk': K.modelListSk(newName),
                },
              },
            },
            {
              Put: {
                Item: { ...K.modelName(WS, newName), rm_id: id, name: newName },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Delete: {
                Key: K.modelName(WS, name),
                ConditionExpression: 'rm_id = :id',
                ExpressionAttributeValues: { ':id': id },
              },
            },
          ]);
        } catch (e) {
          if (conditionFailed(e) && failedConditions(e).includes(1)) throw taken();
          if (conditionFailed(e)) throw new StaleModel(name);
          throw e;
        }
        await this.refreshFts(id, name, newName);
        return await this.load(id, newName);
      },
    );
  }

  /**
   * After a rename: removes the old name's trigram items the new name lacks, then rewrites the items of whatever
   * the name is now. Every removal and every committed rename is followed by a rewrite from a fresh read, so
   * renames racing each other cannot leave the current name without its items.
   */
  private async refreshFts(id: string, before: string, after: string): Promise<void> {
    const old = new Set(modelFtsKeys(id, before).map((k) => `${k.PK}\n${k.SK}`));
    for (const k of modelFtsKeys(id, after)) old.delete(`${k.PK}\n${k.SK}`);
    const stale = [...old].map((s) => {
      const [PK, SK] = s.split('\n') as [string, string];
      return { PK, SK };
    });
    if (stale.length > 0) await this.ddb.batchWrite([], stale);
    const now = await this.ddb.get<{ name: string }>(K.modelMeta(id));
    if (now !== undefined) await this.ddb.batchWrite(modelFtsKeys(id, now.name));
  }

  private async touchMeta(id: string, name: string, now: number, set = '', values: Item = {}): Promise<void> {
    await this.ddb.update({
      Key: K.modelMeta(id),
      UpdateExpression: `SET last_updated_time = :now${set}`,
      ConditionExpression: 'attribute_exists(PK) AND #n = :name',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':now': now, ':name': name, ...values },
    });
  }

  updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        const now = Date.now();
        if (description === undefined) {
          await this.ddb.update({
            Key: K.modelMeta(id),
            UpdateExpression: 'SET last_updated_time = :now REMOVE description',
            ConditionExpression: 'attribute_exists(PK) AND #n = :name',
            ExpressionAttributeNames: { '#n': 'name' },
            ExpressionAttributeValues: { ':now': now, ':name': name },
          });
        } else {
          await this.touchMeta(id, name, now, ', description = :d', { ':d': description });
        }
        return await this.load(id, name);
      },
    );
  }

  /**
   * Hard delete: one transaction removes the name sentinel and META (so nothing can reach or write the partition
   * any more) and records a tombstone; then the partition's items and the trigram items go in batches, and the
   * tombstone last. A delete that died half-way is finished by the next delete (tombstone sweep), and a retried
   * batch step is idempotent.
   */
  async deleteRegisteredModel(name: string): Promise<void> {
    await onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        await transact(this.ddb, [
          {
            Delete: {
              Key: K.modelMeta(id),
              ConditionExpression: 'attribute_exists(PK) AND #n = :name',
              ExpressionAttributeNames: { '#n': 'name' },
              ExpressionAttributeValues: { ':name': name },
            },
          },
          {
            Delete: {
              Key: K.modelName(WS, name),
              ConditionExpression: 'rm_id = :id',
              ExpressionAttributeValues: { ':id': id },
            },
          },
          { Put: { Item: { ...K.modelTombstone(WS, id), rm_id: id, name, deleted_time: Date.now() } } },
        ]).catch((e: unknown) => {
          throw conditionFailed(e) ? new StaleModel(name) : e;
        });
        await this.cleanup(id, name);
      },
    );
    await this.sweep().catch(() => undefined); // the delete itself is done; the next one sweeps again
  }

  /** Finishes deletes that an earlier call did not (its server died or lost DynamoDB after the transaction). */
  private async sweep(): Promise<void> {
    const leftovers = await this.ddb.queryPage({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': K.modelTombstonePk(WS) },
      Limit: 5,
    });
    for (const t of leftovers.items) {
      // A tombstone younger than a minute may be a delete still in progress elsewhere: leave it to that server.
      if ((t.deleted_time as number) < Date.now() - 60_000) {
        await this.cleanup(t.rm_id as string, t.name as string);
      }
    }
  }

  private async cleanup(id: string, name: string): Promise<void> {
    const items = await this.ddb.query({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': K.modelPk(id) },
      ProjectionExpression: 'PK, SK',
    });
    await this.ddb.batchWrite([], [...items.map(keyOf), ...modelFtsKeys(id, name)]);
    await this.ddb.delete(K.modelTombstone(WS, id));
  }

  setRegisteredModelTag(name: string, tag: KeyValue): Promise<void> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        await transact(this.ddb, [
          this.metaForTag(id, name, tag.key, promptFlag(tag.value)),
          { Put: { Item: { ...K.modelTag(id, tag.key), key: tag.key, value: tag.value } } },
        ]);
      },
    );
  }

  deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        await transact(this.ddb, [
          this.metaForTag(id, name, key, false),
          { Delete: { Key: K.modelTag(id, key) } },
        ]);
      },
    );
  }

  /** The META item of a tag write: a condition, or the prompt flag's update when the tag is the prompt tag. */
  private metaForTag(id: string, name: string, key: string, prompt: boolean): TransactItem {
    if (key !== TAG_IS_PROMPT) return metaCheck(id, name);
    return {
      Update: {
        Key: K.modelMeta(id),
        UpdateExpression: 'SET is_prompt = :p',
        ConditionExpression: 'attribute_exists(PK) AND #n = :name',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':p': prompt, ':name': name },
      },
    };
  }

  searchRegisteredModels(q: Parameters<RegistryStore['searchRegisteredModels']>[0]) {
    return searchModels(this.ddb, q);
  }

  searchModelVersions(q: Parameters<RegistryStore['searchModelVersions']>[0]) {
    return searchVersions(this.ddb, q);
  }

  // ---- versions -----------------------------------------------------------------------------------------------

  getLatestVersions: RegistryStore['getLatestVersions'] = (n, s) => this.versions.getLatestVersions(n, s);
  createModelVersion: RegistryStore['createModelVersion'] = (i) => this.versions.createModelVersion(i);
  getModelVersion: RegistryStore['getModelVersion'] = (n, v) => this.versions.getModelVersion(n, v);
  updateModelVersion: RegistryStore['updateModelVersion'] = (n, v, d) =>
    this.versions.updateModelVersion(n, v, d);
  transitionModelVersionStage: RegistryStore['transitionModelVersionStage'] = async (n, v, s, a) => {
    await this.stages.transitionModelVersionStage(n, v, s, a);
    return await this.versions.getModelVersion(n, v);
  };
  deleteModelVersion: RegistryStore['deleteModelVersion'] = (n, v) => this.stages.deleteModelVersion(n, v);
  setRegisteredModelAlias: RegistryStore['setRegisteredModelAlias'] = (n, a, v) =>
    this.versions.setRegisteredModelAlias(n, a, v);
  deleteRegisteredModelAlias: RegistryStore['deleteRegisteredModelAlias'] = (n, a) =>
    this.versions.deleteRegisteredModelAlias(n, a);
  getModelVersionByAlias: RegistryStore['getModelVersionByAlias'] = (n, a) =>
    this.versions.getModelVersionByAlias(n, a);
  getModelVersionDownloadUri: RegistryStore['getModelVersionDownloadUri'] = (n, v) =>
    this.versions.getModelVersionDownloadUri(n, v);
  setModelVersionTag: RegistryStore['setModelVersionTag'] = (n, v, t) =>
    this.versions.setModelVersionTag(n, v, t);
  deleteModelVersionTag: RegistryStore['deleteModelVersionTag'] = (n, v, k) =>
    this.versions.deleteModelVersionTag(n, v, k);
}
