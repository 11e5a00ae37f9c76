import type { KeyValue } from '../../../domain/entities/common.js';
import { DEFAULT_WORKSPACE } from '../../../domain/entities/experiment.js';
import {
  DELETED_STAGE,
  type ModelVersion,
  type RegisteredModel,
  STAGES,
  type Stage,
  TAG_IS_PROMPT,
} from '../../../domain/entities/registry.js';
import { alreadyExists, invalidParam, notFound } from '../../../domain/errors.js';
import { unlessDuplicate } from '../dialects.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';
import {
  loadModels,
  loadVersions,
  type ModelRow,
  VERSION_COLUMNS,
  type VersionRow,
} from './registry-load.js';
import { type RegistrySearch, searchModels, searchVersions } from './registry-search.js';

/** The model registry on SQLite. Every write is one transaction; version numbers are MAX+1 under the write lock. */
export class SqlRegistry {
  constructor(private readonly db: SqlDb) {}

  private async model(name: string): Promise<ModelRow> {
    const row = await this.db.get<ModelRow>(
      'SELECT * FROM registered_models WHERE workspace = ? AND name = ?',
      [DEFAULT_WORKSPACE, name],
    );
    if (row === undefined) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  private async versionRow(name: string, version: number): Promise<VersionRow> {
    const row = await this.db.get<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk
       WHERE m.workspace = ? AND m.name = ? AND v.version = ? AND v.current_stage != ?`,
      [DEFAULT_WORKSPACE, name, version, DELETED_STAGE],
    );
    if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return row;
  }

  private async touch(pk: number, now = Date.now()): Promise<void> {
    await this.db.run('UPDATE registered_models SET last_updated_time = ? WHERE model_pk = ?', [now, pk]);
  }

  async createModel(input: {
    name: string;
    tags: KeyValue[];
    description?: string;
  }): Promise<RegisteredModel> {
    const pk = await this.db.tx(async () => {
      const clash = await this.db.get<{ model_pk: number }>(
        'SELECT model_pk FROM registered_models WHERE workspace = ? AND name = ?',
        [DEFAULT_WORKSPACE, input.name],
      );
      if (clash !== undefined) {
        const isPrompt = await this.db.get(
          'SELECT 1 FROM registered_model_tags WHERE model_pk = ? AND "key" = ?',
          [clash.model_pk, TAG_IS_PROMPT],
        );
        const wantsPrompt = input.tags.some((t) => t.key === TAG_IS_PROMPT);
        if (isPrompt && !wantsPrompt) {
          throw alreadyExists(
            `Tried to create a model with name '${input.name}', but a prompt with the same name already exists.`,
          );
        }
        if (!isPrompt && wantsPrompt) {
          throw alreadyExists(
            `Tried to create a prompt with name '${input.name}', but a model with the same name already exists.`,
          );
        }
        throw alreadyExists(`Registered Model (name=${input.name}) already exists.`);
      }
      const now = Date.now();
      const lastInsertRowid = await unlessDuplicate(
        this.db.insertReturningId(
          'INSERT INTO registered_models (workspace, name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?, ?)',
          [DEFAULT_WORKSPACE, input.name, now, now, input.description || null],
          'model_pk',
        ),
        () => alreadyExists(`Registered Model (name=${input.name}) already exists.`),
      );
      for (const t of input.tags) {
        await this.db.run(st(this.db).upsert('registered_model_tags', ['model_pk', 'key', 'value']), [
          lastInsertRowid,
          t.key,
          t.value,
        ]);
      }
      return lastInsertRowid;
    });
    return await this.loadModel(pk);
  }

  private async loadModel(pk: number): Promise<RegisteredModel> {
    const row = (await this.db.get<ModelRow>('SELECT * FROM registered_models WHERE model_pk = ?', [pk]))!;
    return (await loadModels(this.db, [row]))[0]!;
  }

  async getModel(name: string): Promise<RegisteredModel> {
    return (await loadModels(this.db, [await this.model(name)]))[0]!;
  }

  async renameModel(name: string, newName: string): Promise<RegisteredModel> {
    const pk = await this.db.tx(async () => {
      const row = await this.model(name);
      if (
        newName !== name &&
        (await this.db.get('SELECT 1 FROM registered_models WHERE workspace = ? AND name = ?', [
          DEFAULT_WORKSPACE,
          newName,
        ]))
      ) {
        throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      }
      await this.db.run('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE model_pk = ?', [
        newName,
        Date.now(),
        row.model_pk,
      ]);
      return row.model_pk;
    });
    return await this.loadModel(pk);
  }

  async updateModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    const pk = await this.db.tx(async () => {
      const row = await this.model(name);
      await this.db.run(
        'UPDATE registered_models SET description = ?, last_updated_time = ? WHERE model_pk = ?',
        [description ?? null, Date.now(), row.model_pk],
      );
      return row.model_pk;
    });
    return await this.loadModel(pk);
  }

  async deleteModel(name: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.model(name);
      await this.db.run('DELETE FROM registered_models WHERE model_pk = ?', [row.model_pk]);
    });
  }

  async setModelTag(name: string, tag: KeyValue): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.model(name);
      await this.db.run(st(this.db).upsert('registered_model_tags', ['model_pk', 'key', 'value']), [
        row.model_pk,
        tag.key,
        tag.value,
      ]);
    });
  }

  async deleteModelTag(name: string, key: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.model(name);
      await this.db.run('DELETE FROM registered_model_tags WHERE model_pk = ? AND "key" = ?', [
        row.model_pk,
        key,
      ]);
    });
  }

  async createVersion(input: {
    name: string;
    source: string;
    storageLocation?: string;
    runId?: string;
    runLink?: string;
    description?: string;
    tags: KeyValue[];
    modelId?: string;
  }): Promise<ModelVersion> {
    const { pk, version } = await this.db.tx(async () => {
      const row = await this.model(input.name);
      // Version numbers are MAX+1: concurrent creates on one model must take turns (row lock on the model).
      await this.db.get(
        `SELECT model_pk FROM registered_models WHERE model_pk = ?${st(this.db).forUpdate()}`,
        [row.model_pk],
      );
      const max = await this.db.get<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM model_versions WHERE model_pk = ?',
        [row.model_pk],
      );
      const version = (max?.v ?? 0) + 1;
      const now = Date.now();
      await this.db.run(
        `INSERT INTO model_versions (model_pk, version, creation_time, last_updated_time, description, user_id, current_stage,
           source, storage_location, run_id, run_link, status, status_message, model_id)
         VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, ?, ?, ?, 'READY', NULL, ?)`,
        [
          row.model_pk,
          version,
          now,
          now,
          input.description || null,
          input.source,
          input.storageLocation ?? input.source,
          input.runId || null,
          input.runLink || null,
          input.modelId || null,
        ],
      );
      for (const t of input.tags) {
        await this.db.run(st(this.db).upsert('model_version_tags', ['model_pk', 'version', 'key', 'value']), [
          row.model_pk,
          version,
          t.key,
          t.value,
        ]);
      }
      await this.touch(row.model_pk, now);
      return { pk: row.model_pk, version };
    });
    const row = (await this.db.get<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk WHERE v.model_pk = ? AND v.version = ?`,
      [pk, version],
    ))!;
    return (await loadVersions(this.db, [row]))[0]!;
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    return (await loadVersions(this.db, [await this.versionRow(name, version)]))[0]!;
  }

  async downloadUri(name: string, version: number): Promise<string> {
    const row = await this.versionRow(name, version);
    return row.storage_location || row.source;
  }

  async updateVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion> {
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      await this.db.run(
        'UPDATE model_versions SET description = ?, last_updated_time = ? WHERE model_pk = ? AND version = ?',
        [description ?? null, Date.now(), row.model_pk, version],
      );
    });
    return await this.getVersion(name, version);
  }

  async transition(
    name: string,
    version: number,
    stage: Stage,
    archiveExisting: boolean,
  ): Promise<ModelVersion> {
    if (archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidParam(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are Staging, Production.`,
      );
    }
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      const now = Date.now();
      if (archiveExisting) {
        await this.db.run(
          `UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?
           WHERE model_pk = ? AND version != ? AND current_stage = ?`,
          [now, row.model_pk, version, stage],
        );
      }
      await this.db.run(
        'UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE model_pk = ? AND version = ?',
        [stage, now, row.model_pk, version],
      );
      await this.touch(row.model_pk, now);
    });
    return await this.getVersion(name, version);
  }

  /** Soft delete (MLflow): the number stays taken, lineage is redacted, aliases to it go. */
  async deleteVersion(name: string, version: number): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      const now = Date.now();
      await this.db.run(
        `UPDATE model_versions SET current_stage = ?, source = 'REDACTED-SOURCE-PATH', storage_location = NULL, run_id = 'REDACTED-RUN-ID',
           run_link = 'REDACTED-RUN-LINK', description = NULL, user_id = NULL, status_message = NULL, last_updated_time = ?
         WHERE model_pk = ? AND version = ?`,
        [DELETED_STAGE, now, row.model_pk, version],
      );
      await this.db.run('DELETE FROM registered_model_aliases WHERE model_pk = ? AND version = ?', [
        row.model_pk,
        version,
      ]);
      await this.touch(row.model_pk, now);
    });
  }

  async setVersionTag(name: string, version: number, tag: KeyValue): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      await this.db.run(st(this.db).upsert('model_version_tags', ['model_pk', 'version', 'key', 'value']), [
        row.model_pk,
        version,
        tag.key,
        tag.value,
      ]);
    });
  }

  async deleteVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      await this.db.run('DELETE FROM model_version_tags WHERE model_pk = ? AND version = ? AND "key" = ?', [
        row.model_pk,
        version,
        key,
      ]);
    });
  }

  async latestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    const row = await this.model(name);
    const wanted = stages.length > 0 ? stages : [...STAGES];
    const rows = await this.db.all<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk
       WHERE v.model_pk = ? AND v.current_stage IN (${wanted.map(() => '?').join(',')}) AND v.version = (
         SELECT MAX(v2.version) FROM model_versions v2 WHERE v2.model_pk = v.model_pk AND v2.current_stage = v.current_stage)`,
      [row.model_pk, ...wanted],
    );
    rows.sort((a, b) => wanted.indexOf(a.current_stage as Stage) - wanted.indexOf(b.current_stage as Stage));
    return await loadVersions(this.db, rows);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.versionRow(name, version);
      await this.db.run(st(this.db).upsert('registered_model_aliases', ['model_pk', 'alias', 'version']), [
        row.model_pk,
        alias,
        version,
      ]);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.model(name);
      await this.db.run('DELETE FROM registered_model_aliases WHERE model_pk = ? AND alias = ?', [
        row.model_pk,
        alias,
      ]);
    });
  }

  async byAlias(name: string, alias: string): Promise<ModelVersion> {
    const row = await this.model(name);
    if (alias.toLowerCase() === 'latest') {
      const v = await this.db.get<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM model_versions WHERE model_pk = ? AND current_stage != ?',
        [row.model_pk, DELETED_STAGE],
      );
      if (v?.v === null || v === undefined) throw notFound(`Latest version not found for model ${name}.`);
      return await this.getVersion(name, v.v);
    }
    const a = await this.db.get<{ version: number }>(
      'SELECT version FROM registered_model_aliases WHERE model_pk = ? AND alias = ?',
      [row.model_pk, alias],
    );
    if (a === undefined) throw invalidParam(`Registered model alias ${alias} not found.`);
    return await this.getVersion(name, a.version);
  }

  async searchModels(q: RegistrySearch): Promise<RegisteredModel[]> {
    return await searchModels(this.db, q);
  }

  async searchVersions(q: RegistrySearch): Promise<ModelVersion[]> {
    return await searchVersions(this.db, q);
  }
}
