/**
 * The W9 data set written straight into MLflow's model registry tables (as bench/w4-peer-seed.ts does for W4's
 * runs): MLflow 3.17.2 on SQLite and PostgreSQL, and mlflow-go-backend 0.2.2 on PostgreSQL, whose tables are those
 * of the MLflow 3.1.4 it installs. The rows are what MLflow's own SqlAlchemyStore writes for
 * create_registered_model(tags) + create_model_version(source, tags) × 10 + set_registered_model_alias, checked
 * against rows it wrote over HTTP on a fresh database: description '', user_id NULL, current_stage 'None', source
 * also as storage_location, run_id '' and run_link '', status 'READY', status_message NULL, and the model's
 * last_updated_time set to its newest version's creation time (the alias does not touch it).
 *
 * MLflow 3.17.2's registry tables have a `workspace` column (part of every key) that 3.1.4's lack; its migration
 * gives it the default 'default', which is what MLflow writes, so the rows leave it out and fit both schemas.
 */
import type { BenchDatabase } from './lib/backends.js';
import { type Cell, type Columns, peerWriter } from './w4-peer-seed.js';
import {
  W9_ALIAS,
  W9_VERSIONS,
  type W9SeedResult,
  w9AliasVersion,
  w9Counts,
  w9ModelName,
  w9ModelTags,
  w9Source,
  w9VersionTags,
} from './w9-seed.js';

/** Models generated and written per batch (PostgreSQL: one INSERT per table and batch). */
const CHUNK = 1000;

const T = 'text';
const INT = 'int4';
const MS = 'int8';
/** In insert order (parents first: a PostgreSQL user that is not a superuser keeps the foreign-key checks). */
const TABLES: Record<string, Columns> = {
  registered_models: [
    ['name', T],
    ['creation_time', MS],
    ['last_updated_time', MS],
    ['description', T],
  ],
  model_versions: [
    ['name', T],
    ['version', INT],
    ['creation_time', MS],
    ['last_updated_time', MS],
    ['description', T],
    ['user_id', T],
    ['current_stage', T],
    ['source', T],
    ['storage_location', T],
    ['run_id', T],
    ['run_link', T],
    ['status', T],
    ['status_message', T],
  ],
  registered_model_tags: [
    ['key', T],
    ['value', T],
    ['name', T],
  ],
  model_version_tags: [
    ['key', T],
    ['value', T],
    ['name', T],
    ['version', INT],
  ],
  registered_model_aliases: [
    ['alias', T],
    ['version', INT],
    ['name', T],
  ],
};

type Rows = Record<string, Cell[][]>;

/** Model i's rows, as MLflow writes them; created at t0 + i × 11 ms, its versions 1 ms apart after it. */
function addModel(i: number, t0: number, out: Rows): void {
  const name = w9ModelName(i);
  const created = t0 + i * (W9_VERSIONS + 1);
  out.registered_models!.push([name, created, created + W9_VERSIONS, '']);
  for (const t of w9ModelTags(i)) out.registered_model_tags!.push([t.key, t.value, name]);
  for (let v = 1; v <= W9_VERSIONS; v++) {
    const at = created + v;
    const source = w9Source(name, v);
    out.model_versions!.push([name, v, at, at, '', null, 'None', source, source, '', '', 'READY', null]);
    for (const t of w9VersionTags(i, v)) out.model_version_tags!.push([t.key, t.value, name, v]);
  }
  out.registered_model_aliases!.push([W9_ALIAS, w9AliasVersion(i), name]);
}

/**
 * Writes the W9 data set (the models, versions, tags and aliases of seedW9) into MLflow's registry tables on
 * `db`, in one transaction, then ANALYZEs them on PostgreSQL.
 *
 * Precondition: the peer has been started on `db` (its migrations created the schema); it may keep running (it
 * caches no registry rows; on SQLite this waits for its locks). `ms` is the whole call.
 */
export async function seedW9Peer(db: BenchDatabase, models: number): Promise<W9SeedResult> {
  const t0 = performance.now();
  const w = await peerWriter(db);
  try {
    const created = Date.now();
    await w.begin();
    try {
      for (let base = 0; base < models; base += CHUNK) {
        const rows: Rows = Object.fromEntries(Object.keys(TABLES).map((t) => [t, []]));
        for (let i = base; i < Math.min(models, base + CHUNK); i++) addModel(i, created, rows);
        for (const [table, cols] of Object.entries(TABLES)) await w.insert(table, cols, rows[table]!);
      }
      await w.commit();
    } catch (e) {
      await w.rollback();
      throw e;
    }
    if (db.backend === 'postgres') await w.one(`ANALYZE ${Object.keys(TABLES).join(', ')}`, []);
  } finally {
    await w.close();
  }
  return w9Counts(models, performance.now() - t0);
}
