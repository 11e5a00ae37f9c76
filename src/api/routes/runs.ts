import type { KeyValue } from '../../domain/entities/common.js';
import { RUN_STATUSES, type Run, type RunInfo, type RunStatus, TAG_USER } from '../../domain/entities/run.js';
import { invalidParam } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';
import { parseRunFilter, parseRunOrderBy } from '../../domain/search/runs.js';
import {
  exceedsMaxLength,
  missingValue,
  validateBatchLimits,
  validateRunId,
} from '../../domain/validation.js';
import {
  bounded,
  maxResults,
  metricFrom,
  outputStep,
  runIdOf,
  runParam,
  runTag,
  runTags,
} from '../inputs.js';
import {
  type Fields,
  keyValues,
  objList,
  optEnum,
  optInt,
  optObject,
  optString,
  reqString,
  strList,
} from '../request-fields.js';
import { type JsonRoute, RawJson } from '../route.js';
import { wireMetrics } from '../wire-json.js';
import { VIEW_TYPE_NUMBERS, VIEW_TYPES } from './experiments.js';

const RUN_STATUS_NUMBERS: Record<number, RunStatus> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

/** Run JSON: end_time omitted while null; metric doubles in protobuf-JSON form. */
export function wireRunInfo(i: RunInfo): Record<string, unknown> {
  const { end_time, start_time, ...rest } = i;
  const out: Record<string, unknown> = { ...rest };
  if (start_time !== null) out.start_time = start_time;
  if (end_time !== null) out.end_time = end_time;
  return out;
}

export function wireRun(r: Run): Record<string, unknown> {
  return {
    info: wireRunInfo(r.info),
    data: { metrics: wireMetrics(r.data.metrics), params: r.data.params, tags: r.data.tags },
    inputs: r.inputs,
    outputs: r.outputs,
  };
}

/**
 * Wire JSON per run snapshot. Stores may hand out the same immutable Run object for an unchanged run (the SQLite
 * store's snapshot cache does), so each snapshot is serialized once; a changed run is a new object.
 */
const runJsonMemo = new WeakMap<Run, Buffer>();

/** A run's wire JSON as UTF-8 bytes: search pages are concatenated from these without re-encoding. */
export function wireRunJson(r: Run): Buffer {
  let json = runJsonMemo.get(r);
  if (json === undefined) {
    json = Buffer.from(JSON.stringify(wireRun(r)));
    runJsonMemo.set(r, json);
  }
  return json;
}

const COMMA = Buffer.from(',');

function runIdForBatch(f: Fields): string {
  const id = runIdOf(f);
  validateRunId(id);
  return id;
}

function datasetInputs(f: Fields) {
  return objList(f, 'datasets').map((di, i) => {
    const d = optObject(di, 'dataset');
    if (d === undefined) throw invalidParam('Dataset cannot be None');
    const str = (k: string) => {
      const v = d[k];
      if (v === undefined || v === null) throw invalidParam(`Dataset ${k} cannot be None`);
      if (typeof v !== 'string') throw invalidParam(`Invalid value for datasets[${i}].dataset.${k}`);
      return v;
    };
    const dataset = {
      name: str('name'),
      digest: str('digest'),
      source_type: str('source_type'),
      source: str('source'),
    } as {
      name: string;
      digest: string;
      source_type: string;
      source: string;
      schema?: string;
      profile?: string;
    };
    const check = (k: string, v: string, max: number) => {
      if (v.length > max) throw invalidParam(exceedsMaxLength(k, max));
    };
    check('name', dataset.name, limits.datasetNameMax);
    check('digest', dataset.digest, limits.datasetDigestMax);
    check('source', dataset.source, limits.datasetSourceMax);
    if (typeof d.schema === 'string' && d.schema !== '') {
      check('schema', d.schema, limits.datasetSchemaMax);
      dataset.schema = d.schema;
    }
    if (typeof d.profile === 'string' && d.profile !== '') {
      check('profile', d.profile, limits.datasetProfileMax);
      dataset.profile = d.profile;
    }
    const tags = keyValues(di, 'tags').map((t) => {
      if (t.key.length > limits.inputTagKeyMax)
        throw invalidParam(exceedsMaxLength('key', limits.inputTagKeyMax));
      if (t.value.length > limits.inputTagValueMax)
        throw invalidParam(exceedsMaxLength('value', limits.inputTagValueMax));
      return t;
    });
    return { dataset, tags };
  });
}

const ok = {};

export const runRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/runs/create',
    handler: async (f, { store, config }) => {
      const tags = runTags(f, 'tags', config.truncateLongValues);
      const userId = optString(f, 'user_id') || tags.findLast((t) => t.key === TAG_USER)?.value || '';
      const input: {
        experimentId: string;
        userId: string;
        startTime: number | null;
        runName?: string;
        tags: KeyValue[];
      } = {
        experimentId: optString(f, 'experiment_id') || '0',
        userId,
        startTime: optInt(f, 'start_time') ?? Date.now(),
        tags,
      };
      const runName = optString(f, 'run_name');
      if (runName) input.runName = runName;
      return { run: wireRun(await store.createRun(input)) };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/runs/get',
    handler: async (f, { store }) =>
      new RawJson(`{"run":${wireRunJson(await store.getRun(runIdOf(f))).toString('utf8')}}`),
  },
  {
    method: 'POST',
    path: '/mlflow/runs/update',
    handler: async (f, { store }) => {
      const patch: { status?: RunStatus; endTime?: number; runName?: string } = {};
      const status = optEnum(f, 'status', RUN_STATUSES, RUN_STATUS_NUMBERS);
      if (status !== undefined) patch.status = status;
      const end = optInt(f, 'end_time');
      if (end !== undefined) patch.endTime = end;
      const name = optString(f, 'run_name');
      if (name) patch.runName = name;
      return { run_info: wireRunInfo(await store.updateRun(runIdOf(f), patch)) };
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/delete',
    handler: async (f, { store }) => {
      await store.deleteRun(reqString(f, 'run_id'));
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/restore',
    handler: async (f, { store }) => {
      await store.restoreRun(reqString(f, 'run_id'));
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/log-metric',
    handler: async (f, { store }) => {
      const runId = runIdOf(f);
      const metric = metricFrom(f, '');
      await store.logBatch(runId, { metrics: [metric], params: [], tags: [] });
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/log-parameter',
    handler: async (f, { store, config }) => {
      const runId = runIdOf(f);
      const key = reqString(f, 'key');
      const p = runParam({ key, value: optString(f, 'value') ?? '' }, '', config.truncateLongValues);
      await store.logParam(runId, p);
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/set-tag',
    handler: async (f, { store, config }) => {
      const runId = runIdOf(f);
      const tag = runTag(
        { key: reqString(f, 'key'), value: optString(f, 'value') ?? '' },
        '',
        config.truncateLongValues,
      );
      await store.logBatch(runId, { metrics: [], params: [], tags: [tag] });
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/delete-tag',
    handler: async (f, { store }) => {
      await store.deleteTag(reqString(f, 'run_id'), reqString(f, 'key'));
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/log-batch',
    handler: async (f, { store, config }) => {
      const runId = runIdForBatch(f);
      const rawMetrics = objList(f, 'metrics');
      const rawParams = keyValues(f, 'params');
      const rawTags = keyValues(f, 'tags');
      validateBatchLimits(rawMetrics.length, rawParams.length, rawTags.length);
      const metrics = rawMetrics.map((m, i) => metricFrom(m, `metrics[${i}]`));
      const params = rawParams.map((p, i) => runParam(p, `params[${i}]`, config.truncateLongValues));
      const seen = new Map<string, string>();
      const dupes = new Set<string>();
      for (const p of params) {
        const prev = seen.get(p.key);
        if (prev !== undefined && prev !== p.value) dupes.add(p.key);
        seen.set(p.key, p.value);
      }
      if (dupes.size > 0) {
        throw invalidParam(
          `Duplicate parameter keys have been submitted: [${[...dupes].map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
        );
      }
      const tags = rawTags.map((t, i) => runTag(t, `tags[${i}]`, config.truncateLongValues));
      await store.logBatch(runId, {
        metrics,
        params: [...new Map(params.map((p) => [p.key, p])).values()],
        tags,
      });
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/log-inputs',
    handler: async (f, { store }) => {
      const runId = runIdForBatch(f);
      const models = objList(f, 'models').map((m, i) => {
        if (typeof m.model_id !== 'string' || m.model_id === '')
          throw invalidParam(missingValue(`models[${i}].model_id`));
        return { model_id: m.model_id };
      });
      await store.logInputs(runId, datasetInputs(f), models);
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/outputs',
    handler: async (f, { store }) => {
      const runId = reqString(f, 'run_id');
      const models = objList(f, 'models').map((m, i) => {
        if (typeof m.model_id !== 'string' || m.model_id === '')
          throw invalidParam(missingValue(`models[${i}].model_id`));
        return { model_id: m.model_id, step: outputStep(m.step, `models[${i}].step`) };
      });
      await store.logOutputs(runId, models);
      return ok;
    },
  },
  {
    method: 'POST',
    path: '/mlflow/runs/log-model',
    handler: async (f, { store }) => {
      const runId = runIdOf(f);
      const raw = reqString(f, 'model_json');
      let model: Record<string, unknown>;
      try {
        model = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        throw invalidParam(`Malformed model info. \n {'model_json': '${raw}'}`);
      }
      for (const k of ['artifact_path', 'flavors', 'utc_time_created', 'run_id']) {
        if (model === null || typeof model !== 'object' || !(k in model)) {
          throw invalidParam(`Model json is missing mandatory fields: ${k}`);
        }
      }
      const run = await store.getRun(runId);
      const prev = run.data.tags.find((t) => t.key === 'mlflow.log-model.history')?.value;
      let history: unknown[] = [];
      try {
        const parsed = prev ? JSON.parse(prev) : [];
        if (Array.isArray(parsed)) history = parsed;
      } catch {
        history = [];
      }
      history.push(model);
      await store.logBatch(runId, {
        metrics: [],
        params: [],
        tags: [{ key: 'mlflow.log-model.history', value: JSON.stringify(history) }],
      });
      return ok;
    },
  },
  ...(['POST', 'GET'] as const).map(
    (method): JsonRoute => ({
      method,
      path: '/mlflow/runs/search',
      handler: async (f, { store }) => {
        const res = await store.searchRuns({
          experimentIds: bounded(strList(f, 'experiment_ids'), 'experiment_ids', limits.listValuesMax),
          filter: parseRunFilter(optString(f, 'filter')),
          viewType: optEnum(f, 'run_view_type', VIEW_TYPES, VIEW_TYPE_NUMBERS) ?? 'ACTIVE_ONLY',
          maxResults: maxResults(f, limits.searchRunsDefault, limits.searchRunsMax),
          orderBy: parseRunOrderBy(bounded(strList(f, 'order_by'), 'order_by', limits.orderByMax)),
          pageToken: optString(f, 'page_token'),
        });
        const parts: Buffer[] = [Buffer.from('{"runs":[')];
        res.items.forEach((run, i) => {
          if (i > 0) parts.push(COMMA);
          parts.push(wireRunJson(run));
        });
        const token = res.nextPageToken ? `,"next_page_token":${JSON.stringify(res.nextPageToken)}` : '';
        parts.push(Buffer.from(`]${token}}`));
        return new RawJson(Buffer.concat(parts));
      },
    }),
  ),
];
