import type { KeyValue, ViewType } from '../../../domain/entities/common.js';
import type { Experiment } from '../../../domain/entities/experiment.js';
import type { LoggedModel, LoggedModelStatus } from '../../../domain/entities/logged-model.js';
import type { Metric } from '../../../domain/entities/metric.js';
import type { ModelVersion, RegisteredModel, Stage } from '../../../domain/entities/registry.js';
import type { Dataset, Run, RunInfo, RunStatus } from '../../../domain/entities/run.js';
import type { Filter, OrderTerm } from '../../../domain/search/ast.js';
import {
  decodeOffsetToken,
  decodePageToken,
  encodeOffsetToken,
  encodePageToken,
} from '../../../domain/search/page-token.js';
import type { WebhookEvent, WebhookRecord } from '../../../domain/webhooks.js';
import { redact } from '../../redact.js';
import type {
  LogBatchInput,
  LoggedModelOrder,
  SearchResult,
  StoreOptions,
  TrackingStore,
  WebhookInput,
} from '../../types.js';
import { HISTORY_CHUNK_ROWS } from '../../types.js';
import { ensureSchema } from '../migrate.js';
import type { SqlDb } from '../sql-db.js';
import { requireExperimentIds, SqlExperiments } from './experiments.js';
import { SqlLoggedModels } from './logged-models.js';
import { MetricKeys } from './metric-keys.js';
import { SqlMetrics } from './metrics.js';
import { SqlRegistry } from './registry.js';
import { RunCache } from './run-cache.js';
import { loadRuns, type RunRow } from './run-loader.js';
import { SqlRuns } from './runs.js';
import { compileRunSearch } from './search-runs.js';
import { SqlWebhooks } from './webhooks.js';

/**
 * The one SQL store: the same code on SQLite, PostgreSQL and MySQL/MariaDB, over the SqlDb interface. Every write is
 * one transaction. Complete runs are cached as snapshots checked against the run's row_version (run-cache.ts).
 */
export class SqlStore implements TrackingStore {
  readonly capabilities = { transactionalLogBatch: true } as const;
  readonly db: SqlDb;
  private readonly experiments: SqlExperiments;
  private readonly runs: SqlRuns;
  private readonly metrics: SqlMetrics;
  private readonly models: SqlLoggedModels;
  private readonly registry: SqlRegistry;
  private readonly webhooks: SqlWebhooks;
  private readonly keys: MetricKeys;

  private constructor(db: SqlDb, opts: StoreOptions) {
    this.db = db;
    const keys = new MetricKeys(db);
    this.keys = keys;
    this.experiments = new SqlExperiments(db, opts.defaultArtifactRoot);
    // Run snapshots are checked against the run's row_version, so they stay right with several writers.
    this.runs = new SqlRuns(db, this.experiments, keys, new RunCache());
    this.metrics = new SqlMetrics(db, this.runs, keys);
    this.models = new SqlLoggedModels(db, this.experiments);
    this.registry = new SqlRegistry(db);
    this.webhooks = new SqlWebhooks(db);
  }

  /** Checks (or, on an empty database, creates) the schema, then seeds the default experiment. Closes db on failure. */
  static async open(db: SqlDb, uri: string, opts: StoreOptions): Promise<SqlStore> {
    try {
      await ensureSchema(db, redact(uri));
      const store = new SqlStore(db, opts);
      await store.experiments.ensureDefaultExperiment();
      return store;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.metrics.close();
    return this.db.close();
  }

  // Experiments
  async createExperiment(input: {
    name: string;
    artifactLocation?: string;
    tags?: KeyValue[];
  }): Promise<string> {
    return this.experiments.create(input);
  }
  async getExperiment(id: string): Promise<Experiment> {
    return this.experiments.get(id);
  }
  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.experiments.getByName(name);
  }
  async deleteExperiment(id: string): Promise<void> {
    await this.experiments.delete(id);
    this.runs.cache.clear(); // its runs changed lifecycle stage
  }
  async restoreExperiment(id: string): Promise<void> {
    await this.experiments.restore(id);
    this.runs.cache.clear();
  }
  async renameExperiment(id: string, newName: string): Promise<void> {
    await this.experiments.rename(id, newName);
  }
  async setExperimentTag(id: string, tag: KeyValue): Promise<void> {
    await this.experiments.setTag(id, tag);
  }
  async deleteExperimentTag(id: string, key: string): Promise<void> {
    await this.experiments.deleteTag(id, key);
  }
  async searchExperiments(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Experiment>> {
    const offset = decodeOffsetToken(q.pageToken);
    const { items, hasMore } = await this.experiments.search({ ...q, offset });
    return withToken(items, hasMore, offset);
  }

  // Runs
  async createRun(input: {
    experimentId: string;
    userId: string;
    startTime: number | null;
    runName?: string;
    tags: KeyValue[];
  }): Promise<Run> {
    return this.runs.create(input);
  }
  async getRun(runId: string): Promise<Run> {
    return this.runs.get(runId);
  }
  async updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo> {
    return this.runs.update(runId, patch);
  }
  async deleteRun(runId: string): Promise<void> {
    await this.runs.delete(runId);
  }
  async restoreRun(runId: string): Promise<void> {
    await this.runs.restore(runId);
  }
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    await this.runs.logBatch(runId, batch);
  }
  async logParam(runId: string, param: KeyValue): Promise<void> {
    await this.runs.logParam(runId, param);
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.runs.deleteTag(runId, key);
  }
  async logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void> {
    await this.runs.logInputs(runId, datasets, models);
  }
  async logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    await this.runs.logOutputs(runId, models);
  }
  async searchRuns(q: {
    experimentIds: string[];
    filter: Filter;
    viewType: ViewType;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Run>> {
    const offset = decodeOffsetToken(q.pageToken);
    const experimentIds = requireExperimentIds(q.experimentIds);
    if (experimentIds.length === 0) return { items: [] };
    const metricKeys = [...q.filter, ...q.orderBy].filter((t) => t.entity === 'metric').map((t) => t.key);
    const keyIds = new Map<string, number | undefined>();
    for (const k of metricKeys) keyIds.set(k, await this.keys.find(k));
    const { sql, params } = compileRunSearch({
      ...q,
      experimentIds,
      limit: q.maxResults + 1,
      offset,
      metricKeyId: (k) => keyIds.get(k),
    });
    const rows = await this.db.all<RunRow>(sql, params);
    const hasMore = rows.length > q.maxResults;
    return withToken(await loadRuns(this.db, rows.slice(0, q.maxResults), this.runs.cache), hasMore, offset);
  }
  async searchDatasets(experimentIds: string[]) {
    return this.runs.searchDatasets(requireExperimentIds(experimentIds));
  }

  // Metrics
  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number; pageToken?: string },
  ): Promise<SearchResult<Metric>> {
    const { offset, fields } = decodePageToken(page.pageToken);
    const cursor = typeof fields.cursor === 'string' ? fields.cursor : undefined;
    const r = await this.metrics.history(runId, key, offset, page.maxResults, cursor);
    if (r.cursor === undefined || !r.hasMore) return withToken(r.items, r.hasMore, offset);
    // the token names the parked cursor, and carries the offset for when the cursor is gone
    return {
      items: r.items,
      nextPageToken: encodePageToken({ offset: offset + r.items.length, cursor: r.cursor }),
    };
  }
  async streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>> {
    return this.metrics.historyChunks(runId, key, HISTORY_CHUNK_ROWS);
  }
  async getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<Metric[]> {
    return this.metrics.bulk(runIds, key, maxResults);
  }
  async getMetricHistoryBulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<Metric[]> {
    return this.metrics.bulkInterval(q);
  }

  // Logged models
  async createLoggedModel(input: {
    experimentId: string;
    name?: string;
    modelType?: string;
    sourceRunId?: string;
    params: KeyValue[];
    tags: KeyValue[];
  }): Promise<LoggedModel> {
    return this.models.create(input);
  }
  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.models.get(modelId);
  }
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.models.finalize(modelId, status);
  }
  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.models.delete(modelId);
  }
  async setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<void> {
    await this.models.setTags(modelId, tags);
  }
  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.models.deleteTag(modelId, key);
  }
  async logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void> {
    await this.models.logParams(modelId, params);
  }
  async searchLoggedModels(q: {
    experimentIds: string[];
    filter: Filter;
    datasets: { dataset_name: string; dataset_digest?: string }[];
    maxResults: number;
    orderBy: readonly LoggedModelOrder[];
    pageToken?: string;
    tokenContext?: Readonly<Record<string, unknown>>;
  }): Promise<SearchResult<LoggedModel>> {
    const offset = decodeOffsetToken(q.pageToken, q.tokenContext);
    const experimentIds = requireExperimentIds(q.experimentIds);
    const { items, hasMore } = await this.models.search({ ...q, experimentIds, offset });
    const out: SearchResult<LoggedModel> = { items };
    if (hasMore) out.nextPageToken = encodePageToken({ ...q.tokenContext, offset: offset + items.length });
    return out;
  }

  // Model registry
  async createRegisteredModel(input: {
    name: string;
    tags: KeyValue[];
    description?: string;
  }): Promise<RegisteredModel> {
    return this.registry.createModel(input);
  }
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.registry.getModel(name);
  }
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.registry.renameModel(name, newName);
  }
  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return this.registry.updateModel(name, description);
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    return this.registry.deleteModel(name);
  }
  async setRegisteredModelTag(name: string, tag: KeyValue): Promise<void> {
    return this.registry.setModelTag(name, tag);
  }
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.registry.deleteModelTag(name, key);
  }
  async searchRegisteredModels(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<RegisteredModel>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = await this.registry.searchModels({ ...q, limit: q.maxResults + 1, offset });
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    return this.registry.latestVersions(name, stages);
  }
  async createModelVersion(input: Parameters<SqlRegistry['createVersion']>[0]): Promise<ModelVersion> {
    return this.registry.createVersion(input);
  }
  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.registry.getVersion(name, version);
  }
  async updateModelVersion(
    name: string,
    version: number,
    description: string | undefined,
  ): Promise<ModelVersion> {
    return this.registry.updateVersion(name, version, description);
  }
  async transitionModelVersionStage(
    name: string,
    version: number,
    stage: Stage,
    archive: boolean,
  ): Promise<ModelVersion> {
    return this.registry.transition(name, version, stage, archive);
  }
  async deleteModelVersion(name: string, version: number): Promise<void> {
    return this.registry.deleteVersion(name, version);
  }
  async getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    return this.registry.downloadUri(name, version);
  }
  async setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<void> {
    return this.registry.setVersionTag(name, version, tag);
  }
  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    return this.registry.deleteVersionTag(name, version, key);
  }
  async searchModelVersions(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<ModelVersion>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = await this.registry.searchVersions({ ...q, limit: q.maxResults + 1, offset });
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    return this.registry.setAlias(name, alias, version);
  }
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return this.registry.deleteAlias(name, alias);
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.registry.byAlias(name, alias);
  }

  // Webhooks
  async createWebhook(input: WebhookInput): Promise<WebhookRecord> {
    return this.webhooks.create(input);
  }
  async getWebhook(id: string): Promise<WebhookRecord> {
    return this.webhooks.get(id);
  }
  async listWebhooks(q: { maxResults: number; pageToken?: string }): Promise<SearchResult<WebhookRecord>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = await this.webhooks.list(q.maxResults + 1, offset);
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async listWebhooksByEvent(event: WebhookEvent): Promise<WebhookRecord[]> {
    return this.webhooks.byEvent(event);
  }
  async updateWebhook(id: string, patch: Partial<WebhookInput>): Promise<WebhookRecord> {
    return this.webhooks.update(id, patch);
  }
  async deleteWebhook(id: string): Promise<void> {
    return this.webhooks.delete(id);
  }
  async ensureSetting(key: string, value: string): Promise<string> {
    return this.webhooks.ensureSetting(key, value);
  }
}

function withToken<T>(items: T[], hasMore: boolean, offset: number): SearchResult<T> {
  return hasMore ? { items, nextPageToken: encodeOffsetToken(offset + items.length) } : { items };
}
