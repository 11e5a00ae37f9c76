import fs from 'node:fs';
import path from 'node:path';
import type { KeyValue, ViewType } from '../../../domain/entities/common.js';
import type { Experiment } from '../../../domain/entities/experiment.js';
import type { LoggedModel, LoggedModelStatus } from '../../../domain/entities/logged-model.js';
import type { Metric } from '../../../domain/entities/metric.js';
import type { ModelVersion, RegisteredModel, Stage } from '../../../domain/entities/registry.js';
import type { Dataset, Run, RunInfo, RunStatus } from '../../../domain/entities/run.js';
import type { Filter, OrderTerm } from '../../../domain/search/ast.js';
import { decodeOffsetToken, encodeOffsetToken, encodePageToken } from '../../../domain/search/page-token.js';
import type { WebhookEvent, WebhookRecord } from '../../../domain/webhooks.js';
import type {
  LogBatchInput,
  LoggedModelOrder,
  SearchResult,
  StoreOptions,
  TrackingStore,
  WebhookInput,
} from '../../types.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { SqliteDb } from './sqlite-db.js';
import { requireExperimentIds, SqliteExperiments } from './sqlite-experiments.js';
import { SqliteLoggedModels } from './sqlite-logged-models.js';
import { MetricKeys } from './sqlite-metric-keys.js';
import { SqliteMetrics } from './sqlite-metrics.js';
import { ensureSchema } from './sqlite-migrate.js';
import { SqliteRegistry } from './sqlite-registry.js';
import { RunCache } from './sqlite-run-cache.js';
import { loadRuns, type RunRow } from './sqlite-run-loader.js';
import { SqliteRuns } from './sqlite-runs.js';
import { compileRunSearch } from './sqlite-search-runs.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';

/** `sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite://` or `sqlite:///:memory:` → a file path. */
export function sqliteFileFromUri(uri: string, cwd: string): string {
  const m = /^sqlite:\/\/(\/?)(.*)$/.exec(uri);
  if (m === null) throw new Error(`Not a SQLite URI: ${uri}`);
  const rest = (m[2] ?? '').split('?')[0] ?? '';
  if (rest === '' || rest === ':memory:') return ':memory:';
  return path.isAbsolute(rest) ? rest : path.resolve(cwd, rest.startsWith('/') ? rest.slice(1) : rest);
}

/** The embedded SQLite store. Synchronous node:sqlite under an async interface; every write is one transaction. */
export class SqliteStore implements TrackingStore {
  readonly capabilities = { transactionalLogBatch: true } as const;
  readonly db: SqliteDb;
  private readonly experiments: SqliteExperiments;
  private readonly runs: SqliteRuns;
  private readonly metrics: SqliteMetrics;
  private readonly models: SqliteLoggedModels;
  private readonly registry: SqliteRegistry;
  private readonly webhooks: SqliteWebhooks;
  private checkpointer: Checkpointer | undefined;
  private readonly file: string;
  private readonly keys: MetricKeys;

  constructor(file: string, uri: string, opts: StoreOptions) {
    this.file = file;
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new SqliteDb(file);
    try {
      ensureSchema(this.db, uri);
    } catch (e) {
      this.db.close();
      throw e;
    }
    const keys = new MetricKeys(this.db);
    this.keys = keys;
    this.experiments = new SqliteExperiments(this.db, opts.defaultArtifactRoot);
    this.runs = new SqliteRuns(this.db, this.experiments, keys, new RunCache());
    this.metrics = new SqliteMetrics(this.db, this.runs, keys);
    this.models = new SqliteLoggedModels(this.db, this.experiments);
    this.registry = new SqliteRegistry(this.db);
    this.webhooks = new SqliteWebhooks(this.db);
    this.experiments.ensureDefaultExperiment();
    if (file !== ':memory:') {
      // Background checkpoints; the write connection's own threshold (16k pages ≈ 64 MB) is only a safety net.
      this.db.exec('PRAGMA wal_autocheckpoint = 16000');
      // the checkpoint worker starts with the first write (an idle server does not pay for its thread)
    }
  }

  /** A write's result, handed out once it is on disk. */
  private async durable<T>(out: T): Promise<T> {
    if (this.checkpointer === undefined && this.file !== ':memory:')
      this.checkpointer = new Checkpointer(this.file);
    await this.db.durable();
    return out;
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    try {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // another process holds the database; its own checkpoints will fold the WAL in
    }
    this.db.close();
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
    this.experiments.delete(id);
    this.runs.cache.clear(); // its runs changed lifecycle stage
    await this.durable(undefined);
  }
  async restoreExperiment(id: string): Promise<void> {
    this.experiments.restore(id);
    this.runs.cache.clear();
    await this.durable(undefined);
  }
  async renameExperiment(id: string, newName: string): Promise<void> {
    this.experiments.rename(id, newName);
    await this.durable(undefined);
  }
  async setExperimentTag(id: string, tag: KeyValue): Promise<void> {
    this.experiments.setTag(id, tag);
    await this.durable(undefined);
  }
  async deleteExperimentTag(id: string, key: string): Promise<void> {
    this.experiments.deleteTag(id, key);
    await this.durable(undefined);
  }
  async searchExperiments(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Experiment>> {
    const offset = decodeOffsetToken(q.pageToken);
    const { items, hasMore } = this.experiments.search({ ...q, offset });
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
    return this.durable(this.runs.create(input));
  }
  async getRun(runId: string): Promise<Run> {
    return this.runs.get(runId);
  }
  async updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo> {
    return this.durable(this.runs.update(runId, patch));
  }
  async deleteRun(runId: string): Promise<void> {
    this.runs.delete(runId);
    await this.durable(undefined);
  }
  async restoreRun(runId: string): Promise<void> {
    this.runs.restore(runId);
    await this.durable(undefined);
  }
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    this.runs.logBatch(runId, batch);
    await this.durable(undefined);
  }
  async logParam(runId: string, param: KeyValue): Promise<void> {
    this.runs.logParam(runId, param);
    await this.durable(undefined);
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    this.runs.deleteTag(runId, key);
    await this.durable(undefined);
  }
  async logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void> {
    this.runs.logInputs(runId, datasets, models);
    await this.durable(undefined);
  }
  async logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    this.runs.logOutputs(runId, models);
    await this.durable(undefined);
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
    const { sql, params } = compileRunSearch({
      ...q,
      experimentIds,
      limit: q.maxResults + 1,
      offset,
      metricKeyId: (k) => this.keys.find(k),
    });
    const rows = this.db.all<RunRow>(sql, params);
    const hasMore = rows.length > q.maxResults;
    return withToken(loadRuns(this.db, rows.slice(0, q.maxResults), this.runs.cache), hasMore, offset);
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
    const offset = decodeOffsetToken(page.pageToken);
    const { items, hasMore } = this.metrics.history(runId, key, offset, page.maxResults);
    return withToken(items, hasMore, offset);
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
    return this.durable(this.models.create(input));
  }
  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.models.get(modelId);
  }
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.durable(this.models.finalize(modelId, status));
  }
  async deleteLoggedModel(modelId: string): Promise<void> {
    this.models.delete(modelId);
    await this.durable(undefined);
  }
  async setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<void> {
    this.models.setTags(modelId, tags);
    await this.durable(undefined);
  }
  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    this.models.deleteTag(modelId, key);
    await this.durable(undefined);
  }
  async logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void> {
    this.models.logParams(modelId, params);
    await this.durable(undefined);
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
    const { items, hasMore } = this.models.search({ ...q, experimentIds, offset });
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
    return this.durable(this.registry.createModel(input));
  }
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.registry.getModel(name);
  }
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.durable(this.registry.renameModel(name, newName));
  }
  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return this.durable(this.registry.updateModel(name, description));
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    return this.durable(this.registry.deleteModel(name));
  }
  async setRegisteredModelTag(name: string, tag: KeyValue): Promise<void> {
    return this.durable(this.registry.setModelTag(name, tag));
  }
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.durable(this.registry.deleteModelTag(name, key));
  }
  async searchRegisteredModels(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<RegisteredModel>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = this.registry.searchModels({ ...q, limit: q.maxResults + 1, offset });
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    return this.registry.latestVersions(name, stages);
  }
  async createModelVersion(input: Parameters<SqliteRegistry['createVersion']>[0]): Promise<ModelVersion> {
    return this.durable(this.registry.createVersion(input));
  }
  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.registry.getVersion(name, version);
  }
  async updateModelVersion(
    name: string,
    version: number,
    description: string | undefined,
  ): Promise<ModelVersion> {
    return this.durable(this.registry.updateVersion(name, version, description));
  }
  async transitionModelVersionStage(
    name: string,
    version: number,
    stage: Stage,
    archive: boolean,
  ): Promise<ModelVersion> {
    return this.durable(this.registry.transition(name, version, stage, archive));
  }
  async deleteModelVersion(name: string, version: number): Promise<void> {
    return this.durable(this.registry.deleteVersion(name, version));
  }
  async getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    return this.registry.downloadUri(name, version);
  }
  async setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<void> {
    return this.durable(this.registry.setVersionTag(name, version, tag));
  }
  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    return this.durable(this.registry.deleteVersionTag(name, version, key));
  }
  async searchModelVersions(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<ModelVersion>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = this.registry.searchVersions({ ...q, limit: q.maxResults + 1, offset });
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    return this.durable(this.registry.setAlias(name, alias, version));
  }
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return this.durable(this.registry.deleteAlias(name, alias));
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.registry.byAlias(name, alias);
  }

  // Webhooks
  async createWebhook(input: WebhookInput): Promise<WebhookRecord> {
    return this.durable(this.webhooks.create(input));
  }
  async getWebhook(id: string): Promise<WebhookRecord> {
    return this.webhooks.get(id);
  }
  async listWebhooks(q: { maxResults: number; pageToken?: string }): Promise<SearchResult<WebhookRecord>> {
    const offset = decodeOffsetToken(q.pageToken);
    const items = this.webhooks.list(q.maxResults + 1, offset);
    return withToken(items.slice(0, q.maxResults), items.length > q.maxResults, offset);
  }
  async listWebhooksByEvent(event: WebhookEvent): Promise<WebhookRecord[]> {
    return this.webhooks.byEvent(event);
  }
  async updateWebhook(id: string, patch: Partial<WebhookInput>): Promise<WebhookRecord> {
    return this.durable(this.webhooks.update(id, patch));
  }
  async deleteWebhook(id: string): Promise<void> {
    return this.durable(this.webhooks.delete(id));
  }
  async ensureSetting(key: string, value: string): Promise<string> {
    return this.durable(this.webhooks.ensureSetting(key, value));
  }
}

function withToken<T>(items: T[], hasMore: boolean, offset: number): SearchResult<T> {
  return hasMore ? { items, nextPageToken: encodeOffsetToken(offset + items.length) } : { items };
}

export function openSqliteStore(uri: string, opts: StoreOptions & { cwd: string }): SqliteStore {
  return new SqliteStore(sqliteFileFromUri(uri, opts.cwd), uri, opts);
}
