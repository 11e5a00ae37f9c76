import { setImmediate } from 'node:timers/promises';
import type { Metric } from '../../domain/entities/metric.js';
import { invalidParam } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';
import { maxResults, runIdOf } from '../inputs.js';
import { optInt, optString, reqString, strList } from '../request-fields.js';
import { type JsonRoute, JsonStream } from '../route.js';
import { wireMetrics } from '../wire-json.js';

/**
 * `{"metrics":[...]}` written chunk by chunk (the same bytes as JSON.stringify of the whole response), yielding
 * to other requests between chunks.
 */
async function* metricsDocument(chunks: AsyncIterable<Metric[]>): AsyncIterable<string> {
  let sep = '{"metrics":[';
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const json = JSON.stringify(wireMetrics(chunk));
    yield sep + json.slice(1, -1);
    sep = ',';
    await setImmediate();
  }
  yield sep === ',' ? ']}' : '{"metrics":[]}';
}

const SEE_DOCS = ' See the API docs for more information about request parameters.';
export const metricRoutes: JsonRoute[] = [
  {
    method: 'GET',
    path: '/mlflow/metrics/get-history',
    handler: async (f, { store }) => {
      const runId = runIdOf(f);
      const key = reqString(f, 'metric_key');
      const max = optInt(f, 'max_results');
      if (max !== undefined && max < 0)
        throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied.`);
      const page: { maxResults?: number; pageToken?: string } = {};
      // No max_results means the whole series (the proto's documented meaning; MLflow's SQL store returns nothing).
      if (max !== undefined && max > 0) page.maxResults = max;
      const token = optString(f, 'page_token');
      if (token) page.pageToken = token;
      if (page.maxResults === undefined && page.pageToken === undefined) {
        return new JsonStream(metricsDocument(await store.streamMetricHistory(runId, key)));
      }
      const res = await store.getMetricHistory(runId, key, page);
      const out: { metrics: unknown[]; next_page_token?: string } = { metrics: wireMetrics(res.items) };
      if (res.nextPageToken) out.next_page_token = res.nextPageToken;
      return out;
    },
  },
  {
    method: 'GET',
    path: '/mlflow/metrics/get-history-bulk-interval',
    handler: async (f, { store }) => {
      const runIds = strList(f, 'run_ids');
      if (runIds.length === 0)
        throw invalidParam(`Missing value for required parameter 'run_ids'.${SEE_DOCS}`);
      if (runIds.length > limits.bulkRunIdsMax) {
        throw invalidParam(
          `GetMetricHistoryBulkInterval request must specify at most ${limits.bulkRunIdsMax} run_ids. Received ${runIds.length} run_ids.${SEE_DOCS}`,
        );
      }
      const key = reqString(f, 'metric_key');
      const max = optInt(f, 'max_results') ?? limits.bulkIntervalMaxResults;
      if (max < 1 || max > limits.bulkIntervalMaxResults) {
        throw invalidParam(`max_results must be between 1 and ${limits.bulkIntervalMaxResults}.${SEE_DOCS}`);
      }
      const startStep = optInt(f, 'start_step');
      const endStep = optInt(f, 'end_step');
      if ((startStep === undefined) !== (endStep === undefined)) {
        throw invalidParam('If either start step or end step are specified, both must be specified.');
      }
      if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
        throw invalidParam(
          `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
        );
      }
      const q: { runIds: string[]; key: string; startStep?: number; endStep?: number; maxResults: number } = {
        runIds,
        key,
        maxResults: max,
      };
      if (startStep !== undefined) q.startStep = startStep;
      if (endStep !== undefined) q.endStep = endStep;
      return { metrics: wireMetrics(await store.getMetricHistoryBulkInterval(q)) };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/metrics/get-history-bulk',
    ajaxOnly: true,
    handler: async (f, { store }) => {
      const runIds = strList(f, 'run_id');
      if (runIds.length === 0)
        throw invalidParam('GetMetricHistoryBulk request must specify at least one run_id.');
      if (runIds.length > limits.bulkRunIdsMax) {
        throw invalidParam(
          `GetMetricHistoryBulk request cannot specify more than ${limits.bulkRunIdsMax} run_ids. Received ${runIds.length} run_ids.`,
        );
      }
      const key = optString(f, 'metric_key');
      if (key === undefined) throw invalidParam('GetMetricHistoryBulk request must specify a metric_key.');
      const max = Math.min(
        maxResults(f, limits.bulkHistoryMax, Number.MAX_SAFE_INTEGER),
        limits.bulkHistoryMax,
      );
      return { metrics: wireMetrics(await store.getMetricHistoryBulk(runIds, key, max)) };
    },
  },
];
