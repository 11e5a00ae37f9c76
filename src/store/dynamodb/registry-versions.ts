import type { KeyValue } from '../../domain/entities/common.js';
import { DELETED_STAGE, type ModelVersion, STAGES, type Stage } from '../../domain/entities/registry.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import type { RegistryStore } from '../types.js';
import { conditionFailed, type Ddb, type Item, type TransactItem } from './ddb.js';
import * as K from './keys.js';
import {
  dedupeTags,
  hydrateVersions,
  isLive,
  LIVE_VERSION,
  latestPerStage,
  modelNotFound,
  readAliases,
  readVersion,
  toVersion,
  type VersionItem,
  versionNotFound,
  WS,
} from './registry-items.js';
import {
  metaCheck,
  onModel,
  retryConflicts,
  StaleModel,
  tagsFittingTx,
  touchMeta,
  transact,
  versionConditionFailed,
} from './registry-tx.js';

/** The condition that a version exists and is live (index 1 of a version write's transaction). */
function liveCheck(id: string, version: number): TransactItem {
  return {
    ConditionCheck: {
      Key: K.modelVersion(id, version),
      ConditionExpression: LIVE_VERSION,
      ExpressionAttributeValues: { ':deleted': DELETED_STAGE },
    },
  };
}

/** Index keys a live version carries: its stage on lsi1, its run id on gsi3. */
function liveIndexKeys(id: string, v: { version: number; run_id?: string }, stage: string): Item {
  const out: Item = { lsi1sk: K.versionStageLsi1(stage, v.version) };
  if (v.run_id !== undefined) {
    out.gsi3pk = K.versionRunGsi3(WS, v.run_id);
    out.gsi3sk = K.versionRunGsi3Sk(id, v.version);
  }
  return out;
}

/**
 * Model versions and aliases on the DynamoDB table. Numbers come from an atomic counter on the model's META (ADD),
 * and the version item is put with attribute_not_exists in a transaction with the model's update, so concurrent
 * creations get distinct, consecutive numbers. Stage transitions and soft delete are in registry-stages.ts.
 */
export class DynamoRegistryVersions {
  constructor(private readonly ddb: Ddb) {}

  /** The highest live version number of the model, if any. */
  async latestNumber(id: string): Promise<number | undefined> {
    const latest = await latestPerStage(this.ddb, id);
    return latest.length === 0 ? undefined : Math.max(...latest.map((v) => v.version));
  }

  getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    const wanted = [...new Set<string>(stages.length > 0 ? stages : STAGES)];
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        const [latest, { meta, aliases }] = await Promise.all([
          latestPerStage(this.ddb, id, wanted),
          readAliases(this.ddb, id),
        ]);
        if (meta?.name !== name) throw new StaleModel(name);
        return await hydrateVersions(this.ddb, name, latest, aliases);
      },
    );
  }

  createModelVersion(input: Parameters<RegistryStore['createModelVersion']>[0]): Promise<ModelVersion> {
    const { name } = input;
    const tags = dedupeTags(input.tags);
    const inTx = tagsFittingTx(tags);
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        for (;;) {
          // Reserve a number: one conditional ADD on META (a failed condition: the model moved, resolve again).
          const counter = await retryConflicts(() =>
            this.ddb.update<{ next_version: number }>({
              Key: K.modelMeta(id),
              UpdateExpression: 'ADD next_version :one',
              ConditionExpression: 'attribute_exists(PK) AND #n = :name',
              ExpressionAttributeNames: { '#n': 'name' },
              ExpressionAttributeValues: { ':one': 1, ':name': name },
              ReturnValues: 'UPDATED_NEW',
            }),
          );
          const version = counter!.next_version;
          const now = Date.now();
          const v: VersionItem = {
            ...K.modelVersion(id, version),
            rm_id: id,
            version,
            creation_time: now,
            last_updated_time: now,
            current_stage: 'None',
            source: input.source,
            storage_location: input.storageLocation ?? input.source,
            status: 'READY',
          };
          if (input.description) v.description = input.description;
          if (input.runId) v.run_id = input.runId;
          if (input.runLink) v.run_link = input.runLink;
          if (input.modelId) v.model_id = input.modelId;
          // A version with more tags than one transaction holds stays `pending` (invisible) until they are written.
          const pending = inTx < tags.length;
          const item: Item = pending ? { ...v, pending: true } : { ...v, ...liveIndexKeys(id, v, 'None') };
          const tagItems = tags.map((t) => ({ ...K.modelVersionTag(id, version, t.key), version, ...t }));
          try {
            await transact(this.ddb, [
              touchMeta(id, name, now),
              { Put: { Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
              ...tagItems.slice(0, inTx).map((Item): TransactItem => ({ Put: { Item } })),
            ]);
          } catch (e) {
            // The number is taken (a table restored behind its counter): take the next one.
            if (versionConditionFailed(e)) continue;
            throw e;
          }
          if (pending) {
            await this.ddb.batchWrite(tagItems.slice(inTx));
            const keys = Object.entries(liveIndexKeys(id, v, 'None'));
            await transact(this.ddb, [
              { ConditionCheck: { Key: K.modelMeta(id), ConditionExpression: 'attribute_exists(PK)' } },
              {
                Update: {
                  Key: K.modelVersion(id, version),
                  UpdateExpression: `SET ${keys.map(([k]) => `${k} = :${k}`).join(', ')} REMOVE pending`,
                  ConditionExpression: 'attribute_exists(pending)',
                  ExpressionAttributeValues: Object.fromEntries(keys.map(([k, val]) => [`:${k}`, val])),
                },
              },
            ]).catch((e: unknown) => {
              throw conditionFailed(e) ? modelNotFound(name) : e;
            });
          }
          return toVersion(name, v, tags, []);
        }
      },
    );
  }

  getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        const [found, { meta, aliases }] = await Promise.all([
          readVersion(this.ddb, id, version),
          readAliases(this.ddb, id),
        ]);
        if (meta?.name !== name) throw new StaleModel(name);
        if (!isLive(found?.version)) throw versionNotFound(name, version);
        const names = aliases.filter((a) => a.version === version).map((a) => a.alias);
        return toVersion(name, found.version, found.tags, names);
      },
    );
  }

  getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    return onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        const v = await this.ddb.get<VersionItem>(K.modelVersion(id, version));
        if (!isLive(v)) throw versionNotFound(name, version);
        return v.storage_location || v.source;
      },
    );
  }

  /** A transaction on one live version (META check, version check, then `items`); a version failure is a 404. */
  private async onVersion(
    name: string,
    version: number,
    items: (id: string) => TransactItem[],
  ): Promise<void> {
    await onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        try {
          await transact(this.ddb, [metaCheck(id, name), ...items(id)]);
        } catch (e) {
          if (versionConditionFailed(e)) throw versionNotFound(name, version);
          throw e;
        }
      },
    );
  }

  async updateModelVersion(
    name: string,
    version: number,
    description: string | undefined,
  ): Promise<ModelVersion> {
    await this.onVersion(name, version, (id) => [
      {
        Update: {
          Key: K.modelVersion(id, version),
          UpdateExpression:
            description === undefined
              ? 'SET last_updated_time = :now REMOVE description'
              : 'SET last_updated_time = :now, description = :d',
          ConditionExpression: LIVE_VERSION,
          ExpressionAttributeValues: {
            ':now': Date.now(),
            ':deleted': DELETED_STAGE,
            ...(description === undefined ? {} : { ':d': description }),
          },
        },
      },
    ]);
    return await this.getModelVersion(name, version);
  }

  async setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<void> {
    await this.onVersion(name, version, (id) => [
      liveCheck(id, version),
      {
        Put: {
          Item: { ...K.modelVersionTag(id, version, tag.key), version, key: tag.key, value: tag.value },
        },
      },
    ]);
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.onVersion(name, version, (id) => [
      liveCheck(id, version),
      { Delete: { Key: K.modelVersionTag(id, version, key) } },
    ]);
  }

  // ---- aliases ------------------------------------------------------------------------------------------------

  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    return onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        try {
          await transact(this.ddb, [
            metaCheck(id, name),
            {
              // Raising the version's alias counter lets a concurrent soft delete notice the new alias.
              Update: {
                Key: K.modelVersion(id, version),
                UpdateExpression: 'ADD alias_seq :one',
                ConditionExpression: LIVE_VERSION,
                ExpressionAttributeValues: { ':one': 1, ':deleted': DELETED_STAGE },
              },
            },
            { Put: { Item: { ...K.modelAlias(id, alias), alias, version } } },
          ]);
        } catch (e) {
          if (versionConditionFailed(e)) throw versionNotFound(name, version);
          throw e;
        }
      },
    );
  }

  deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        await transact(this.ddb, [metaCheck(id, name), { Delete: { Key: K.modelAlias(id, alias) } }]);
      },
    );
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return onModel(
      this.ddb,
      name,
      () => modelNotFound(name),
      async (id) => {
        if (alias.toLowerCase() === 'latest') {
          const v = await this.latestNumber(id);
          if (v === undefined) {
            if ((await this.ddb.get(K.modelMeta(id))) === undefined) throw new StaleModel(name);
            throw notFound(`Latest version not found for model ${name}.`);
          }
          return await this.getModelVersion(name, v);
        }
        const a = await this.ddb.get<{ version: number }>(K.modelAlias(id, alias));
        if (a === undefined) {
          if ((await this.ddb.get(K.modelMeta(id))) === undefined) throw new StaleModel(name);
          throw invalidParam(`Registered model alias ${alias} not found.`);
        }
        return await this.getModelVersion(name, a.version);
      },
    );
  }
}
