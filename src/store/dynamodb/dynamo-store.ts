import type { KeyValue, ViewType } from '../../domain/entities/common.js';
import type { Experiment } from '../../domain/entities/experiment.js';
import type { Metric } from '../../domain/entities/metric.js';
import type { Dataset, Run, RunInfo, RunStatus } from '../../domain/entities/run.js';
import { MlflowError, notFound } from '../../domain/errors.js';
import type { Filter, OrderTerm } from '../../domain/search/ast.js';
import type {
  LogBatchInput,
  LoggedModelStore,
  RegistryStore,
  SearchResult,
  StoreOptions,
  TrackingStore,
  WebhookStore,
} from '../types.js';
import { HISTORY_CHUNK_ROWS } from '../types.js';
import { DynamoConfig } from './config.js';
import { Ddb } from './ddb.js';
import { DynamoExperiments, requireExperimentIds } from './experiments.js';
import { DynamoMetrics } from './metrics.js';
import { ensureTable } from './provision.js';
import { DynamoRunWrites } from './run-writes.js';
import { DynamoRuns } from './runs.js';
import { DynamoRunSearch } from './search-runs.js';
import { setExperimentTtl } from './ttl.js';
import { clientConfigFor, type DynamoUri, parseDynamoUri } from './uri.js';

/** Parts of the store still being built answer NOT_IMPLEMENTED (501) instead of pretending. */
function notYet<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_t, prop) => () => {
      throw new MlflowError(
        'NOT_IMPLEMENTED',
        `${what} (${String(prop)}) is not available on the DynamoDB store yet.`,
      );
    },
  });
}

/** The parts of a DynamoStore beyond experiments, runs and metrics (each in its own module). */
export interface DynamoParts {
  loggedModels: LoggedModelStore;
  registry: RegistryStore;
  webhooks: WebhookStore;
}

/**
 * The single-table DynamoDB store (docs/dynamodb.md): experiments, runs and metrics here; logged models, the
 * model registry and webhooks in their own modules over the same table.
 */
export class DynamoStore implements TrackingStore {
  readonly capabilities = { transactionalLogBatch: false } as const;
  readonly experiments: DynamoExperiments;
  readonly runs: DynamoRuns;
  readonly runWrites: DynamoRunWrites;
  readonly metrics: DynamoMetrics;
  readonly runSearch: DynamoRunSearch;
  readonly config: DynamoConfig;
  private readonly parts: DynamoParts;

  constructor(
    readonly ddb: Ddb,
    readonly uri: DynamoUri,
    opts: StoreOptions,
    parts?: (store: DynamoStore) => Partial<DynamoParts>,
  ) {
    this.config = new DynamoConfig(ddb);
    this.experiments = new DynamoExperiments(ddb, opts.defaultArtifactRoot);
    this.runs = new DynamoRuns(ddb, this.experiments, this.config);
    this.runWrites = new DynamoRunWrites(ddb, this.runs, () => this.config.historyTtl());
    this.metrics = new DynamoMetrics(ddb, this.runs);
    this.runSearch = new DynamoRunSearch(ddb, this.runs);
    const given = parts?.(this) ?? {};
    this.parts = {
      loggedModels: given.loggedModels ?? notYet('Logged models'),
      registry: given.registry ?? notYet('The model registry'),
      webhooks: given.webhooks ?? notYet('Webhooks'),
    };
  }

  /** Connects (credentials and region from the AWS chain), provisions the table if needed, seeds it. */
  static async open(uri: string, opts: StoreOptions): Promise<DynamoStore> {
    const parsed = parseDynamoUri(uri);
    const ddb = new Ddb(parsed.table, { ...clientConfigFor(parsed), maxAttempts: 3 });
    try {
      await ensureTable(ddb, parsed, opts.defaultArtifactRoot);
    } catch (e) {
      ddb.close();
      throw e;
    }
    const { dynamoParts } = await import('./parts.js');
    const store = new DynamoStore(ddb, parsed, opts, dynamoParts);
    try {
      await store.config.reconcile(process.env, parsed.deploy);
    } catch (e) {
      ddb.close();
      throw e;
    }
    return store;
  }

  async close(): Promise<void> {
    this.ddb.close();
  }

  // Experiments
  createExperiment(input: { name: string; artifactLocation?: string; tags?: KeyValue[] }): Promise<string> {
    return this.experiments.create(input);
  }
  getExperiment(id: string): Promise<Experiment> {
    return this.experiments.get(id);
  }
  getExperimentByName(name: string): Promise<Experiment | null> {
    return this.experiments.getByName(name);
  }
  /** Runs first, then the experiment: a retry after a failure part-way completes the cascade. */
  async deleteExperiment(id: string): Promise<void> {
    const e = await this.experiments.item(id);
    if (e.lifecycle_stage !== 'active') throw notFound(`No Experiment with id=${id} exists`);
    await this.runs.cascade(e.experiment_id, 'active', 'deleted');
    const ttl = this.config.softDeleteTtl();
    if (ttl !== undefined) await setExperimentTtl(this.ddb, e, e.workspace, ttl);
    await this.experiments.setLifecycle(id, 'active', 'deleted');
  }
  async restoreExperiment(id: string): Promise<void> {
    const e = await this.experiments.item(id);
    if (e.lifecycle_stage !== 'deleted') throw notFound(`No Experiment with id=${id} exists`);
    await this.runs.cascade(e.experiment_id, 'deleted', 'active');
    await setExperimentTtl(this.ddb, e, e.workspace, undefined);
    await this.experiments.setLifecycle(id, 'deleted', 'active');
  }
  renameExperiment(id: string, newName: string): Promise<void> {
    return this.experiments.rename(id, newName);
  }
  setExperimentTag(id: string, tag: KeyValue): Promise<void> {
    return this.experiments.setTag(id, tag);
  }
  deleteExperimentTag(id: string, key: string): Promise<void> {
    return this.experiments.deleteTag(id, key);
  }
  searchExperiments(q: {
    viewType: ViewType;
    maxResults: number;
    filter: Filter;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Experiment>> {
    return this.experiments.search(q);
  }

  // Runs
  createRun(input: {
    experimentId: string;
    userId: string;
    startTime: number | null;
    runName?: string;
    tags: KeyValue[];
  }): Promise<Run> {
    return this.runs.create(input);
  }
  getRun(runId: string): Promise<Run> {
    return this.runs.get(runId);
  }
  updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo> {
    return this.runs.update(runId, patch);
  }
  deleteRun(runId: string): Promise<void> {
    return this.runs.setLifecycle(runId, 'deleted');
  }
  restoreRun(runId: string): Promise<void> {
    return this.runs.setLifecycle(runId, 'active');
  }
  logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    return this.runWrites.logBatch(runId, batch);
  }
  logParam(runId: string, param: KeyValue): Promise<void> {
    return this.runWrites.logParam(runId, param);
  }
  deleteTag(runId: string, key: string): Promise<void> {
    return this.runWrites.deleteTag(runId, key);
  }
  logInputs(
    runId: string,
    datasets: { dataset: Dataset; tags: KeyValue[] }[],
    models: { model_id: string }[],
  ): Promise<void> {
    return this.runWrites.logInputs(runId, datasets, models);
  }
  logOutputs(runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    return this.runWrites.logOutputs(runId, models);
  }
  searchRuns(q: {
    experimentIds: string[];
    filter: Filter;
    viewType: ViewType;
    maxResults: number;
    orderBy: readonly OrderTerm[];
    pageToken?: string;
  }): Promise<SearchResult<Run>> {
    return this.runSearch.search({ ...q, experimentIds: requireExperimentIds(q.experimentIds) });
  }
  searchDatasets(experimentIds: string[]) {
    return this.runWrites.searchDatasets(requireExperimentIds(experimentIds));
  }

  // Metrics
  getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number; pageToken?: string },
  ): Promise<SearchResult<Metric>> {
    return this.metrics.history(runId, key, page);
  }
  streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>> {
    return this.metrics.historyChunks(runId, key, HISTORY_CHUNK_ROWS);
  }
  getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<Metric[]> {
    return this.metrics.bulk(runIds, key, maxResults);
  }
  getMetricHistoryBulkInterval(q: {
    runIds: string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<Metric[]> {
    return this.metrics.bulkInterval(q);
  }

  // Logged models, registry, webhooks: their own modules
  createLoggedModel: LoggedModelStore['createLoggedModel'] = (i) =>
    this.parts.loggedModels.createLoggedModel(i);
  getLoggedModel: LoggedModelStore['getLoggedModel'] = (id) => this.parts.loggedModels.getLoggedModel(id);
  finalizeLoggedModel: LoggedModelStore['finalizeLoggedModel'] = (id, s) =>
    this.parts.loggedModels.finalizeLoggedModel(id, s);
  deleteLoggedModel: LoggedModelStore['deleteLoggedModel'] = (id) =>
    this.parts.loggedModels.deleteLoggedModel(id);
  setLoggedModelTags: LoggedModelStore['setLoggedModelTags'] = (id, t) =>
    this.parts.loggedModels.setLoggedModelTags(id, t);
  deleteLoggedModelTag: LoggedModelStore['deleteLoggedModelTag'] = (id, k) =>
    this.parts.loggedModels.deleteLoggedModelTag(id, k);
  logLoggedModelParams: LoggedModelStore['logLoggedModelParams'] = (id, p) =>
    this.parts.loggedModels.logLoggedModelParams(id, p);
  searchLoggedModels: LoggedModelStore['searchLoggedModels'] = (q) =>
    this.parts.loggedModels.searchLoggedModels(q);

  createRegisteredModel: RegistryStore['createRegisteredModel'] = (i) =>
    this.parts.registry.createRegisteredModel(i);
  getRegisteredModel: RegistryStore['getRegisteredModel'] = (n) => this.parts.registry.getRegisteredModel(n);
  renameRegisteredModel: RegistryStore['renameRegisteredModel'] = (n, m) =>
    this.parts.registry.renameRegisteredModel(n, m);
  updateRegisteredModel: RegistryStore['updateRegisteredModel'] = (n, d) =>
    this.parts.registry.updateRegisteredModel(n, d);
  deleteRegisteredModel: RegistryStore['deleteRegisteredModel'] = (n) =>
    this.parts.registry.deleteRegisteredModel(n);
  setRegisteredModelTag: RegistryStore['setRegisteredModelTag'] = (n, t) =>
    this.parts.registry.setRegisteredModelTag(n, t);
  deleteRegisteredModelTag: RegistryStore['deleteRegisteredModelTag'] = (n, k) =>
    this.parts.registry.deleteRegisteredModelTag(n, k);
  searchRegisteredModels: RegistryStore['searchRegisteredModels'] = (q) =>
    this.parts.registry.searchRegisteredModels(q);
  getLatestVersions: RegistryStore['getLatestVersions'] = (n, s) =>
    this.parts.registry.getLatestVersions(n, s);
  createModelVersion: RegistryStore['createModelVersion'] = (i) => this.parts.registry.createModelVersion(i);
  getModelVersion: RegistryStore['getModelVersion'] = (n, v) => this.parts.registry.getModelVersion(n, v);
  updateModelVersion: RegistryStore['updateModelVersion'] = (n, v, d) =>
    this.parts.registry.updateModelVersion(n, v, d);
  transitionModelVersionStage: RegistryStore['transitionModelVersionStage'] = (n, v, s, a) =>
    this.parts.registry.transitionModelVersionStage(n, v, s, a);
  deleteModelVersion: RegistryStore['deleteModelVersion'] = (n, v) =>
    this.parts.registry.deleteModelVersion(n, v);
  getModelVersionDownloadUri: RegistryStore['getModelVersionDownloadUri'] = (n, v) =>
    this.parts.registry.getModelVersionDownloadUri(n, v);
  setModelVersionTag: RegistryStore['setModelVersionTag'] = (n, v, t) =>
    this.parts.registry.setModelVersionTag(n, v, t);
  deleteModelVersionTag: RegistryStore['deleteModelVersionTag'] = (n, v, k) =>
    this.parts.registry.deleteModelVersionTag(n, v, k);
  searchModelVersions: RegistryStore['searchModelVersions'] = (q) =>
    this.parts.registry.searchModelVersions(q);
  setRegisteredModelAlias: RegistryStore['setRegisteredModelAlias'] = (n, a, v) =>
    this.parts.registry.setRegisteredModelAlias(n, a, v);
  deleteRegisteredModelAlias: RegistryStore['deleteRegisteredModelAlias'] = (n, a) =>
    this.parts.registry.deleteRegisteredModelAlias(n, a);
  getModelVersionByAlias: RegistryStore['getModelVersionByAlias'] = (n, a) =>
    this.parts.registry.getModelVersionByAlias(n, a);

  createWebhook: WebhookStore['createWebhook'] = (i) => this.parts.webhooks.createWebhook(i);
  getWebhook: WebhookStore['getWebhook'] = (id) => this.parts.webhooks.getWebhook(id);
  listWebhooks: WebhookStore['listWebhooks'] = (q) => this.parts.webhooks.listWebhooks(q);
  listWebhooksByEvent: WebhookStore['listWebhooksByEvent'] = (e) =>
    this.parts.webhooks.listWebhooksByEvent(e);
  updateWebhook: WebhookStore['updateWebhook'] = (id, p) => this.parts.webhooks.updateWebhook(id, p);
  deleteWebhook: WebhookStore['deleteWebhook'] = (id) => this.parts.webhooks.deleteWebhook(id);
  ensureSetting: WebhookStore['ensureSetting'] = (k, v) => this.parts.webhooks.ensureSetting(k, v);
}
