import { randomBytes } from 'node:crypto';
import type { KeyValue } from '../../domain/entities/common.js';
import { DEFAULT_WORKSPACE } from '../../domain/entities/experiment.js';
import {
  DELETED_STAGE,
  type ModelVersion,
  type RegisteredModel,
  STAGES,
  TAG_IS_PROMPT,
} from '../../domain/entities/registry.js';
import { notFound } from '../../domain/errors.js';
import { compareStrings } from '../../domain/search/evaluate.js';
import type { Ddb, Item, Key } from './ddb.js';
import { trigrams } from './fts.js';
import * as K from './keys.js';

/** Items of the model registry (key formats in keys.ts, "model registry"). */

export const WS = DEFAULT_WORKSPACE;

export interface ModelMeta {
  PK: string;
  SK: string;
  rm_id: string;
  name: string;
  workspace: string;
  creation_time: number;
  last_updated_time: number;
  description?: string;
  user_id?: string;
  /** Last version number handed out (ADD counter). */
  next_version: number;
  /** Raised by every stage transition, so archive_existing_versions sees a stable set of versions. */
  stage_seq: number;
  /** Whether the model carries `mlflow.prompt.is_prompt` = 'true' (any case), kept with the tag. */
  is_prompt: boolean;
}

export interface VersionItem {
  PK: string;
  SK: string;
  rm_id: string;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description?: string;
  user_id?: string;
  current_stage: string;
  source: string;
  storage_location?: string;
  run_id?: string;
  run_link?: string;
  status: ModelVersion['status'];
  status_message?: string;
  model_id?: string;
  /** Raised by every alias set on this version, so a soft delete removes every alias that points at it. */
  alias_seq?: number;
  /** Set while the tags of a large version are still being written: such a version does not exist yet. */
  pending?: boolean;
}

export interface TagItem {
  key: string;
  value: string;
}

export interface AliasItem {
  alias: string;
  version: number;
}

/** Condition of a write to a live version (`:deleted` is DELETED_STAGE). */
export const LIVE_VERSION =
  'attribute_exists(PK) AND current_stage <> :deleted AND attribute_not_exists(pending)';

/** A version that get, search and every write can see (not soft-deleted, not half-written). */
export const isLive = (v: VersionItem | undefined): v is VersionItem =>
  v !== undefined && v.current_stage !== DELETED_STAGE && v.pending !== true;

/** Opaque model id, ULID-like: 48-bit creation time then 80 random bits, as 32 hex digits. Never reused. */
export function newModelId(): string {
  return Date.now().toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
}

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);
export const versionNotFound = (name: string, version: number) =>
  notFound(`Model Version (name=${name}, version=${version}) not found`);

/** A model's prompt flag from its prompt tag value (MLflow: `lower(value) = 'true'`). */
export const promptFlag = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

/** Tags collapsed by key (last wins, as repeated upserts leave them), sorted by key. */
export function dedupeTags(tags: readonly KeyValue[]): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const t of tags) byKey.set(t.key, t.value);
  return [...byKey].map(([key, value]) => ({ key, value })).sort((a, b) => compareStrings(a.key, b.key));
}

/** Whether a model's own tags make it a prompt (the flag kept on META). */
export const tagsMakePrompt = (tags: readonly KeyValue[]): boolean =>
  promptFlag(tags.findLast((t) => t.key === TAG_IS_PROMPT)?.value);

// ---- reads ------------------------------------------------------------------------------------------------------

/** The id of the model that has this name now (consistent read of the name sentinel). */
export async function resolveModel(ddb: Ddb, name: string): Promise<string | undefined> {
  return (await ddb.get<{ rm_id: string }>(K.modelName(WS, name)))?.rm_id;
}

/** A model's META, aliases and tags (one consistent query of the partition before its versions). */
export interface ModelHead {
  meta: ModelMeta;
  aliases: AliasItem[];
  tags: KeyValue[];
}

export async function readHead(ddb: Ddb, id: string): Promise<ModelHead | undefined> {
  const items = await ddb.query({
    KeyConditionExpression: 'PK = :pk AND SK < :v',
    ExpressionAttributeValues: { ':pk': K.modelPk(id), ':v': K.MODEL_VERSIONS_FROM },
  });
  let meta: ModelMeta | undefined;
  const aliases: AliasItem[] = [];
  const tags: KeyValue[] = [];
  for (const it of items) {
    const sk = it.SK as string;
    if (sk === 'META') meta = it as unknown as ModelMeta;
    else if (sk.startsWith('A#')) aliases.push({ alias: it.alias as string, version: it.version as number });
    else if (sk.startsWith('T#')) tags.push({ key: it.key as string, value: it.value as string });
  }
  return meta === undefined ? undefined : { meta, aliases, tags };
}

/** A model's aliases and its META (the SK range `A#` … `META`). */
export async function readAliases(
  ddb: Ddb,
  id: string,
): Promise<{ meta: ModelMeta | undefined; aliases: AliasItem[] }> {
  const items = await ddb.query({
    KeyConditionExpression: 'PK = :pk AND SK BETWEEN :a AND :m',
    ExpressionAttributeValues: { ':pk': K.modelPk(id), ':a': K.MODEL_ALIASES_FROM, ':m': 'META' },
  });
  const meta = items.find((i) => i.SK === 'META') as ModelMeta | undefined;
  const aliases = items
    .filter((i) => i.SK !== 'META')
    .map((i) => ({ alias: i.alias as string, version: i.version as number }));
  return { meta, aliases };
}

/** Version items and their tags from items of the partition's `V#` range. */
export function splitVersions(items: readonly Item[]): { version: VersionItem; tags: KeyValue[] }[] {
  const out: { version: VersionItem; tags: KeyValue[] }[] = [];
  const byVersion = new Map<number, { version: VersionItem; tags: KeyValue[] }>();
  for (const it of items) {
    const sk = it.SK as string;
    if (!sk.includes('#T#')) {
      const entry = { version: it as unknown as VersionItem, tags: [] };
      byVersion.set(entry.version.version, entry);
      out.push(entry);
    }
  }
  for (const it of items) {
    if ((it.SK as string).includes('#T#')) {
      byVersion.get(it.version as number)?.tags.push({ key: it.key as string, value: it.value as string });
    }
  }
  return out;
}

/** One version with its tags (consistent), or undefined. */
export async function readVersion(
  ddb: Ddb,
  id: string,
  version: number,
): Promise<{ version: VersionItem; tags: KeyValue[] } | undefined> {
  const sk = K.modelVersionSk(version);
  const items = await ddb.prefix(K.modelPk(id), sk);
  return splitVersions(items.filter((i) => i.SK === sk || (i.SK as string).startsWith(`${sk}#`)))[0];
}

/** The latest live version of each stage (lsi1, consistent), in `stages` order. */
export async function latestPerStage(
  ddb: Ddb,
  id: string,
  stages: readonly string[] = STAGES,
): Promise<VersionItem[]> {
  const found = await Promise.all(
    stages.map(async (stage) => {
      const items = await ddb.query(
        {
          IndexName: 'lsi1',
          KeyConditionExpression: 'PK = :pk AND begins_with(lsi1sk, :s)',
          ExpressionAttributeValues: { ':pk': K.modelPk(id), ':s': `${stage}#` },
          ScanIndexForward: false,
          Limit: 1,
        },
        1,
      );
      return items[0] as VersionItem | undefined;
    }),
  );
  return found.filter(isLive);
}

/** Parallel map with bounded concurrency, results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---- entities ---------------------------------------------------------------------------------------------------

export function toVersion(name: string, v: VersionItem, tags: KeyValue[], aliases: string[]): ModelVersion {
  const out: ModelVersion = {
    name,
    version: String(v.version),
    creation_timestamp: v.creation_time,
    last_updated_timestamp: v.last_updated_time,
    current_stage: v.current_stage,
    source: v.source,
    status: v.status,
    tags,
    aliases,
  };
  if (v.user_id !== undefined) out.user_id = v.user_id;
  if (v.description !== undefined) out.description = v.description;
  if (v.run_id !== undefined) out.run_id = v.run_id;
  if (v.status_message !== undefined) out.status_message = v.status_message;
  if (v.run_link !== undefined) out.run_link = v.run_link;
  if (v.model_id !== undefined) out.model_id = v.model_id;
  return out;
}

/** Alias names per version (sorted, as the alias items come). */
export function aliasesByVersion(aliases: readonly AliasItem[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const a of aliases) {
    const list = out.get(a.version);
    if (list === undefined) out.set(a.version, [a.alias]);
    else list.push(a.alias);
  }
  return out;
}

export function toModel(head: ModelHead, latest: ModelVersion[]): RegisteredModel {
  const { meta } = head;
  const out: RegisteredModel = {
    name: meta.name,
    creation_timestamp: meta.creation_time,
    last_updated_timestamp: meta.last_updated_time,
    latest_versions: latest,
    tags: head.tags,
    aliases: head.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  };
  if (meta.description !== undefined) out.description = meta.description;
  if (meta.user_id !== undefined) out.user_id = meta.user_id;
  return out;
}

/** Full versions (tags from their own items, aliases from the model's) for version items of one model. */
export async function hydrateVersions(
  ddb: Ddb,
  name: string,
  versions: readonly VersionItem[],
  aliases: readonly AliasItem[],
): Promise<ModelVersion[]> {
  const byVersion = aliasesByVersion(aliases);
  return await Promise.all(
    versions.map(async (v) => {
      const tagItems = await ddb.prefix(v.PK, `${K.modelVersionSk(v.version)}#T#`);
      const tags = tagItems.map((t) => ({ key: t.key as string, value: t.value as string }));
      return toVersion(name, v, tags, byVersion.get(v.version) ?? []);
    }),
  );
}

/** The full registered model of a partition: META, tags, aliases, the latest live version of each stage. */
export async function loadModel(ddb: Ddb, id: string): Promise<RegisteredModel | undefined> {
  const [head, latest] = await Promise.all([readHead(ddb, id), latestPerStage(ddb, id)]);
  if (head === undefined) return undefined;
  return toModel(head, await hydrateVersions(ddb, head.meta.name, latest, head.aliases));
}

/** Names longer than this (code points) get no trigram items; they are always substring-search candidates. */
const FTS_NAME_MAX = 500;

/** The FTS items of a model name: its trigrams, or the long-name marker. */
export function modelFtsKeys(id: string, name: string): Key[] {
  if ([...name].length > FTS_NAME_MAX) return [{ PK: K.modelFtsLongPk(WS), SK: id }];
  return trigrams(name).map((t) => ({ PK: K.modelFtsPk(WS), SK: K.modelFtsSk(t, id) }));
}
