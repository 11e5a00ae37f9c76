import { expect } from 'vitest';
import type { WebhookEvent } from '../../../src/domain/webhooks.js';
import type { TrackingStore, WebhookInput } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, sleep } from './support.js';

const MV_CREATED: WebhookEvent = { entity: 'MODEL_VERSION', action: 'CREATED' };
const RM_CREATED: WebhookEvent = { entity: 'REGISTERED_MODEL', action: 'CREATED' };
const TAG_SET: WebhookEvent = { entity: 'MODEL_VERSION_TAG', action: 'SET' };

function hook(name: string, extra: Partial<WebhookInput> = {}): WebhookInput {
  return { name, url: 'https://example.com/hook', events: [MV_CREATED], status: 'ACTIVE', ...extra };
}

async function ids(store: TrackingStore, event: WebhookEvent): Promise<string[]> {
  return (await store.listWebhooksByEvent(event)).map((w) => w.name).sort();
}

export const webhookCases: CaseGroup = (test) => {
  test('create and get a webhook; the sealed secret is kept as given', async (store) => {
    const before = Date.now();
    const w = await store.createWebhook(
      hook('wh-a', { events: [MV_CREATED, TAG_SET], description: 'd', secretCiphertext: 'v1.sealed' }),
    );
    expect(w).toEqual({
      webhook_id: w.webhook_id,
      name: 'wh-a',
      description: 'd',
      url: 'https://example.com/hook',
      events: [MV_CREATED, TAG_SET],
      status: 'ACTIVE',
      creation_timestamp: w.creation_timestamp,
      last_updated_timestamp: w.creation_timestamp,
      secret_ciphertext: 'v1.sealed',
    });
    expect(w.webhook_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(w.creation_timestamp).toBeGreaterThanOrEqual(before);
    expect(await store.getWebhook(w.webhook_id)).toEqual(w);
    const bare = await store.createWebhook(hook('wh-b', { status: 'DISABLED' }));
    expect(bare.description).toBeUndefined();
    expect(bare.secret_ciphertext).toBeUndefined();
    expect(bare.status).toBe('DISABLED');
  });

  test('an unknown or deleted webhook is RESOURCE_DOES_NOT_EXIST', async (store) => {
    await expectMlflowError(
      store.getWebhook('nope'),
      'RESOURCE_DOES_NOT_EXIST',
      'Webhook with ID nope not found.',
    );
    const w = await store.createWebhook(hook('gone'));
    await store.deleteWebhook(w.webhook_id);
    await expectMlflowError(store.getWebhook(w.webhook_id), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteWebhook(w.webhook_id), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.updateWebhook(w.webhook_id, { name: 'x' }), 'RESOURCE_DOES_NOT_EXIST');
    expect((await store.listWebhooks({ maxResults: 10 })).items).toEqual([]);
    expect(await store.listWebhooksByEvent(MV_CREATED)).toEqual([]);
  });

  test('list is newest first and pages without gaps or repeats', async (store) => {
    for (const n of ['w1', 'w2', 'w3', 'w4', 'w5']) {
      await store.createWebhook(hook(n));
      await sleep(2);
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await store.listWebhooks(
        token === undefined ? { maxResults: 2 } : { maxResults: 2, pageToken: token },
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((w) => w.name));
      token = page.nextPageToken;
    } while (token !== undefined);
    expect(seen).toEqual(['w5', 'w4', 'w3', 'w2', 'w1']);
    const all = await store.listWebhooks({ maxResults: 5 });
    expect(all.nextPageToken).toBeUndefined();
  });

  test('update changes only the given fields; events replace the subscription set', async (store) => {
    const w = await store.createWebhook(hook('upd', { description: 'old', secretCiphertext: 's1' }));
    await sleep(2);
    const u = await store.updateWebhook(w.webhook_id, { events: [RM_CREATED, TAG_SET], status: 'DISABLED' });
    expect(u.name).toBe('upd');
    expect(u.description).toBe('old');
    expect(u.secret_ciphertext).toBe('s1');
    expect(u.events).toEqual([RM_CREATED, TAG_SET]);
    expect(u.status).toBe('DISABLED');
    expect(u.creation_timestamp).toBe(w.creation_timestamp);
    expect(u.last_updated_timestamp).toBeGreaterThan(w.last_updated_timestamp);
    expect(await ids(store, MV_CREATED)).toEqual([]);
    expect(await ids(store, RM_CREATED)).toEqual(['upd']);
    const v = await store.updateWebhook(w.webhook_id, {
      name: 'renamed',
      url: 'https://example.org/x',
      description: 'new',
      secretCiphertext: 's2',
      status: 'ACTIVE',
    });
    expect(v).toMatchObject({
      name: 'renamed',
      url: 'https://example.org/x',
      description: 'new',
      status: 'ACTIVE',
    });
    expect(v.secret_ciphertext).toBe('s2');
    expect(await store.getWebhook(w.webhook_id)).toEqual(v);
  });

  test('listWebhooksByEvent returns live subscribers of any status, and only them', async (store) => {
    await store.createWebhook(hook('a', { events: [MV_CREATED] }));
    await store.createWebhook(hook('b', { events: [MV_CREATED, RM_CREATED], status: 'DISABLED' }));
    const c = await store.createWebhook(hook('c', { events: [RM_CREATED] }));
    expect(await ids(store, MV_CREATED)).toEqual(['a', 'b']);
    expect(await ids(store, RM_CREATED)).toEqual(['b', 'c']);
    expect(await ids(store, TAG_SET)).toEqual([]);
    await store.deleteWebhook(c.webhook_id);
    expect(await ids(store, RM_CREATED)).toEqual(['b']);
    const [sub] = await store.listWebhooksByEvent(MV_CREATED);
    expect(sub?.events.length).toBeGreaterThan(0);
  });

  test('ensureSetting stores the first value and returns it afterwards', async (store) => {
    expect(await store.ensureSetting('k', 'first')).toBe('first');
    expect(await store.ensureSetting('k', 'second')).toBe('first');
    const racers = await Promise.all(['x1', 'x2', 'x3'].map((v) => store.ensureSetting('race', v)));
    expect(new Set(racers).size).toBe(1);
  });
};
