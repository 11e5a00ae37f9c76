import type { ModelVersion, RegisteredModel } from '../../../src/domain/entities/registry.js';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '../../../src/domain/search/registry.js';
import type { SearchResult, TrackingStore } from '../../../src/store/types.js';

/** The model registry (reference 1.4, 4.4, 4.5, 5.9): store semantics only; source rules live in the API tests. */

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

export function newModel(
  store: TrackingStore,
  name: string,
  opts: { tags?: { key: string; value: string }[]; description?: string } = {},
): Promise<RegisteredModel> {
  const input: Parameters<TrackingStore['createRegisteredModel']>[0] = { name, tags: opts.tags ?? [] };
  if (opts.description !== undefined) input.description = opts.description;
  return store.createRegisteredModel(input);
}

export function newVersion(
  store: TrackingStore,
  name: string,
  opts: Partial<Omit<Parameters<TrackingStore['createModelVersion']>[0], 'name'>> = {},
): Promise<ModelVersion> {
  return store.createModelVersion({ name, source: `s3://bucket/${name}`, tags: [], ...opts });
}

interface SearchQ {
  filter?: string;
  orderBy?: string[];
  includePrompts?: boolean;
  maxResults?: number;
  pageToken?: string;
}

export function searchModels(store: TrackingStore, q: SearchQ = {}): Promise<SearchResult<RegisteredModel>> {
  return store.searchRegisteredModels({
    filter: parseRegisteredModelFilter(q.filter),
    includePrompts: q.includePrompts ?? false,
    maxResults: q.maxResults ?? 1000,
    orderBy: parseRegisteredModelOrderBy(q.orderBy ?? []),
    ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
  });
}

export async function modelNames(store: TrackingStore, q: SearchQ = {}): Promise<string[]> {
  return (await searchModels(store, q)).items.map((m) => m.name);
}

export function searchVersions(store: TrackingStore, q: SearchQ = {}): Promise<SearchResult<ModelVersion>> {
  return store.searchModelVersions({
    filter: parseModelVersionFilter(q.filter),
    includePrompts: q.includePrompts ?? false,
    maxResults: q.maxResults ?? 200000,
    orderBy: parseModelVersionOrderBy(q.orderBy ?? []),
    ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
  });
}

/** `name/version` of each hit, in result order. */
export async function versionKeys(store: TrackingStore, q: SearchQ = {}): Promise<string[]> {
  return (await searchVersions(store, q)).items.map((v) => `${v.name}/${v.version}`);
}

export const byVersion = (vs: readonly ModelVersion[]) =>
  [...vs].sort((a, b) => Number(a.version) - Number(b.version)).map((v) => `${v.version}:${v.current_stage}`);
