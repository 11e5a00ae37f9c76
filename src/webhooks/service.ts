import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../config/config.js';
import { TAG_IS_PROMPT } from '../domain/entities/registry.js';
import { deliveryBody, examplePayload, type WebhookPayload } from '../domain/webhook-payloads.js';
import {
  eventKey,
  validateWebhookUrlShape,
  type WebhookEvent,
  type WebhookRecord,
} from '../domain/webhooks.js';
import type { TrackingStore } from '../store/types.js';
import { assertResolvesToPublic, type PostResult, postOnce, SsrfBlocked } from './outbound.js';
import { SecretBox } from './secret-box.js';

export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

interface Log {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const BACKOFF_MAX_MS = 60_000;
const QUEUE_MAX = 10_000;
const CLOSE_GRACE_MS = 5_000;
const KEY_SETTING = 'webhook_secret_key';

/**
 * Everything webhooks need beyond the store: URL checks (shape, scheme allowlist, public addresses), secret
 * sealing, and delivery. Deliveries run after the registry write is acknowledged, on a bounded pool of
 * MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS, signed with HMAC-SHA256 when the webhook has a secret, retried on
 * 429/5xx and network errors with exponential backoff (MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES), never to a
 * non-public address unless MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS is set.
 */
export class WebhookService {
  private box: Promise<SecretBox> | undefined;
  private readonly cache = new Map<string, { at: number; hooks: Promise<WebhookRecord[]> }>();
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly store: TrackingStore,
    private readonly cfg: WebhookConfig,
    private readonly log: Log,
    /** First backoff step; 1 s as MLflow (tests shorten it). */
    private readonly backoffUnitMs = 1000,
  ) {}

  /** Create/update-time URL check, with MLflow's messages. */
  async checkUrl(url: string): Promise<void> {
    const host = validateWebhookUrlShape(url, this.cfg.allowedSchemes);
    if (!this.cfg.allowPrivateIps) await assertResolvesToPublic(host);
  }

  private secretBox(): Promise<SecretBox> {
    this.box ??= (async () => {
      if (this.cfg.secretEncryptionKey !== undefined) return new SecretBox(this.cfg.secretEncryptionKey);
      const key = await this.store.ensureSetting(KEY_SETTING, SecretBox.randomKeyMaterial());
      return new SecretBox(key);
    })();
    this.box.catch(() => {
      this.box = undefined;
    });
    return this.box;
  }

  async seal(secret: string): Promise<string> {
    return secret === '' ? '' : (await this.secretBox()).seal(secret);
  }

  /** Local webhook changes are seen at once; other servers' changes within MLFLOW_WEBHOOK_CACHE_TTL. */
  invalidate(): void {
    this.cache.clear();
  }

  private subscribers(event: WebhookEvent): Promise<WebhookRecord[]> {
    const key = eventKey(event);
    const hit = this.cache.get(key);
    if (hit !== undefined && Date.now() - hit.at < this.cfg.cacheTtlMs) return hit.hooks;
    const hooks = this.store.listWebhooksByEvent(event);
    if (this.cfg.cacheTtlMs > 0) {
      this.cache.set(key, { at: Date.now(), hooks });
      hooks.catch(() => this.cache.delete(key));
    }
    return hooks;
  }

  /**
   * A registry change happened on model `name`: deliver `pick(isPrompt)` to its subscribers. Whether the model
   * is a prompt is read only when someone subscribes to one of the two candidate events. Never throws.
   */
  notify(
    name: string,
    pick: (isPrompt: boolean) => [WebhookEvent, WebhookPayload] | undefined,
    isPrompt?: boolean,
  ): void {
    if (this.closed) return;
    const run = async () => {
      let prompt = isPrompt;
      if (prompt === undefined) {
        const candidates = [pick(false), pick(true)].filter((c) => c !== undefined);
        const counts = await Promise.all(candidates.map(([e]) => this.subscribers(e)));
        if (counts.every((c) => c.length === 0)) return;
        const model = await this.store.getRegisteredModel(name);
        prompt = model.tags.some((t) => t.key === TAG_IS_PROMPT && t.value.toLowerCase() === 'true');
      }
      const chosen = pick(prompt);
      if (chosen === undefined) return;
      const [event, payload] = chosen;
      for (const hook of await this.subscribers(event)) {
        if (hook.status === 'ACTIVE')
          this.enqueue(() => this.deliver(hook, event, payload).then(() => undefined));
      }
    };
    run().catch((err: unknown) => this.log.error({ err }, `webhook dispatch failed for model ${name}`));
  }

  private enqueue(job: () => Promise<void>): void {
    if (this.queue.length >= QUEUE_MAX) {
      this.log.error({}, `webhook delivery queue full (${QUEUE_MAX}); a delivery was dropped`);
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.cfg.maxWorkers && this.queue.length > 0) {
      const job = this.queue.shift() as () => Promise<void>;
      this.running++;
      job()
        .catch((err: unknown) => this.log.error({ err }, 'webhook delivery failed'))
        .finally(() => {
          this.running--;
          if (this.running === 0 && this.queue.length === 0) this.idle?.();
          this.pump();
        });
    }
  }

  /** One delivery with retries. Resolves with the last response; rejects when no response was ever received. */
  private async deliver(hook: WebhookRecord, event: WebhookEvent, data: WebhookPayload): Promise<PostResult> {
    let secret: string | undefined;
    if (hook.secret_ciphertext !== undefined) {
      secret = (await this.secretBox()).open(hook.secret_ciphertext);
      if (secret === undefined) {
        throw new Error(
          `the secret of webhook ${hook.webhook_id} cannot be decrypted (was MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY changed?); not delivering unsigned`,
        );
      }
    }
    const body = deliveryBody(event, data, new Date());
    const deliveryId = randomUUID();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-MLflow-Delivery-Id': deliveryId,
      'X-MLflow-Timestamp': timestamp,
    };
    if (secret !== undefined && secret !== '') {
      const mac = createHmac('sha256', secret)
        .update(`${deliveryId}.${timestamp}.${body}`, 'utf8')
        .digest('base64');
      headers['X-MLflow-Signature'] = `v1,${mac}`;
    }
    const opts = { timeoutMs: this.cfg.requestTimeoutMs, allowPrivateIps: this.cfg.allowPrivateIps };
    for (let attempt = 0; ; attempt++) {
      let result: PostResult | undefined;
      try {
        await this.checkUrl(hook.url);
        result = await postOnce(hook.url, body, headers, opts);
        if (!RETRY_STATUSES.has(result.status) || attempt >= this.cfg.maxRetries) return result;
      } catch (err) {
        if (err instanceof SsrfBlocked || attempt >= this.cfg.maxRetries || this.closed) throw err;
        if ((err as { code?: string }).code === 'INVALID_PARAMETER_VALUE') throw err;
      }
      // urllib3's schedule: retry at once, then factor * 2^(n-1), up to 60 s, plus up to 1 unit of jitter.
      const backoff = attempt === 0 ? 0 : Math.min(BACKOFF_MAX_MS, this.backoffUnitMs * 2 ** attempt);
      const wait = Math.max(backoff + Math.random() * this.backoffUnitMs, (result?.retryAfterS ?? 0) * 1000);
      await new Promise((r) => setTimeout(r, Math.min(wait, BACKOFF_MAX_MS)));
    }
  }

  /** POST /webhooks/{id}/test: one delivery of the event's example payload, answered synchronously. */
  async test(hook: WebhookRecord, event?: WebhookEvent): Promise<WebhookTestResult> {
    const ev = event ?? (hook.events[0] as WebhookEvent);
    try {
      const res = await this.deliver(hook, ev, examplePayload(ev));
      return { success: res.status < 400, response_status: res.status, response_body: res.body };
    } catch (err) {
      const e = err as Error;
      return {
        success: false,
        error_message: `Failed to test webhook: ${e.name}(${JSON.stringify(e.message)})`,
      };
    }
  }

  /** Stops taking deliveries and waits (a few seconds at most) for those in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, CLOSE_GRACE_MS);
      this.idle = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
