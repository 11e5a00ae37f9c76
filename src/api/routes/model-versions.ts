import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROMPT_SOURCE, TAG_IS_PROMPT } from '../../domain/entities/registry.js';
import { TAG_LOGGED_MODEL_VERSIONS } from '../../domain/entities/run.js';
import { invalidParam } from '../../domain/errors.js';
import {
  checkNonLocalSource,
  isLocalSource,
  parseVersion,
  validateModelName,
} from '../../domain/registry-validation.js';
import {
  filterAsksForPrompts,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  withoutPromptTagClauses,
} from '../../domain/search/registry.js';
import { validateKey } from '../../domain/validation.js';
import type { TrackingStore } from '../../store/types.js';
import { bounded } from '../inputs.js';
import { type Fields, keyValues, optBool, optString, reqString, strList } from '../request-fields.js';
import type { JsonRoute } from '../route.js';
import { registryMaxResults, registryTag, stageOf } from './registered-models.js';
import { PROMPT_INTERNAL_TAGS, TAG_PROMPT_TEXT, tagDict } from './webhook-events.js';

/** The only sources a prompt version may have (MLflow's client and store placeholders). */
const PROMPT_SOURCES = new Set([PROMPT_SOURCE, 'dummy-source']);
const LOGGED_MODEL_URI = /^models:\/(m-[0-9a-f]{32})\/?$/;
const VERSION_URI = /^models:\/([^/@]+)\/(\d+)\/?$/;

const toLocalPath = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : path.resolve(uri));

/** Whether local path/URI p lies inside dir; anything that is not a usable local path is outside. */
function within(dir: string, p: string): boolean {
  if (p.includes('\0')) return false;
  try {
    const rel = path.relative(toLocalPath(dir), toLocalPath(p));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  } catch {
    return false; // e.g. file://remote-host/x or a malformed escape
  }
}

/**
 * MLflow's source rules for a new version (handlers._create_model_version): `models:/<model_id>` resolves to the
 * logged model's artifacts (run_id defaults to its source run), `models:/name/version` to that version's download
 * URI; a local path must lie inside the run's (or logged model's) local artifact directory; other URIs may not
 * carry relative segments. Prompts skip these checks.
 */
async function resolveSource(
  store: TrackingStore,
  input: { source: string; runId?: string; modelId?: string },
): Promise<{ storageLocation: string; runId?: string; modelId?: string }> {
  const { source } = input;
  const out: { storageLocation: string; runId?: string; modelId?: string } = { storageLocation: source };
  if (input.runId) out.runId = input.runId;
  if (input.modelId) out.modelId = input.modelId;
  const lm = LOGGED_MODEL_URI.exec(source);
  if (lm?.[1]) {
    if (input.modelId && input.modelId !== lm[1])
      throw invalidParam(`Invalid model version source: '${source}'.`);
    const model = await store.getLoggedModel(lm[1]);
    out.storageLocation = model.info.artifact_uri;
    out.modelId = lm[1];
    if (!out.runId && model.info.source_run_id) out.runId = model.info.source_run_id;
    return out;
  }
  const mv = VERSION_URI.exec(source);
  if (mv?.[1] && mv[2]) {
    const rm = await store.getRegisteredModel(mv[1]);
    if (rm.tags.some((t) => t.key === TAG_IS_PROMPT && t.value.toLowerCase() === 'true')) {
      throw invalidParam(
        `Invalid model version source: '${source}'. Prompt versions cannot be used as model version sources.`,
      );
    }
    out.storageLocation = await store.getModelVersionDownloadUri(mv[1], Number(mv[2]));
    return out;
  }
  if (source.startsWith('models:')) throw invalidParam(`Invalid model version source: '${source}'.`);
  if (isLocalSource(source)) {
    const owner = out.modelId
      ? (await store.getLoggedModel(out.modelId)).info.artifact_uri
      : out.runId
        ? (await store.getRun(out.runId)).info.artifact_uri
        : undefined;
    if (owner === undefined || !isLocalSource(owner) || !within(owner, source)) {
      throw invalidParam(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
      );
    }
    return out;
  }
  checkNonLocalSource(source);
  return out;
}

/**
 * Records {name, version} in the logged model's `mlflow.modelVersions` tag, as MLflow's server does (version as a
 * number there; the Python client then appends its own entry with a string version).
 */
async function linkLoggedModel(
  store: TrackingStore,
  modelId: string,
  name: string,
  version: string,
): Promise<void> {
  const model = await store.getLoggedModel(modelId);
  const prev = model.info.tags.find((t) => t.key === TAG_LOGGED_MODEL_VERSIONS)?.value;
  let list: unknown[] = [];
  try {
    const parsed: unknown = prev ? JSON.parse(prev) : [];
    if (Array.isArray(parsed)) list = parsed;
  } catch {
    list = [];
  }
  const entry = { name, version: Number(version) };
  if (!list.some((e) => JSON.stringify(e) === JSON.stringify(entry))) list.push(entry);
  await store.setLoggedModelTags(modelId, [{ key: TAG_LOGGED_MODEL_VERSIONS, value: JSON.stringify(list) }]);
}

const name = (f: Fields) => validateModelName(optString(f, 'name'));
const version = (f: Fields) => parseVersion(optString(f, 'version'));

export const modelVersionRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/model-versions/create',
    handler: async (f, { store, config, webhooks }) => {
      const n = name(f);
      const source = reqString(f, 'source');
      const tags = keyValues(f, 'tags').map(registryTag);
      // Like MLflow: tags collapse by key (last wins) and only a true-valued prompt tag selects the prompt path.
      const isPrompt = tags.findLast((t) => t.key === TAG_IS_PROMPT)?.value.toLowerCase() === 'true';
      if (isPrompt && !PROMPT_SOURCES.has(source)) {
        throw invalidParam(
          `Invalid prompt source: '${source}'. Prompt sources must use an MLflow placeholder.`,
        );
      }
      const pattern = config.modelVersionSourceRegex;
      if (pattern !== undefined && !new RegExp(pattern).test(source)) {
        throw invalidParam(`Invalid model version source: '${source}'.`);
      }
      const runId = optString(f, 'run_id');
      const modelId = optString(f, 'model_id');
      const resolved = isPrompt
        ? { storageLocation: source, ...(runId ? { runId } : {}) }
        : await resolveSource(store, {
            source,
            ...(runId ? { runId } : {}),
            ...(modelId ? { modelId } : {}),
          });
      const input: Parameters<typeof store.createModelVersion>[0] = { name: n, source, tags, ...resolved };
      const runLink = optString(f, 'run_link');
      if (runLink) input.runLink = runLink;
      const description = optString(f, 'description');
      if (description) input.description = description;
      const mv = await store.createModelVersion(input);
      if (!isPrompt && resolved.modelId) await linkLoggedModel(store, resolved.modelId, mv.name, mv.version);
      const desc = description || null;
      webhooks.notify(
        n,
        () =>
          isPrompt
            ? [
                { entity: 'PROMPT_VERSION', action: 'CREATED' },
                {
                  name: n,
                  version: mv.version,
                  template: tags.findLast((t) => t.key === TAG_PROMPT_TEXT)?.value ?? null,
                  tags: tagDict(tags, [...PROMPT_INTERNAL_TAGS, TAG_PROMPT_TEXT]),
                  description: desc,
                },
              ]
            : [
                { entity: 'MODEL_VERSION', action: 'CREATED' },
                {
                  name: n,
                  version: mv.version,
                  source,
                  run_id: resolved.runId ?? null,
                  tags: tagDict(tags, []),
                  description: desc,
                },
              ],
        isPrompt,
      );
      return { model_version: mv };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/model-versions/get',
    handler: async (f, { store }) => ({ model_version: await store.getModelVersion(name(f), version(f)) }),
  },
  {
    method: 'PATCH',
    path: '/mlflow/model-versions/update',
    handler: async (f, { store }) => ({
      model_version: await store.updateModelVersion(name(f), version(f), optString(f, 'description')),
    }),
  },
  {
    method: 'POST',
    path: '/mlflow/model-versions/transition-stage',
    handler: async (f, { store }) => {
      const stage = stageOf(reqString(f, 'stage'));
      const archive = optBool(f, 'archive_existing_versions') ?? false;
      return { model_version: await store.transitionModelVersionStage(name(f), version(f), stage, archive) };
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/model-versions/delete',
    handler: async (f, { store }) => {
      await store.deleteModelVersion(name(f), version(f));
      return {};
    },
  },
  {
    method: 'GET',
    path: '/mlflow/model-versions/get-download-uri',
    handler: async (f, { store }) => ({
      artifact_uri: await store.getModelVersionDownloadUri(name(f), version(f)),
    }),
  },
  ...(['GET', 'POST'] as const).map(
    (method): JsonRoute => ({
      method,
      path: '/mlflow/model-versions/search',
      handler: async (f, { store }) => {
        const parsed = parseModelVersionFilter(optString(f, 'filter'));
        const includePrompts = filterAsksForPrompts(parsed);
        // Like MLflow: unless prompts are asked for, clauses on the prompt tag are dropped and prompts excluded.
        const filter = withoutPromptTagClauses(parsed);
        const q: Parameters<typeof store.searchModelVersions>[0] = {
          filter,
          includePrompts,
          maxResults: registryMaxResults(f, 200000, 200000),
          orderBy: parseModelVersionOrderBy(bounded(strList(f, 'order_by'), 'order_by', 20)),
        };
        const token = optString(f, 'page_token');
        if (token) q.pageToken = token;
        const res = await store.searchModelVersions(q);
        const out: { model_versions: unknown[]; next_page_token?: string } = { model_versions: res.items };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    }),
  ),
  {
    method: 'POST',
    path: '/mlflow/model-versions/set-tag',
    handler: async (f, { store, webhooks }) => {
      const tag = registryTag({ key: reqString(f, 'key'), value: optString(f, 'value') ?? '' });
      const n = name(f);
      const v = optString(f, 'version') ?? '';
      await store.setModelVersionTag(n, version(f), tag);
      webhooks.notify(n, (isPrompt) => [
        { entity: isPrompt ? 'PROMPT_VERSION_TAG' : 'MODEL_VERSION_TAG', action: 'SET' },
        { name: n, version: v, key: tag.key, value: tag.value },
      ]);
      return {};
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/model-versions/delete-tag',
    handler: async (f, { store, webhooks }) => {
      const key = reqString(f, 'key');
      validateKey(key, 'key');
      const n = name(f);
      const v = optString(f, 'version') ?? '';
      await store.deleteModelVersionTag(n, version(f), key);
      webhooks.notify(n, (isPrompt) => [
        { entity: isPrompt ? 'PROMPT_VERSION_TAG' : 'MODEL_VERSION_TAG', action: 'DELETED' },
        { name: n, version: v, key },
      ]);
      return {};
    },
  },
];
