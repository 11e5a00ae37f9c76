import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectedSignature, WebhookReceiver } from '../helpers/webhook-receiver.js';

const srv = sharedTestServer({
  MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
  MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
  MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '0',
  MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'test-key',
});
const rx = new WebhookReceiver();
beforeAll(() => rx.start());
afterAll(() => rx.close());

interface Hook {
  webhook_id: string;
  name: string;
  url: string;
  status: string;
  description?: string;
  events: { entity: string; action: string }[];
  creation_timestamp: number;
  last_updated_timestamp: number;
}

let seq = 0;
async function createHook(body: Record<string, unknown> = {}): Promise<Hook> {
  seq += 1;
  const res = await srv.api.post('/webhooks', {
    name: `hook-${seq}`,
    url: rx.url,
    events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
    ...body,
  });
  return ok<{ webhook: Hook }>(res).webhook;
}

async function deleteAllHooks(): Promise<void> {
  const list = ok<{ webhooks: Hook[] }>(await srv.api.get('/webhooks', { max_results: 1000 }));
  for (const w of list.webhooks) ok(await srv.api.delete(`/webhooks/${w.webhook_id}`));
}

describe('webhook CRUD', () => {
  it('creates, gets, lists, updates and deletes; the secret never comes back', async () => {
    const w = await createHook({ description: 'ci hook', secret: 's3cret', status: 'ACTIVE' });
    expect(w).toEqual({
      webhook_id: w.webhook_id,
      name: w.name,
      url: rx.url,
      description: 'ci hook',
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      status: 'ACTIVE',
      creation_timestamp: w.creation_timestamp,
      last_updated_timestamp: w.creation_timestamp,
    });
    const got = ok<{ webhook: Hook }>(await srv.api.get(`/webhooks/${w.webhook_id}`));
    expect(got.webhook).toEqual(w);
    expect(JSON.stringify(got)).not.toContain('s3cret');
    const patched = ok<{ webhook: Hook }>(
      await srv.api.patch(`/webhooks/${w.webhook_id}`, {
        status: 'DISABLED',
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      }),
    ).webhook;
    expect(patched).toMatchObject({ name: w.name, description: 'ci hook', status: 'DISABLED' });
    expect(patched.events).toEqual([{ entity: 'REGISTERED_MODEL', action: 'CREATED' }]);
    ok(await srv.api.delete(`/webhooks/${w.webhook_id}`));
    expectError(
      await srv.api.get(`/webhooks/${w.webhook_id}`),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Webhook with ID ${w.webhook_id} not found.`,
    );
    expectError(await srv.api.delete(`/webhooks/${w.webhook_id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('pages the listing with max_results and page_token', async () => {
    await deleteAllHooks();
    for (let i = 0; i < 3; i++) await createHook();
    const first = ok<{ webhooks: Hook[]; next_page_token?: string }>(
      await srv.api.get('/webhooks', { max_results: 2 }),
    );
    expect(first.webhooks).toHaveLength(2);
    expect(first.next_page_token).toBeTruthy();
    const second = ok<{ webhooks: Hook[]; next_page_token?: string }>(
      await srv.api.get('/webhooks', { max_results: 2, page_token: first.next_page_token as string }),
    );
    expect(second.webhooks).toHaveLength(1);
    expect(second.next_page_token).toBeUndefined();
    expectError(
      await srv.api.get('/webhooks', { max_results: 1001 }),
      400,
      'INVALID_PARAMETER_VALUE',
      'between 1 and 1000',
    );
    expectError(await srv.api.get('/webhooks', { page_token: 'garbage!' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it.each([
    [{ name: '' }, "Missing value for required parameter 'name'"],
    [{ name: '-bad' }, "Webhook name '-bad' is invalid"],
    [{ name: 'a'.repeat(64) }, 'is invalid'],
    [{ url: undefined }, "Missing value for required parameter 'url'"],
    [{ url: 'ftp://example.com/x' }, "Invalid webhook URL scheme: 'ftp'. Allowed schemes are: http, https."],
    [{ url: 'http://user:pw@example.com/x' }, 'must not carry credentials'],
    [{ events: [] }, 'Webhook events must be a non-empty list'],
    [{ events: undefined }, "Missing value for required parameter 'events'"],
    [
      { events: [{ entity: 'REGISTERED_MODEL', action: 'DELETED' }] },
      "Invalid action 'deleted' for entity 'registered_model'. Valid actions are: ['created']",
    ],
    [
      { events: [{ entity: 'MODEL_VERSION_TAG', action: 'CREATED' }] },
      "Valid actions are: ['deleted', 'set']",
    ],
    [{ events: [{ entity: 'BOGUS', action: 'CREATED' }] }, 'Invalid webhook event entity'],
    [{ events: ['MODEL_VERSION'] }, 'Invalid'],
    [{ status: 'PAUSED' }, 'Invalid webhook status'],
    [{ description: 'x'.repeat(1001) }, 'exceeds the maximum length'],
  ])('create rejects %j', async (patch, message) => {
    const before = ok<{ webhooks: Hook[] }>(await srv.api.get('/webhooks', { max_results: 1000 })).webhooks
      .length;
    const res = await srv.api.post('/webhooks', {
      name: 'valid-name',
      url: rx.url,
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      ...patch,
    });
    expectError(res, 400, 'INVALID_PARAMETER_VALUE', message);
    const after = ok<{ webhooks: Hook[] }>(await srv.api.get('/webhooks', { max_results: 1000 })).webhooks
      .length;
    expect(after).toBe(before);
  });

  it('update validates like create and changes nothing on error', async () => {
    const w = await createHook();
    expectError(
      await srv.api.patch(`/webhooks/${w.webhook_id}`, { name: 'no spaces' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await srv.api.patch(`/webhooks/${w.webhook_id}`, { url: 'gopher://x' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(await srv.api.patch('/webhooks/unknown-id', { name: 'ok' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(ok<{ webhook: Hook }>(await srv.api.get(`/webhooks/${w.webhook_id}`)).webhook).toEqual(w);
  });
});

describe('webhook delivery', () => {
  beforeEach(async () => {
    await deleteAllHooks();
    rx.received.length = 0;
    rx.respond = () => 200;
  });

  it('signs registry events with HMAC-SHA256 and sends MLflow payloads', async () => {
    await createHook({
      secret: 'topsecret',
      events: [
        { entity: 'REGISTERED_MODEL', action: 'CREATED' },
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_TAG', action: 'SET' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ],
    });
    ok(
      await srv.api.post('/registered-models/create', { name: 'wh-model', tags: [{ key: 't', value: '1' }] }),
    );
    ok(
      await srv.api.post('/model-versions/create', {
        name: 'wh-model',
        source: 's3://bucket/m',
        run_id: 'abc',
      }),
    );
    ok(
      await srv.api.post('/model-versions/set-tag', { name: 'wh-model', version: '1', key: 'k', value: 'v' }),
    );
    ok(await srv.api.post('/registered-models/alias', { name: 'wh-model', alias: 'champion', version: '1' }));
    const got = await rx.waitFor(4);
    const byEvent = new Map(got.map((r) => [`${r.json.entity}.${r.json.action}`, r]));
    expect(byEvent.get('registered_model.created')?.json.data).toEqual({
      name: 'wh-model',
      tags: { t: '1' },
      description: null,
    });
    expect(byEvent.get('model_version.created')?.json.data).toEqual({
      name: 'wh-model',
      version: '1',
      source: 's3://bucket/m',
      run_id: 'abc',
      tags: {},
      description: null,
    });
    expect(byEvent.get('model_version_tag.set')?.json.data).toEqual({
      name: 'wh-model',
      version: '1',
      key: 'k',
      value: 'v',
    });
    expect(byEvent.get('model_version_alias.created')?.json.data).toEqual({
      name: 'wh-model',
      alias: 'champion',
      version: '1',
    });
    for (const r of got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-mlflow-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(Number(r.headers['x-mlflow-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['x-mlflow-signature']).toBe(expectedSignature('topsecret', r));
      expect(r.json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/);
    }
  });

  it('prompt events go to prompt subscribers, not model ones; disabled hooks get nothing', async () => {
    await createHook({
      events: [
        { entity: 'PROMPT', action: 'CREATED' },
        { entity: 'PROMPT_VERSION', action: 'CREATED' },
        { entity: 'PROMPT_TAG', action: 'SET' },
        { entity: 'REGISTERED_MODEL', action: 'CREATED' },
      ],
    });
    await createHook({ status: 'DISABLED', events: [{ entity: 'PROMPT', action: 'CREATED' }] });
    const promptTags = [{ key: 'mlflow.prompt.is_prompt', value: 'true' }];
    ok(
      await srv.api.post('/registered-models/create', {
        name: 'wh-prompt',
        tags: promptTags,
        description: 'p',
      }),
    );
    ok(
      await srv.api.post('/model-versions/create', {
        name: 'wh-prompt',
        source: 'prompt-template',
        tags: [...promptTags, { key: 'mlflow.prompt.text', value: 'Hi {{x}}' }, { key: 'lang', value: 'en' }],
      }),
    );
    ok(await srv.api.post('/registered-models/set-tag', { name: 'wh-prompt', key: 'owner', value: 'me' }));
    const got = await rx.waitFor(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.received).toHaveLength(3);
    const events = got.map((r) => `${r.json.entity}.${r.json.action}`).sort();
    expect(events).toEqual(['prompt.created', 'prompt_tag.set', 'prompt_version.created']);
    const pv = got.find((r) => r.json.entity === 'prompt_version');
    expect(pv?.json.data).toEqual({
      name: 'wh-prompt',
      version: '1',
      template: 'Hi {{x}}',
      tags: { lang: 'en' },
      description: null,
    });
    expect(got.find((r) => r.json.entity === 'prompt')?.json.data).toEqual({
      name: 'wh-prompt',
      tags: {},
      description: 'p',
    });
    expect(got.every((r) => r.headers['x-mlflow-signature'] === undefined)).toBe(true);
  });

  it('the test endpoint delivers the example payload and reports the answer', async () => {
    const w = await createHook({ events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' }] });
    const res = ok<{ result: Record<string, unknown> }>(
      await srv.api.post(`/webhooks/${w.webhook_id}/test`, {}),
    );
    expect(res.result).toEqual({ success: true, response_status: 200, response_body: 'reply 200' });
    expect(rx.received[0]?.json).toMatchObject({
      entity: 'model_version_alias',
      action: 'deleted',
      data: { name: 'example_model', alias: 'example_alias' },
    });
    rx.respond = () => 404;
    const other = ok<{ result: Record<string, unknown> }>(
      await srv.api.post(`/webhooks/${w.webhook_id}/test`, {
        event: { entity: 'PROMPT', action: 'CREATED' },
      }),
    );
    expect(other.result).toEqual({ success: false, response_status: 404, response_body: 'reply 404' });
    expect(rx.received[1]?.json.entity).toBe('prompt');
    expectError(
      await srv.api.post(`/webhooks/${w.webhook_id}/test`, { event: { entity: 'PROMPT', action: 'SET' } }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(await srv.api.post('/webhooks/nope/test', {}), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('an unreachable endpoint is reported by test, and does not fail the registry write', async () => {
    const w = await createHook({ url: 'http://127.0.0.1:9/unreachable' });
    const res = ok<{ result: { success: boolean; error_message: string } }>(
      await srv.api.post(`/webhooks/${w.webhook_id}/test`, {}),
    );
    expect(res.result.success).toBe(false);
    expect(res.result.error_message).toMatch(/^Failed to test webhook: /);
    ok(await srv.api.post('/registered-models/create', { name: 'wh-unreachable' }));
    ok(await srv.api.post('/model-versions/create', { name: 'wh-unreachable', source: 's3://b/m' }));
  });
});
