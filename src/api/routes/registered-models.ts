import { canonicalStage, type Stage, TAG_IS_PROMPT } from '../../domain/entities/registry.js';
import { invalidParam } from '../../domain/errors.js';
import { parseVersion, validateAlias, validateModelName } from '../../domain/registry-validation.js';
import {
  filterAsksForPrompts,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  withoutPromptTagClauses,
} from '../../domain/search/registry.js';
import { limitLength, validateKey } from '../../domain/validation.js';
import { bounded } from '../inputs.js';
import { type Fields, keyValues, optInt, optString, reqString, strList } from '../request-fields.js';
import type { JsonRoute } from '../route.js';
import { PROMPT_INTERNAL_TAGS, tagDict } from './webhook-events.js';

export const REGISTRY_TAG_VALUE_MAX = 100000;

export function registryTag(kv: { key: string; value: string }): { key: string; value: string } {
  validateKey(kv.key, 'key');
  limitLength('key', 250, kv.key);
  limitLength('value', REGISTRY_TAG_VALUE_MAX, kv.value);
  return kv;
}

/** MLflow's registry search max_results rule. */
export function registryMaxResults(f: Fields, dflt: number, max: number): number {
  const n = optInt(f, 'max_results') ?? dflt;
  if (n < 1 || n > max) {
    throw invalidParam(
      `Invalid value for request parameter max_results. It must be at least 1 and at most ${max}, but got value ${n}`,
    );
  }
  return n;
}

export function stageOf(raw: string): Stage {
  const s = canonicalStage(raw);
  if (s === undefined) {
    throw invalidParam(
      `Invalid Model Version stage: ${raw}. Value must be one of None, Staging, Production, Archived.`,
    );
  }
  return s;
}

const name = (f: Fields) => validateModelName(optString(f, 'name'));

export const registeredModelRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/registered-models/create',
    handler: async (f, { store, webhooks }) => {
      const input: { name: string; tags: { key: string; value: string }[]; description?: string } = {
        name: name(f),
        tags: keyValues(f, 'tags').map(registryTag),
      };
      const description = optString(f, 'description');
      if (description) input.description = description;
      const registered_model = await store.createRegisteredModel(input);
      const prompt = input.tags.findLast((t) => t.key === TAG_IS_PROMPT)?.value.toLowerCase() === 'true';
      webhooks.notify(
        input.name,
        (isPrompt) => [
          { entity: isPrompt ? 'PROMPT' : 'REGISTERED_MODEL', action: 'CREATED' },
          {
            name: input.name,
            tags: tagDict(input.tags, isPrompt ? PROMPT_INTERNAL_TAGS : []),
            description: description ?? null,
          },
        ],
        prompt,
      );
      return { registered_model };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/registered-models/get',
    handler: async (f, { store }) => ({ registered_model: await store.getRegisteredModel(name(f)) }),
  },
  {
    method: 'POST',
    path: '/mlflow/registered-models/rename',
    handler: async (f, { store }) => {
      const newName = validateModelName(optString(f, 'new_name'), 'new_name');
      return { registered_model: await store.renameRegisteredModel(name(f), newName) };
    },
  },
  {
    method: 'PATCH',
    path: '/mlflow/registered-models/update',
    handler: async (f, { store }) => ({
      registered_model: await store.updateRegisteredModel(name(f), optString(f, 'description')),
    }),
  },
  {
    method: 'DELETE',
    path: '/mlflow/registered-models/delete',
    handler: async (f, { store }) => {
      await store.deleteRegisteredModel(name(f));
      return {};
    },
  },
  ...(['GET', 'POST'] as const).map(
    (method): JsonRoute => ({
      method,
      path: '/mlflow/registered-models/search',
      handler: async (f, { store }) => {
        const parsed = parseRegisteredModelFilter(optString(f, 'filter'));
        const includePrompts = filterAsksForPrompts(parsed);
        // Like MLflow: unless prompts are asked for, clauses on the prompt tag are dropped and prompts excluded.
        const filter = withoutPromptTagClauses(parsed);
        const q: Parameters<typeof store.searchRegisteredModels>[0] = {
          filter,
          includePrompts,
          maxResults: registryMaxResults(f, 100, 1000),
          orderBy: parseRegisteredModelOrderBy(bounded(strList(f, 'order_by'), 'order_by', 20)),
        };
        const token = optString(f, 'page_token');
        if (token) q.pageToken = token;
        const res = await store.searchRegisteredModels(q);
        const out: { registered_models: unknown[]; next_page_token?: string } = {
          registered_models: res.items,
        };
        if (res.nextPageToken) out.next_page_token = res.nextPageToken;
        return out;
      },
    }),
  ),
  ...(['POST', 'GET'] as const).map(
    (method): JsonRoute => ({
      method,
      path: '/mlflow/registered-models/get-latest-versions',
      handler: async (f, { store }) => ({
        model_versions: await store.getLatestVersions(name(f), strList(f, 'stages').map(stageOf)),
      }),
    }),
  ),
  {
    method: 'POST',
    path: '/mlflow/registered-models/set-tag',
    handler: async (f, { store, webhooks }) => {
      const tag = registryTag({ key: reqString(f, 'key'), value: optString(f, 'value') ?? '' });
      const n = name(f);
      await store.setRegisteredModelTag(n, tag);
      webhooks.notify(n, (isPrompt) =>
        isPrompt
          ? [
              { entity: 'PROMPT_TAG', action: 'SET' },
              { name: n, key: tag.key, value: tag.value },
            ]
          : undefined,
      );
      return {};
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/registered-models/delete-tag',
    handler: async (f, { store, webhooks }) => {
      const key = reqString(f, 'key');
      validateKey(key, 'key');
      const n = name(f);
      await store.deleteRegisteredModelTag(n, key);
      webhooks.notify(n, (isPrompt) =>
        isPrompt
          ? [
              { entity: 'PROMPT_TAG', action: 'DELETED' },
              { name: n, key },
            ]
          : undefined,
      );
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/registered-models/alias',
    handler: async (f, { store, webhooks }) => {
      const alias = validateAlias(optString(f, 'alias'), true);
      const n = name(f);
      const v = optString(f, 'version') ?? '';
      await store.setRegisteredModelAlias(n, alias, parseVersion(v));
      webhooks.notify(n, (isPrompt) => [
        { entity: isPrompt ? 'PROMPT_ALIAS' : 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { name: n, alias, version: v },
      ]);
      return {};
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/registered-models/alias',
    handler: async (f, { store, webhooks }) => {
      const n = name(f);
      const alias = validateAlias(optString(f, 'alias'), false);
      await store.deleteRegisteredModelAlias(n, alias);
      webhooks.notify(n, (isPrompt) => [
        { entity: isPrompt ? 'PROMPT_ALIAS' : 'MODEL_VERSION_ALIAS', action: 'DELETED' },
        { name: n, alias },
      ]);
      return {};
    },
  },
  {
    method: 'GET',
    path: '/mlflow/registered-models/alias',
    handler: async (f, { store }) => ({
      model_version: await store.getModelVersionByAlias(name(f), validateAlias(optString(f, 'alias'), false)),
    }),
  },
];
