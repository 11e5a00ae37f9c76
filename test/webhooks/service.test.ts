import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhookConfig } from '../../src/config/config.js';
import { openStore } from '../../src/store/registry.js';
import type { TrackingStore } from '../../src/store/types.js';
import { postOnce, SsrfBlocked } from '../../src/webhooks/outbound.js';
import { SecretBox } from '../../src/webhooks/secret-box.js';
import { WebhookService } from '../../src/webhooks/service.js';
import { expectedSignature, WebhookReceiver } from '../helpers/webhook-receiver.js';

const rx = new WebhookReceiver();
let store: TrackingStore;
const quiet = { error: () => {}, warn: () => {} };
beforeAll(async () => {
  await rx.start();
  store = await openStore('sqlite:///:memory:', { defaultArtifactRoot: '/tmp/a', cwd: '/tmp' });
});
afterAll(async () => {
  await rx.close();
  await store.close();
});

const cfg = (env: Record<string, string> = {}) =>
  parseWebhookConfig({
    MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
    MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http',
    ...env,
  });

describe('connect-time SSRF check', () => {
  it('refuses a hostname that resolves to loopback, and a loopback literal', async () => {
    const port = new URL(rx.url).port;
    const opts = { timeoutMs: 2000, allowPrivateIps: false };
    await expect(postOnce(`http://localhost:${port}/hook`, '{}', {}, opts)).rejects.toBeInstanceOf(
      SsrfBlocked,
    );
    await expect(postOnce(`http://127.0.0.1:${port}/hook`, '{}', {}, opts)).rejects.toBeInstanceOf(
      SsrfBlocked,
    );
    await expect(postOnce(`http://[::1]:${port}/hook`, '{}', {}, opts)).rejects.toBeInstanceOf(SsrfBlocked);
    expect(rx.received).toHaveLength(0);
    const allowed = await postOnce(
      rx.url,
      '{"a":1}',
      { 'Content-Type': 'application/json' },
      { ...opts, allowPrivateIps: true },
    );
    expect(allowed.status).toBe(200);
    rx.received.length = 0;
  });
});

function signedHook(name: string, secretCiphertext: string) {
  const events = [{ entity: 'REGISTERED_MODEL', action: 'CREATED' } as const];
  return store.createWebhook({ name, url: rx.url, events, secretCiphertext, status: 'ACTIVE' });
}

describe('delivery retries', () => {
  it('retries 503s with backoff, then succeeds; a 400 is not retried', async () => {
    rx.received.length = 0;
    rx.respond = (n) => (n <= 2 ? 503 : 200);
    const svc = new WebhookService(store, cfg({ MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '3' }), quiet, 5);
    const hook = await signedHook('retry', await svc.seal('k'));
    const res = await svc.test(hook);
    expect(res).toEqual({ success: true, response_status: 200, response_body: 'reply 200' });
    expect(rx.received).toHaveLength(3);
    // every attempt is signed with the same delivery id
    const ids = new Set(rx.received.map((r) => r.headers['x-mlflow-delivery-id']));
    expect(ids.size).toBe(1);
    for (const r of rx.received) expect(r.headers['x-mlflow-signature']).toBe(expectedSignature('k', r));

    rx.received.length = 0;
    rx.respond = () => 400;
    expect((await svc.test(hook)).response_status).toBe(400);
    expect(rx.received).toHaveLength(1);

    rx.received.length = 0;
    rx.respond = () => 500;
    expect(await svc.test(hook)).toMatchObject({ success: false, response_status: 500 });
    expect(rx.received).toHaveLength(4); // 1 + MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES
    await svc.close();
  });

  it('does not deliver unsigned when the secret cannot be decrypted (key changed)', async () => {
    rx.received.length = 0;
    rx.respond = () => 200;
    const a = new WebhookService(store, cfg({ MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'one' }), quiet, 5);
    const b = new WebhookService(store, cfg({ MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'two' }), quiet, 5);
    const hook = await signedHook('rekeyed', await a.seal('s'));
    expect((await a.test(hook)).success).toBe(true);
    const res = await b.test(hook);
    expect(res.success).toBe(false);
    expect(res.error_message).toContain('cannot be decrypted');
    expect(rx.received).toHaveLength(1);
  });

  it('without a configured key, one generated key is kept in the database', async () => {
    const a = new WebhookService(store, cfg(), quiet);
    const b = new WebhookService(store, cfg(), quiet);
    const sealed = await a.seal('shared');
    expect(sealed).not.toContain('shared');
    // a second server on the same database opens it
    const key = await store.ensureSetting('webhook_secret_key', 'unused');
    expect(new SecretBox(key).open(sealed)).toBe('shared');
    expect(new SecretBox(key).open(await b.seal('x'))).toBe('x');
  });
});

describe('SecretBox', () => {
  it('round-trips and detects tampering', () => {
    const box = new SecretBox('k');
    const s = box.seal('hello');
    expect(s).toMatch(/^v1\./);
    expect(box.open(s)).toBe('hello');
    expect(box.seal('hello')).not.toBe(s);
    expect(new SecretBox('other').open(s)).toBeUndefined();
    expect(box.open(`${s.slice(0, -2)}AA`)).toBeUndefined();
    expect(box.open('garbage')).toBeUndefined();
  });
});
