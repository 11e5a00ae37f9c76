import { invalidParam } from '../../domain/errors.js';
import { limitLength } from '../../domain/validation.js';
import {
  parseWebhookEvent,
  parseWebhookEvents,
  parseWebhookStatus,
  validateWebhookName,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_SECRET_MAX,
  type Webhook,
  type WebhookRecord,
} from '../../domain/webhooks.js';
import type { WebhookInput } from '../../store/types.js';
import { type Fields, objList, optInt, optObject, optString, reqString } from '../request-fields.js';
import type { HandlerContext, JsonRoute } from '../route.js';

/** The wire form: everything but the sealed secret. */
function wire(w: WebhookRecord): Webhook {
  const { secret_ciphertext: _sealed, ...rest } = w;
  return rest;
}

function description(f: Fields): string | undefined {
  const d = optString(f, 'description');
  if (d !== undefined) limitLength('description', WEBHOOK_DESCRIPTION_MAX, d);
  return d;
}

async function sealedSecret(f: Fields, ctx: HandlerContext): Promise<string | undefined> {
  const s = optString(f, 'secret');
  if (s === undefined) return undefined;
  limitLength('secret', WEBHOOK_SECRET_MAX, s);
  return ctx.webhooks.seal(s);
}

const id = (f: Fields) => reqString(f, 'webhook_id');

export const webhookRoutes: JsonRoute[] = [
  {
    method: 'POST',
    path: '/mlflow/webhooks',
    handler: async (f, ctx) => {
      const name = validateWebhookName(reqString(f, 'name'));
      const url = reqString(f, 'url');
      if (f.events === undefined || f.events === null)
        throw invalidParam("Missing value for required parameter 'events'.");
      const events = parseWebhookEvents(objList(f, 'events'));
      const status = optString(f, 'status');
      const desc = description(f);
      await ctx.webhooks.checkUrl(url);
      const input: WebhookInput = {
        name,
        url,
        events,
        status: status ? parseWebhookStatus(status) : 'ACTIVE',
      };
      if (desc) input.description = desc;
      const secret = await sealedSecret(f, ctx);
      if (secret) input.secretCiphertext = secret;
      const webhook = await ctx.store.createWebhook(input);
      ctx.webhooks.invalidate();
      return { webhook: wire(webhook) };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/webhooks',
    handler: async (f, { store }) => {
      const maxResults = optInt(f, 'max_results') || 100;
      if (maxResults < 1 || maxResults > 1000) throw invalidParam('max_results must be between 1 and 1000.');
      const q: { maxResults: number; pageToken?: string } = { maxResults };
      const token = optString(f, 'page_token');
      if (token) q.pageToken = token;
      const page = await store.listWebhooks(q);
      return { webhooks: page.items.map(wire), next_page_token: page.nextPageToken };
    },
  },
  {
    method: 'GET',
    path: '/mlflow/webhooks/:webhook_id',
    handler: async (f, { store }) => ({ webhook: wire(await store.getWebhook(id(f))) }),
  },
  {
    method: 'PATCH',
    path: '/mlflow/webhooks/:webhook_id',
    handler: async (f, ctx) => {
      const patch: Partial<WebhookInput> = {};
      const name = optString(f, 'name');
      if (name) patch.name = validateWebhookName(name);
      const url = optString(f, 'url');
      if (url) {
        await ctx.webhooks.checkUrl(url);
        patch.url = url;
      }
      const events = objList(f, 'events');
      if (events.length > 0) patch.events = parseWebhookEvents(events);
      const desc = description(f);
      if (desc !== undefined) patch.description = desc;
      const status = optString(f, 'status');
      if (status !== undefined) patch.status = parseWebhookStatus(status);
      const secret = await sealedSecret(f, ctx);
      if (secret !== undefined) patch.secretCiphertext = secret;
      const webhook = await ctx.store.updateWebhook(id(f), patch);
      ctx.webhooks.invalidate();
      return { webhook: wire(webhook) };
    },
  },
  {
    method: 'DELETE',
    path: '/mlflow/webhooks/:webhook_id',
    handler: async (f, ctx) => {
      await ctx.store.deleteWebhook(id(f));
      ctx.webhooks.invalidate();
      return {};
    },
  },
  {
    method: 'POST',
    path: '/mlflow/webhooks/:webhook_id/test',
    handler: async (f, ctx) => {
      const raw = optObject(f, 'event');
      const event = raw === undefined ? undefined : parseWebhookEvent(raw);
      const webhook = await ctx.store.getWebhook(id(f));
      return { result: await ctx.webhooks.test(webhook, event) };
    },
  },
];
