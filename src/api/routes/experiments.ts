import path from 'node:path';
import type { ViewType } from '../../domain/entities/common.js';
import type { Experiment } from '../../domain/entities/experiment.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';
import { parseExperimentFilter, parseExperimentOrderBy } from '../../domain/search/experiments.js';
import { validateExperimentName } from '../../domain/validation.js';
import { bounded, experimentTag, maxResults } from '../inputs.js';
import { keyValues, optEnum, optString, reqString, strList } from '../request-fields.js';
import type { JsonRoute } from '../route.js';

export const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];
export const VIEW_TYPE_NUMBERS: Record<number, ViewType> = { 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' };

/** Wire form: the workspace column is not part of MLflow's Experiment message yet. */
export function wireExperiment(e: Experiment): Omit<Experiment, 'workspace'> {
  const { workspace: _ws, ...rest } = e;
  return rest;
}

/** User-supplied artifact locations: allowed shapes only (no fragment, no ;params, no `..` in the query). */
function artifactLocation(raw: string | undefined, cwd: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > limits.artifactLocationMax) {
    throw invalidParam(
      `Invalid artifact path length. The length of the artifact path cannot be greater than ${limits.artifactLocationMax} characters. To configure this limit, please set the MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.`,
    );
  }
  if (raw.startsWith('runs:'))
    throw invalidParam(`Artifact location cannot be a runs:/ URI. Given: '${raw}'`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1];
  if (scheme === undefined || scheme.length === 1) {
    if (raw.includes('#') || raw.includes('\0')) throw invalidParam(`Invalid artifact location '${raw}'`);
    return path.resolve(cwd, raw);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParam(`Invalid artifact location '${raw}'`);
  }
  if (url.hash !== '' || raw.includes('#'))
    throw invalidParam("'artifact_location' URL can't include fragments.");
  if (/;[^/]*$/.test(url.pathname)) throw invalidParam("'artifact_location' URL can't include parameters.");
  if (safeDecode(url.search).includes('..'))
    throw invalidParam("'artifact_location' URL can't include '..' in query.");
  return raw;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidParam("'artifact_location' URL has a malformed percent-escape.");
  }
}

export const experimentRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/experiments/create',
    handler: async (f, { store, config }) => {
      const name = validateExperimentName(reqString(f, 'name'));
      const tags = keyValues(f, 'tags').map(experimentTag);
      const loc = artifactLocation(optString(f, 'artifact_location'), config.cwd);
      const input: { name: string; artifactLocation?: string; tags: typeof tags } = { name, tags };
      if (loc !== undefined) input.artifactLocation = loc;
      return { experiment_id: await store.createExperiment(input) };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/experiments/get',
    handler: async (f, { store }) => ({
      experiment: wireExperiment(await store.getExperiment(reqString(f, 'experiment_id'))),
    }),
  },
  {
    method: 'GET',
    path: '/mlflow/experiments/get-by-name',
    handler: async (f, { store }) => {
      const name = reqString(f, 'experiment_name');
      const e = await store.getExperimentByName(name);
      if (e === null) throw notFound(`Could not find experiment with name '${name}'`);
      return { experiment: wireExperiment(e) };
    },
  },
  ...(['POST', 'GET'] as const).map(
    (method): JsonRoute => ({
      method,
      path: '/mlflow/experiments/search',
      handler: async (f, { store }) => {
        const res = await store.searchExperiments({
          viewType: optEnum(f, 'view_type', VIEW_TYPES, VIEW_TYPE_NUMBERS) ?? 'ACTIVE_ONLY',
          maxResults: maxResults(f, undefined, limits.searchExperimentsMax),
          filter: parseExperimentFilter(optString(f, 'filter')),
          orderBy: parseExperimentOrderBy(bounded(strList(f, 'order_by'), 'order_by', limits.orderByMax)),
          pageToken: optString(f, 'page_token'),
        });
        const out: { experiments: unknown[]; next_page_token?: string } = {
          experiments: res.items.map(wireExperiment),
        };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    }),
  ),
  {
    method: 'POST',
    path: '/mlflow/experiments/delete',
    handler: async (f, { store }) => {
      await store.deleteExperiment(reqString(f, 'experiment_id'));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/experiments/restore',
    handler: async (f, { store }) => {
      await store.restoreExperiment(reqString(f, 'experiment_id'));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/experiments/update',
    handler: async (f, { store }) => {
      const id = reqString(f, 'experiment_id');
      const newName = optString(f, 'new_name');
      if (newName === undefined || newName === '') {
        throw invalidParam(
          `${"Missing value for required parameter 'new_name'."} See the API docs for more information about request parameters.`,
        );
      }
      await store.renameExperiment(id, validateExperimentName(newName));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/experiments/set-experiment-tag',
    handler: async (f, { store }) => {
      const id = reqString(f, 'experiment_id');
      const tag = experimentTag({ key: reqString(f, 'key'), value: optString(f, 'value') ?? '' });
      await store.setExperimentTag(id, tag);
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/experiments/delete-experiment-tag',
    handler: async (f, { store }) => {
      await store.deleteExperimentTag(reqString(f, 'experiment_id'), reqString(f, 'key'));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/experiments/search-datasets',
    ajaxOnly: true,
    handler: async (f, { store }) => {
      const ids = strList(f, 'experiment_ids');
      if (ids.length === 0)
        throw invalidParam('SearchDatasets request must specify at least one experiment_id.');
      if (ids.length > 20) {
        throw invalidParam(
          `SearchDatasets request cannot specify more than 20 experiment_ids. Received ${ids.length} experiment_ids.`,
        );
      }
      return { dataset_summaries: await store.searchDatasets(ids) };
    },
  },
];
