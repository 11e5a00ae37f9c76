import type { ViewType } from '../../../src/domain/entities/common.js';
import type { Metric } from '../../../src/domain/entities/metric.js';
import type { Run } from '../../../src/domain/entities/run.js';
import { parseExperimentFilter, parseExperimentOrderBy } from '../../../src/domain/search/experiments.js';
import { parseRunFilter, parseRunOrderBy } from '../../../src/domain/search/runs.js';
import type { SearchResult, TrackingStore } from '../../../src/store/types.js';

/** Shared vocabulary of the conformance cases. Filters are always built with the real parsers. */

export type StoreTest = (store: TrackingStore) => Promise<void>;
export type DefineTest = (name: string, fn: StoreTest) => void;
export type CaseGroup = (test: DefineTest) => void;

let seq = 0;
/** A name no other test in this process uses. */
export function uniqueName(prefix = 'exp'): string {
  seq += 1;
  return `${prefix}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function newExperiment(
  store: TrackingStore,
  opts: { name?: string; tags?: { key: string; value: string }[]; artifactLocation?: string } = {},
): Promise<string> {
  const input: Parameters<TrackingStore['createExperiment']>[0] = { name: opts.name ?? uniqueName() };
  if (opts.tags !== undefined) input.tags = opts.tags;
  if (opts.artifactLocation !== undefined) input.artifactLocation = opts.artifactLocation;
  return store.createExperiment(input);
}

export async function newRun(
  store: TrackingStore,
  experimentId: string,
  opts: {
    runName?: string;
    tags?: { key: string; value: string }[];
    startTime?: number | null;
    userId?: string;
  } = {},
): Promise<Run> {
  const input: Parameters<TrackingStore['createRun']>[0] = {
    experimentId,
    userId: opts.userId ?? 'tester',
    startTime: opts.startTime === undefined ? 1_700_000_000_000 : opts.startTime,
    tags: opts.tags ?? [],
  };
  if (opts.runName !== undefined) input.runName = opts.runName;
  return store.createRun(input);
}

export function metric(key: string, value: number, timestamp: number, step = 0): Metric {
  return { key, value, timestamp, step };
}

export async function logMetrics(store: TrackingStore, runId: string, metrics: Metric[]): Promise<void> {
  await store.logBatch(runId, { metrics, params: [], tags: [] });
}

export async function searchRuns(
  store: TrackingStore,
  experimentIds: string[],
  q: {
    filter?: string;
    orderBy?: string[];
    viewType?: ViewType;
    maxResults?: number;
    pageToken?: string;
  } = {},
): Promise<SearchResult<Run>> {
  const query: Parameters<TrackingStore['searchRuns']>[0] = {
    experimentIds,
    filter: parseRunFilter(q.filter),
    orderBy: parseRunOrderBy(q.orderBy ?? []),
    viewType: q.viewType ?? 'ACTIVE_ONLY',
    maxResults: q.maxResults ?? 1000,
  };
  if (q.pageToken !== undefined) query.pageToken = q.pageToken;
  return store.searchRuns(query);
}

/** Run ids of a search, in result order. */
export async function searchRunIds(
  store: TrackingStore,
  experimentIds: string[],
  q: { filter?: string; orderBy?: string[]; viewType?: ViewType } = {},
): Promise<string[]> {
  return (await searchRuns(store, experimentIds, q)).items.map((r) => r.info.run_id);
}

export async function searchExperimentIds(
  store: TrackingStore,
  q: { filter?: string; orderBy?: string[]; viewType?: ViewType; maxResults?: number } = {},
): Promise<string[]> {
  const res = await store.searchExperiments({
    viewType: q.viewType ?? 'ACTIVE_ONLY',
    maxResults: q.maxResults ?? 50000,
    filter: parseExperimentFilter(q.filter),
    orderBy: parseExperimentOrderBy(q.orderBy ?? []),
  });
  return res.items.map((e) => e.experiment_id);
}

/** Follows next-page tokens to the end; fails after `maxPages` pages (a token loop). */
export async function collectPages<T>(
  page: (token: string | undefined) => Promise<SearchResult<T>>,
  maxPages = 100,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 1; pages <= maxPages; pages++) {
    const res = await page(token);
    items.push(...res.items);
    if (res.nextPageToken === undefined || res.nextPageToken === '') return { items, pages };
    token = res.nextPageToken;
  }
  throw new Error(`paging did not end within ${maxPages} pages`);
}

/** The URI-path join MLflow uses for artifact locations: `base` + `/` + segments, no doubled slash. */
export function joinUri(base: string, ...segments: string[]): string {
  const q = base.indexOf('?');
  const head = q >= 0 ? base.slice(0, q) : base;
  const query = q >= 0 ? base.slice(q) : '';
  return `${head.replace(/\/+$/, '')}/${segments.join('/')}${query}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tagValue(tags: readonly { key: string; value: string }[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

export function sortedKv(kvs: readonly { key: string; value: string }[]): { key: string; value: string }[] {
  return [...kvs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
