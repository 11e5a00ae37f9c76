import {
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelStatus,
} from '../../domain/entities/logged-model.js';
import { invalidParam } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';
import { parseLoggedModelFilter } from '../../domain/search/logged-models.js';
import { loggedModelTokenFields } from '../../domain/search/page-token.js';
import { limitLength, validateKey, validateLoggedModelName } from '../../domain/validation.js';
import { bounded, maxResults } from '../inputs.js';
import {
  type Fields,
  keyValues,
  objList,
  optEnum,
  optString,
  reqString,
  strList,
} from '../request-fields.js';
import type { JsonRoute } from '../route.js';
import { wireMetrics } from '../wire-json.js';

const STATUS_NUMBERS: Record<number, LoggedModelStatus> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
};

export function wireLoggedModel(m: LoggedModel): unknown {
  return { info: m.info, data: { params: m.data.params, metrics: wireMetrics(m.data.metrics) } };
}

function modelTags(f: Fields) {
  return keyValues(f, 'tags').map((t) => {
    validateKey(t.key, 'key');
    limitLength('key', limits.keyMax, t.key);
    return { key: t.key, value: limitLength('value', limits.loggedModelTagValueMax, t.value) };
  });
}

function modelParams(f: Fields) {
  return keyValues(f, 'params').map((p) => {
    validateKey(p.key, 'key');
    limitLength('Param key', limits.keyMax, p.key);
    return p;
  });
}

function ascending(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter 'order_by.ascending' supplied.`);
}

export const loggedModelRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/logged-models',
    handler: async (f, { store }) => {
      const name = optString(f, 'name');
      validateLoggedModelName(name === '' ? undefined : name);
      const input: Parameters<typeof store.createLoggedModel>[0] = {
        experimentId: reqString(f, 'experiment_id'),
        params: modelParams(f),
        tags: modelTags(f),
      };
      if (name) input.name = name;
      const modelType = optString(f, 'model_type');
      if (modelType) input.modelType = modelType;
      const sourceRunId = optString(f, 'source_run_id');
      if (sourceRunId) input.sourceRunId = sourceRunId;
      return { model: wireLoggedModel(await store.createLoggedModel(input)) };
    },
  },
  {
    method: 'POST',
    path: '/mlflow/logged-models/search',
    handler: async (f, { store }) => {
      const experimentIds = bounded(strList(f, 'experiment_ids'), 'experiment_ids', limits.listValuesMax);
      if (experimentIds.length === 0) {
        throw invalidParam(
          "Missing value for required parameter 'experiment_ids'. See the API docs for more information about request parameters.",
        );
      }
      const filter = optString(f, 'filter');
      const rawOrder = bounded(objList(f, 'order_by'), 'order_by', limits.orderByMax);
      const orderBy = rawOrder.map((o) => {
        if (typeof o.field_name !== 'string' || o.field_name === '')
          throw invalidParam("Missing value for required parameter 'order_by.field_name'.");
        const term: {
          field_name: string;
          ascending: boolean;
          dataset_name?: string;
          dataset_digest?: string;
        } = {
          field_name: o.field_name,
          ascending: ascending(o.ascending),
        };
        if (typeof o.dataset_name === 'string') term.dataset_name = o.dataset_name;
        if (typeof o.dataset_digest === 'string') term.dataset_digest = o.dataset_digest;
        return term;
      });
      const datasets = bounded(objList(f, 'datasets'), 'datasets', 1000).map((d) => {
        if (typeof d.dataset_name !== 'string' || d.dataset_name === '')
          throw invalidParam("Missing value for required parameter 'datasets.dataset_name'.");
        const o: { dataset_name: string; dataset_digest?: string } = { dataset_name: d.dataset_name };
        if (typeof d.dataset_digest === 'string' && d.dataset_digest) o.dataset_digest = d.dataset_digest;
        return o;
      });
      const q: Parameters<typeof store.searchLoggedModels>[0] = {
        experimentIds,
        filter: parseLoggedModelFilter(filter),
        datasets,
        maxResults: maxResults(f, limits.searchLoggedModelsDefault, limits.searchLoggedModelsMax),
        orderBy,
        tokenContext: loggedModelTokenFields(experimentIds, filter, rawOrder),
      };
      const token = optString(f, 'page_token');
      if (token) q.pageToken = token;
      const res = await store.searchLoggedModels(q);
      const out: { models: unknown[]; next_page_token?: string } = { models: res.items.map(wireLoggedModel) };
      if (res.nextPageToken) out.next_page_token = res.nextPageToken;
      return out;
    },
  },
  {
    method: 'GET',
    path: '/mlflow/logged-models/:model_id',
    handler: async (f, { store }) => ({
      model: wireLoggedModel(await store.getLoggedModel(reqString(f, 'model_id'))),
    }),
  },
  {
    method: 'PATCH',
    path: '/mlflow/logged-models/:model_id',
    handler: async (f, { store }) => {
      const status = optEnum(f, 'status', LOGGED_MODEL_STATUSES, STATUS_NUMBERS);
      if (status === undefined) {
        throw invalidParam(
          "Missing value for required parameter 'status'. See the API docs for more information about request parameters.",
        );
      }
      return { model: wireLoggedModel(await store.finalizeLoggedModel(reqString(f, 'model_id'), status)) };
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/logged-models/:model_id',
    handler: async (f, { store }) => {
      await store.deleteLoggedModel(reqString(f, 'model_id'));
      return {};
    },
  },
  {
    method: 'PATCH',
    path: '/mlflow/logged-models/:model_id/tags',
    handler: async (f, { store }) => {
      await store.setLoggedModelTags(reqString(f, 'model_id'), modelTags(f));
      return {};
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/logged-models/:model_id/tags/:tag_key',
    handler: async (f, { store }) => {
      await store.deleteLoggedModelTag(reqString(f, 'model_id'), reqString(f, 'tag_key'));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/logged-models/:model_id/params',
    handler: async (f, { store }) => {
      await store.logLoggedModelParams(reqString(f, 'model_id'), modelParams(f));
      return {};
    },
  },
];
