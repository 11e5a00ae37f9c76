import type { KeyValue, ViewType } from '../domain/entities/common.js';
import type { Experiment } from '../domain/entities/experiment.js';
import type { LoggedModel, LoggedModelStatus } from '../domain/entities/logged-model.js';
import type { Metric } from '../domain/entities/metric.js';
import type { ModelVersion, RegisteredModel, Stage } from '../domain/entities/registry.js';
import type { Dataset, Run, RunInfo, RunStatus } from '../domain/entities/run.js';
import type { Filter, OrderTerm } from '../domain/search/ast.js';
import type { WebhookEvent, WebhookRecord, WebhookStatus } from '../domain/webhooks.js';

/**
 * The one store interface. Stores enforce integrity only (existence, uniqueness, lifecycle, write-once params);
 * input shape and limits are validated once at the API boundary. Every method is atomic: it either applies
 * completely or writes nothing.
 */

export interface SearchResult<T> {
  items: T[];
  nextPageToken?: string;
}

export interface ExperimentStore {
  createExperiment(input: { name: string; artifactLocation?: string; tags?: KeyValue[] }): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** null when no experiment has that name (deleted ones included in the lookup). */
  getExperimentByName(name: string): Promise<Experiment | null>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: KeyValue): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;
  searchExperiments(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Experiment>>;
}

export interface LogBatchInput {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export interface RunStore {
  createRun(input: {
    experimentId: string;
    userId: string;
    startTime: number | null;
    runName?: string;
    tags: KeyValue[];
  }): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  /** Atomic: params (write-once), metrics (history + latest), tags; all or nothing. */
  logBatch(runId: string, batch: LogBatchInput): Promise<void>;
  /** Single write-once param (log-parameter); same value again is a no-op, a different one an error. */
  logParam(runId: string, param: KeyValue): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void>;
  logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void>;
  searchRuns(q: {
    experimentIds: string[];
    filter: Filter;
    viewType: ViewType;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Run>>;
  /** Dataset summaries for the UI's ajax search-datasets. */
  searchDatasets(
    experimentIds: string[],
  ): Promise<{ experiment_id: string; name: string; digest: string; context?: string }[]>;
}

/** Points per chunk of streamMetricHistory: about 300 KB of JSON, small enough to keep a stream's memory flat. */
export const HISTORY_CHUNK_ROWS = 1000;

export interface MetricStore {
  /** maxResults undefined means everything. Ordered by timestamp, step, value. */
  getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number; pageToken?: string },
  ): Promise<SearchResult<Metric>>;
  /**
   * The whole series in getMetricHistory's order, in chunks, for responses written as they are read (memory stays
   * bounded by a chunk on the SQL stores). An unknown run fails here, before the first chunk.
   */
  streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>>;
  getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<Metric[]>;
  getMetricHistoryBulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<Metric[]>;
}

export interface LoggedModelStore {
  createLoggedModel(input: {
    experimentId: string;
    name?: string;
    modelType?: string;
    sourceRunId?: string;
    params: KeyValue[];
    tags: KeyValue[];
  }): Promise<LoggedModel>;
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  deleteLoggedModel(modelId: string): Promise<void>;
  setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void>;
  searchLoggedModels(q: {
    experimentIds: string[];
    filter: Filter;
    datasets: { dataset_name: string; dataset_digest?: string }[];
    maxResults: number;
    orderBy: readonly LoggedModelOrder[];
    pageToken?: string;
    /** Request fields the page token must carry and match (MLflow checks experiment ids, filter, order). */
    tokenContext?: Readonly<Record<string, unknown>>;
  }): Promise<SearchResult<LoggedModel>>;
}

export interface LoggedModelOrder {
  field_name: string;
  ascending: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface RegistryStore {
  createRegisteredModel(input: {
    name: string;
    tags: KeyValue[];
    description?: string;
  }): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel>;
  deleteRegisteredModel(name: string): Promise<void>;
  setRegisteredModelTag(name: string, tag: KeyValue): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  searchRegisteredModels(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<RegisteredModel>>;
  /** Latest version per stage (all four stages when `stages` is empty). */
  getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]>;
  createModelVersion(input: {
    name: string;
    source: string;
    storageLocation?: string;
    runId?: string;
    runLink?: string;
    description?: string;
    tags: KeyValue[];
    modelId?: string;
  }): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  updateModelVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion>;
  transitionModelVersionStage(
    name: string,
    version: number,
    stage: Stage,
    archiveExisting: boolean,
  ): Promise<ModelVersion>;
  deleteModelVersion(name: string, version: number): Promise<void>;
  /** storage_location, or source when there is none. */
  getModelVersionDownloadUri(name: string, version: number): Promise<string>;
  setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<void>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>;
  searchModelVersions(q: {
    filter: Filter;
    includePrompts: boolean;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<ModelVersion>>;
  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
}

export interface WebhookInput {
  name: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  /** Already encrypted; the store never sees a secret in the clear. */
  secretCiphertext?: string;
  status: WebhookStatus;
}

export interface WebhookStore {
  createWebhook(input: WebhookInput): Promise<WebhookRecord>;
  /** Soft-deleted webhooks are not found. */
  getWebhook(webhookId: string): Promise<WebhookRecord>;
  /** Newest first, offset page tokens. */
  listWebhooks(q: { maxResults: number; pageToken?: string }): Promise<SearchResult<WebhookRecord>>;
  /** Every live webhook (any status) subscribed to the event. */
  listWebhooksByEvent(event: WebhookEvent): Promise<WebhookRecord[]>;
  /** Only the fields present change; `events` replaces the subscription set. */
  updateWebhook(webhookId: string, patch: Partial<WebhookInput>): Promise<WebhookRecord>;
  deleteWebhook(webhookId: string): Promise<void>;
  /** The stored value of a server setting, storing `value` first if there is none (atomic across servers). */
  ensureSetting(key: string, value: string): Promise<string>;
}

export interface StoreCapabilities {
  /** log-batch applies params, metrics and tags in one transaction. */
  readonly transactionalLogBatch: boolean;
}

export interface TrackingStore
  extends ExperimentStore,
    RunStore,
    MetricStore,
    LoggedModelStore,
    RegistryStore,
    WebhookStore {
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;
}

/** Connection settings for SQL backends (from MLflow's MLFLOW_SQLALCHEMYSTORE_* and MLFLOW_MYSQL_SSL_* variables). */
export interface SqlConnectionOptions {
  pool?: {
    max?: number;
    maxLifetimeSeconds?: number;
    connectionTimeoutMillis?: number;
  };
  /** PEM file paths. */
  mysqlSsl?: { ca?: string; cert?: string; key?: string };
}

export interface StoreOptions extends SqlConnectionOptions {
  /** Where new experiments put their artifacts, e.g. `mlflow-artifacts:/` or an absolute path. */
  defaultArtifactRoot: string;
}
