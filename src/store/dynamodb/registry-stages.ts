import { DELETED_STAGE, type Stage } from '../../domain/entities/registry.js';
import { invalidParam } from '../../domain/errors.js';
import { conditionFailed, type Ddb, type TransactItem } from './ddb.js';
import * as K from './keys.js';
import { isLive, type ModelMeta, readAliases, type VersionItem, versionNotFound } from './registry-items.js';
import {
  contention,
  MAX_ATTEMPTS,
  metaCheck,
  onModel,
  pause,
  StaleModel,
  TX_MAX_EXTRA,
  touchMeta,
  transact,
} from './registry-tx.js';

/**
 * Stage transitions (with archive_existing_versions) and soft deletes of model versions: read-modify-write
 * transactions whose conditions make concurrent writers of the same model take turns.
 */
export class DynamoVersionStages {
  constructor(private readonly ddb: Ddb) {}

  /** Reads the model's META and one version for a read-modify-write; StaleModel / 404 as the SQL store answers. */
  private async current(
    id: string,
    name: string,
    version: number,
  ): Promise<{ meta: ModelMeta; v: VersionItem }> {
    const [meta, v] = await Promise.all([
      this.ddb.get<ModelMeta>(K.modelMeta(id)),
      this.ddb.get<VersionItem>(K.modelVersion(id, version)),
    ]);
    if (meta?.name !== name) throw new StaleModel(name);
    if (!isLive(v)) throw versionNotFound(name, version);
    return { meta, v };
  }

  /**
   * Moves a version to `stage`; with archiveExisting, every other version in that stage goes to Archived in the
   * same transaction. The model's stage epoch (META.stage_seq) is raised under a condition on its old value, so two
   * transitions of one model serialize and neither archives from a stale list; each moved version is conditioned
   * on the stage it was read in.
   */
  async transitionModelVersionStage(
    name: string,
    version: number,
    stage: Stage,
    archiveExisting: boolean,
  ): Promise<void> {
    if (archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidParam(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are Staging, Production.`,
      );
    }
    await onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        const move = (v: number, from: string, to: string, now: number): TransactItem => ({
          Update: {
            Key: K.modelVersion(id, v),
            UpdateExpression: 'SET current_stage = :to, last_updated_time = :now, lsi1sk = :l',
            ConditionExpression: 'current_stage = :from AND attribute_not_exists(pending)',
            ExpressionAttributeValues: {
              ':to': to,
              ':from': from,
              ':now': now,
              ':l': K.versionStageLsi1(to, v),
            },
          },
        });
        for (let attempt = 0; ; attempt++) {
          const { meta, v } = await this.current(id, name, version);
          const others = archiveExisting ? await this.inStage(id, stage, version) : [];
          const now = Date.now();
          try {
            // Beyond one transaction's worth, older versions are archived ahead (each conditioned on its stage).
            while (others.length > TX_MAX_EXTRA) {
              const chunk = others.splice(0, TX_MAX_EXTRA);
              await transact(this.ddb, [
                metaCheck(id, name),
                ...chunk.map((o) => move(o, stage, 'Archived', now)),
              ]);
            }
            await transact(this.ddb, [
              {
                Update: {
                  Key: K.modelMeta(id),
                  UpdateExpression: 'SET last_updated_time = :now, stage_seq = :next',
                  ConditionExpression: 'attribute_exists(PK) AND #n = :name AND stage_seq = :seq',
                  ExpressionAttributeNames: { '#n': 'name' },
                  ExpressionAttributeValues: {
                    ':now': now,
                    ':name': name,
                    ':seq': meta.stage_seq,
                    ':next': meta.stage_seq + 1,
                  },
                },
              },
              move(version, v.current_stage, stage, now),
              ...others.map((o) => move(o, stage, 'Archived', now)),
            ]);
            break;
          } catch (e) {
            // Another writer changed the model or one of the versions: read again (it made progress).
            if (!conditionFailed(e)) throw e;
            if (attempt >= MAX_ATTEMPTS) throw contention();
            await pause(attempt);
          }
        }
      },
    );
  }

  /** Numbers of the model's live versions in a stage except `except` (lsi1, consistent). */
  private async inStage(id: string, stage: string, except: number): Promise<number[]> {
    const items = await this.ddb.query({
      IndexName: 'lsi1',
      KeyConditionExpression: 'PK = :pk AND begins_with(lsi1sk, :s)',
      ExpressionAttributeValues: { ':pk': K.modelPk(id), ':s': `${stage}#` },
      ProjectionExpression: 'version',
    });
    return items.map((i) => i.version as number).filter((v) => v !== except);
  }

  /**
   * Soft delete (MLflow): the number stays taken, lineage is redacted, the aliases that point at the version go in
   * the same transaction. The version's alias counter is a condition, so an alias set concurrently makes the delete
   * read the aliases again instead of leaving one behind.
   */
  async deleteModelVersion(name: string, version: number): Promise<void> {
    await onModel(
      this.ddb,
      name,
      () => versionNotFound(name, version),
      async (id) => {
        for (let attempt = 0; ; attempt++) {
          // The version (its alias counter) strictly before the aliases: an alias set after the first read
          // changes the counter and fails the condition; one set before it is among the aliases read.
          const { v } = await this.current(id, name, version);
          const { aliases } = await readAliases(this.ddb, id);
          const now = Date.now();
          const drops = aliases
            .filter((a) => a.version === version)
            .map(
              (a): TransactItem => ({
                Delete: {
                  Key: K.modelAlias(id, a.alias),
                  ConditionExpression: 'version = :v',
                  ExpressionAttributeValues: { ':v': version },
                },
              }),
            );
          const seq =
            v.alias_seq === undefined
              ? { cond: 'attribute_not_exists(alias_seq)', values: {} }
              : { cond: 'alias_seq = :seq', values: { ':seq': v.alias_seq } };
          try {
            while (drops.length > TX_MAX_EXTRA) {
              await transact(this.ddb, [metaCheck(id, name), ...drops.splice(0, TX_MAX_EXTRA)]);
            }
            await transact(this.ddb, [
              touchMeta(id, name, now),
              {
                Update: {
                  Key: K.modelVersion(id, version),
                  UpdateExpression:
                    'SET current_stage = :deleted, #src = :src, run_id = :run, run_link = :link, last_updated_time = :now ' +
                    'REMOVE storage_location, description, user_id, status_message, lsi1sk, gsi3pk, gsi3sk',
                  ConditionExpression: `current_stage = :stage AND attribute_not_exists(pending) AND ${seq.cond}`,
                  ExpressionAttributeNames: { '#src': 'source' },
                  ExpressionAttributeValues: {
                    ':deleted': DELETED_STAGE,
                    ':src': 'REDACTED-SOURCE-PATH',
                    ':run': 'REDACTED-RUN-ID',
                    ':link': 'REDACTED-RUN-LINK',
                    ':now': now,
                    ':stage': v.current_stage,
                    ...seq.values,
                  },
                },
              },
              ...drops,
            ]);
            return;
          } catch (e) {
            if (!conditionFailed(e)) throw e;
            if (attempt >= MAX_ATTEMPTS) throw contention();
            await pause(attempt);
          }
        }
      },
    );
  }
}
