import type { KeyValue } from '../../../domain/entities/common.js';
import {
  DELETED_STAGE,
  type ModelVersion,
  type RegisteredModel,
  STAGES,
} from '../../../domain/entities/registry.js';
import { pushTo } from '../../group-by.js';
import type { SqlDb } from '../sql-db.js';

export interface ModelRow {
  model_pk: number;
  name: string;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  user_id: string | null;
}

export interface VersionRow {
  model_pk: number;
  name: string;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  user_id: string | null;
  current_stage: string;
  source: string;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  status: string;
  status_message: string | null;
  model_id: string | null;
}

export const VERSION_COLUMNS = `v.model_pk, m.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id,
  v.current_stage, v.source, v.storage_location, v.run_id, v.run_link, v.status, v.status_message, v.model_id`;

const ph = (n: number) => Array.from({ length: n }, () => '?').join(',');

/** Full model versions (tags, aliases) for rows, in order. */
export async function loadVersions(db: SqlDb, rows: VersionRow[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const pks = [...new Set(rows.map((r) => r.model_pk))];
  const tags = new Map<string, KeyValue[]>();
  for (const t of await db.all<{ model_pk: number; version: number; key: string; value: string }>(
    `SELECT model_pk, version, "key", value FROM model_version_tags WHERE model_pk IN (${ph(pks.length)})`,
    pks,
  )) {
    pushTo(tags, `${t.model_pk}:${t.version}`, { key: t.key, value: t.value });
  }
  const aliases = new Map<string, string[]>();
  for (const a of await db.all<{ model_pk: number; version: number; alias: string }>(
    `SELECT model_pk, version, alias FROM registered_model_aliases WHERE model_pk IN (${ph(pks.length)}) ORDER BY alias`,
    pks,
  )) {
    pushTo(aliases, `${a.model_pk}:${a.version}`, a.alias);
  }
  return rows.map((r) => {
    const k = `${r.model_pk}:${r.version}`;
    const v: ModelVersion = {
      name: r.name,
      version: String(r.version),
      creation_timestamp: r.creation_time,
      last_updated_timestamp: r.last_updated_time,
      current_stage: r.current_stage,
      source: r.source,
      status: r.status as ModelVersion['status'],
      tags: tags.get(k) ?? [],
      aliases: aliases.get(k) ?? [],
    };
    if (r.user_id !== null) v.user_id = r.user_id;
    if (r.description !== null) v.description = r.description;
    if (r.run_id !== null) v.run_id = r.run_id;
    if (r.status_message !== null) v.status_message = r.status_message;
    if (r.run_link !== null) v.run_link = r.run_link;
    if (r.model_id !== null) v.model_id = r.model_id;
    return v;
  });
}

/** Full registered models: tags, aliases and the latest (highest, non-deleted) version of each stage. */
export async function loadModels(db: SqlDb, rows: ModelRow[]): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const pks = rows.map((r) => r.model_pk);
  const tags = new Map<number, KeyValue[]>();
  for (const t of await db.all<{ model_pk: number; key: string; value: string }>(
    `SELECT model_pk, "key", value FROM registered_model_tags WHERE model_pk IN (${ph(pks.length)})`,
    pks,
  )) {
    pushTo(tags, t.model_pk, { key: t.key, value: t.value });
  }
  const aliases = new Map<number, { alias: string; version: string }[]>();
  for (const a of await db.all<{ model_pk: number; alias: string; version: number }>(
    `SELECT model_pk, alias, version FROM registered_model_aliases WHERE model_pk IN (${ph(pks.length)}) ORDER BY alias`,
    pks,
  )) {
    pushTo(aliases, a.model_pk, { alias: a.alias, version: String(a.version) });
  }
  const latestRows = await db.all<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.model_pk = v.model_pk
     WHERE v.model_pk IN (${ph(pks.length)}) AND v.current_stage != ? AND v.version = (
       SELECT MAX(v2.version) FROM model_versions v2 WHERE v2.model_pk = v.model_pk AND v2.current_stage = v.current_stage)`,
    [...pks, DELETED_STAGE],
  );
  const stageOrder = (s: string) => STAGES.indexOf(s as (typeof STAGES)[number]);
  latestRows.sort((a, b) => stageOrder(a.current_stage) - stageOrder(b.current_stage));
  const latest = new Map<number, ModelVersion[]>();
  (await loadVersions(db, latestRows)).forEach((v, i) => {
    pushTo(latest, latestRows[i]!.model_pk, v);
  });
  return rows.map((r) => {
    const m: RegisteredModel = {
      name: r.name,
      creation_timestamp: r.creation_time,
      last_updated_timestamp: r.last_updated_time,
      latest_versions: latest.get(r.model_pk) ?? [],
      tags: tags.get(r.model_pk) ?? [],
      aliases: aliases.get(r.model_pk) ?? [],
    };
    if (r.description !== null) m.description = r.description;
    if (r.user_id !== null) m.user_id = r.user_id;
    return m;
  });
}
