import type { KeyValue, ViewType } from '../../../domain/entities/common.js';
import { DEFAULT_WORKSPACE, type Experiment } from '../../../domain/entities/experiment.js';
import { alreadyExists, invalidParam, notFound } from '../../../domain/errors.js';
import type { Filter, OrderTerm } from '../../../domain/search/ast.js';
import { pushTo } from '../../group-by.js';
import type { SearchResult } from '../../types.js';
import { appendUriPath } from '../../uri-path.js';
import { unlessDuplicate } from '../dialects.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';

type Row = Record<string, unknown>;

import { compileExperimentSearch } from './search-experiments.js';

interface ExperimentRow {
  experiment_id: number;
  workspace: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

/** SQL experiment ids are integers; anything else cannot name an experiment. */
export function parseExperimentId(id: string): number | null {
  if (!/^\d{1,18}$/.test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

export function requireExperimentIds(ids: readonly string[]): number[] {
  return ids.map((id) => {
    const n = parseExperimentId(String(id));
    if (n === null)
      throw invalidParam(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
    return n;
  });
}

function toExperiment(row: ExperimentRow, tags: KeyValue[]): Experiment {
  return {
    experiment_id: String(row.experiment_id),
    name: row.name,
    artifact_location: row.artifact_location,
    lifecycle_stage: row.lifecycle_stage,
    creation_time: row.creation_time,
    last_update_time: row.last_update_time,
    tags,
    workspace: row.workspace,
  };
}

export class SqlExperiments {
  constructor(
    private readonly db: SqlDb,
    private readonly defaultArtifactRoot: string,
  ) {}

  async ensureDefaultExperiment(): Promise<void> {
    await this.db.tx(async () => {
      if ((await this.db.get('SELECT 1 FROM experiments WHERE experiment_id = 0')) !== undefined) return;
      const now = Date.now();
      // Insert-if-absent: servers starting together on a new database may both get here.
      await this.db.run(
        st(this.db).insertIgnore(
          'experiments',
          [
            'experiment_id',
            'workspace',
            'name',
            'artifact_location',
            'lifecycle_stage',
            'creation_time',
            'last_update_time',
          ],
          `VALUES (0, ?, 'Default', ?, 'active', ?, ?)`,
        ),
        [DEFAULT_WORKSPACE, appendUriPath(this.defaultArtifactRoot, '0'), now, now],
      );
    });
  }

  async create(input: { name: string; artifactLocation?: string; tags?: KeyValue[] }): Promise<string> {
    return await this.db.tx(async () => {
      if (
        await this.db.get('SELECT 1 FROM experiments WHERE workspace = ? AND name = ?', [
          DEFAULT_WORKSPACE,
          input.name,
        ])
      ) {
        throw alreadyExists(`Experiment(name=${input.name}) already exists.`);
      }
      const now = Date.now();
      const id = await unlessDuplicate(
        this.db.insertReturningId(
          `INSERT INTO experiments (workspace, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
           VALUES (?, ?, ?, 'active', ?, ?)`,
          [DEFAULT_WORKSPACE, input.name, input.artifactLocation ?? '', now, now],
          'experiment_id',
        ),
        () => alreadyExists(`Experiment(name=${input.name}) already exists.`),
      );
      if (!input.artifactLocation) {
        await this.db.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [
          appendUriPath(this.defaultArtifactRoot, String(id)),
          id,
        ]);
      }
      for (const t of input.tags ?? []) {
        await this.db.run(st(this.db).upsert('experiment_tags', ['experiment_id', 'key', 'value']), [
          id,
          t.key,
          t.value,
        ]);
      }
      return String(id);
    });
  }

  private async row(id: string): Promise<ExperimentRow> {
    const n = parseExperimentId(id);
    const row =
      n === null
        ? undefined
        : await this.db.get<ExperimentRow>('SELECT * FROM experiments WHERE experiment_id = ?', [n]);
    if (row === undefined) throw notFound(`No Experiment with id=${id} exists`);
    return row;
  }

  private async tags(ids: number[]): Promise<Map<number, KeyValue[]>> {
    const out = new Map<number, KeyValue[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.all<{ experiment_id: number; key: string; value: string }>(
      `SELECT experiment_id, "key", value FROM experiment_tags WHERE experiment_id IN (${ids.map(() => '?').join(',')}) ORDER BY "key"`,
      ids,
    );
    for (const r of rows) {
      pushTo(out, r.experiment_id, { key: r.key, value: r.value });
    }
    return out;
  }

  async get(id: string): Promise<Experiment> {
    const row = await this.row(id);
    return toExperiment(row, (await this.tags([row.experiment_id])).get(row.experiment_id) ?? []);
  }

  /** Active experiment or INVALID_PARAMETER_VALUE, as MLflow's SQL store checks before writes. */
  async requireActive(id: string): Promise<ExperimentRow> {
    const row = await this.row(id);
    if (row.lifecycle_stage !== 'active') {
      throw invalidParam(
        `The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
      );
    }
    return row;
  }

  async getByName(name: string): Promise<Experiment | null> {
    const row = await this.db.get<ExperimentRow>(
      'SELECT * FROM experiments WHERE workspace = ? AND name = ?',
      [DEFAULT_WORKSPACE, name],
    );
    if (row === undefined) return null;
    return toExperiment(row, (await this.tags([row.experiment_id])).get(row.experiment_id) ?? []);
  }

  async delete(id: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.row(id);
      if (row.lifecycle_stage !== 'active') throw notFound(`No Experiment with id=${id} exists`);
      const now = Date.now();
      await this.db.run(
        `UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?`,
        [now, row.experiment_id],
      );
      await this.db.run(
        `UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?, row_version = row_version + 1 WHERE experiment_id = ? AND lifecycle_stage = 'active'`,
        [now, row.experiment_id],
      );
    });
  }

  async restore(id: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.row(id);
      if (row.lifecycle_stage !== 'deleted') throw notFound(`No Experiment with id=${id} exists`);
      await this.db.run(
        `UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?`,
        [Date.now(), row.experiment_id],
      );
      await this.db.run(
        `UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL, row_version = row_version + 1 WHERE experiment_id = ? AND lifecycle_stage = 'deleted'`,
        [row.experiment_id],
      );
    });
  }

  async rename(id: string, newName: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.row(id);
      // MLflow answers INVALID_STATE (HTTP 500, which the client retries for minutes); it is a client mistake.
      if (row.lifecycle_stage !== 'active') throw invalidParam('Cannot rename a non-active experiment.');
      const clash = await this.db.get<{ experiment_id: number }>(
        'SELECT experiment_id FROM experiments WHERE workspace = ? AND name = ?',
        [row.workspace, newName],
      );
      if (clash !== undefined && clash.experiment_id !== row.experiment_id) {
        throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      }
      await this.db.run('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [
        newName,
        Date.now(),
        row.experiment_id,
      ]);
    });
  }

  async setTag(id: string, tag: KeyValue): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.requireActive(id);
      await this.db.run(st(this.db).upsert('experiment_tags', ['experiment_id', 'key', 'value']), [
        row.experiment_id,
        tag.key,
        tag.value,
      ]);
    });
  }

  async deleteTag(id: string, key: string): Promise<void> {
    await this.db.tx(async () => {
      const row = await this.requireActive(id);
      const r = await this.db.run('DELETE FROM experiment_tags WHERE experiment_id = ? AND "key" = ?', [
        row.experiment_id,
        key,
      ]);
      if (r.changes === 0) throw notFound(`No tag with name: ${key} in experiment with id ${id}`);
    });
  }

  async search(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    offset: number;
  }): Promise<SearchResult<Experiment> & { hasMore: boolean }> {
    const { sql, params } = compileExperimentSearch(q);
    const rows = await this.db.all<ExperimentRow & Row>(sql, params);
    const hasMore = rows.length > q.maxResults;
    const page = rows.slice(0, q.maxResults) as ExperimentRow[];
    const tags = await this.tags(page.map((r) => r.experiment_id));
    return { items: page.map((r) => toExperiment(r, tags.get(r.experiment_id) ?? [])), hasMore };
  }
}
