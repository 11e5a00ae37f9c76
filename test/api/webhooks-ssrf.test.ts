import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// Default settings: https only, public addresses only.
const srv = sharedTestServer();
const strict = sharedTestServer({ MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https' });
const rx = new WebhookReceiver();
beforeAll(() => rx.start());
afterAll(() => rx.close());

const events = [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }];

describe('webhook URLs cannot reach private addresses (SSRF)', () => {
  it('only https is allowed by default', async () => {
    expectError(
      await srv.api.post('/webhooks', { name: 'h', url: 'http://example.com/x', events }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.",
    );
  });

  it.each([
    'https://127.0.0.1/x',
    'https://localhost/x',
    'https://[::1]/x',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.5/x',
    'https://[::ffff:192.168.0.1]/x',
    'https://0.0.0.0/x',
  ])('%s is refused at create', async (url) => {
    expectError(
      await srv.api.post('/webhooks', { name: 'h', url, events }),
      400,
      'INVALID_PARAMETER_VALUE',
      'must not resolve to a non-public IP address',
    );
  });

  it.each(['https://127.1/x', 'https://2130706433/x', 'https://0x7f.0.0.1/x', 'https://0177.0.0.1/x'])(
    'legacy numeric host %s is refused',
    async (url) => {
      expectError(
        await srv.api.post('/webhooks', { name: 'h', url, events }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    },
  );

  it('an unresolvable host is refused', async () => {
    expectError(
      await srv.api.post('/webhooks', { name: 'h', url: 'https://no-such-host.invalid/x', events }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Cannot resolve Webhook URL hostname 'no-such-host.invalid'",
    );
  });

  it('a stored webhook whose host now points inside is blocked at connect time', async () => {
    // As if DNS changed after the create-time check: the row points at loopback.
    const w = await strict.store.createWebhook({
      name: 'rebound',
      url: rx.url,
      events: [],
      status: 'ACTIVE',
    });
    await strict.store.updateWebhook(w.webhook_id, {
      events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
    });
    const res = ok<{ result: { success: boolean; error_message: string } }>(
      await strict.api.post(`/webhooks/${w.webhook_id}/test`, {}),
    );
    expect(res.result.success).toBe(false);
    expect(res.result.error_message).toContain('non-public IP address');
    ok(await strict.api.post('/registered-models/create', { name: 'ssrf-model' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.received).toHaveLength(0);
  });
});
