import { randomUUID } from 'node:crypto';
import { DEFAULT_WORKSPACE } from '../../domain/entities/experiment.js';
import { notFound } from '../../domain/errors.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../domain/search/page-token.js';
import type { WebhookEvent, WebhookRecord, WebhookStatus } from '../../domain/webhooks.js';
import type { SearchResult, WebhookInput, WebhookStore } from '../types.js';
import { conditionFailed, type Ddb, type Item, type TransactItem } from './ddb.js';
import * as K from './keys.js';

const WS = DEFAULT_WORKSPACE;

/** Webhook META item (`WEBHOOKS#<ws>` / `W#<id>`). */
interface WebhookItem {
  PK: string;
  SK: string;
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  status: WebhookStatus;
  secret?: string;
  /** The subscriptions in the order given (duplicates dropped), as the SQL store returns them. */
  events: WebhookEvent[];
  creation_timestamp: number;
  last_updated_timestamp: number;
  deleted_timestamp?: number;
  /** Raised by every update: the condition that keeps the subscription items in step with `events`. */
  ver: number;
}

const eventKey = (e: WebhookEvent) => `${e.entity}#${e.action}`;

function distinctEvents(events: readonly WebhookEvent[]): WebhookEvent[] {
  const seen = new Map<string, WebhookEvent>();
  for (const e of events)
    if (!seen.has(eventKey(e))) seen.set(eventKey(e), { entity: e.entity, action: e.action });
  return [...seen.values()];
}

function toRecord(w: WebhookItem): WebhookRecord {
  const out: WebhookRecord = {
    webhook_id: w.webhook_id,
    name: w.name,
    url: w.url,
    // A DynamoDB map keeps no key order: rebuild each event so it reads { entity, action } like the SQL store's.
    events: w.events.map((e) => ({ entity: e.entity, action: e.action })),
    status: w.status,
    creation_timestamp: w.creation_timestamp,
    last_updated_timestamp: w.last_updated_timestamp,
  };
  if (w.description !== undefined && w.description !== '') out.description = w.description;
  if (w.secret !== undefined && w.secret !== '') out.secret_ciphertext = w.secret;
  return out;
}

/** Newest first, ties by id (the SQL store's order). */
const newestFirst = (a: WebhookItem, b: WebhookItem): number =>
  b.creation_timestamp - a.creation_timestamp ||
  (a.webhook_id < b.webhook_id ? -1 : a.webhook_id > b.webhook_id ? 1 : 0);

/**
 * Webhooks and server settings on DynamoDB, with the SQL store's behaviour (src/store/sql/shared/webhooks.ts).
 *
 * A workspace's webhooks share one partition (they are few and written rarely), so every read is a strongly
 * consistent GetItem or Query: META `W#<id>` (listed newest first through lsi1 while live), and one subscription
 * item `EV#<entity>#<action>#<id>` per event for listWebhooksByEvent. Delete is soft (MLflow's): the META keeps
 * `deleted_timestamp` and leaves lsi1, and the subscriptions go in the same transaction. Updates are conditioned
 * on the META's version, so concurrent updates of the event set cannot leave stray subscriptions.
 */
export class DynamoWebhooks implements WebhookStore {
  constructor(private readonly ddb: Ddb) {}

  private async item(id: string): Promise<WebhookItem> {
    const w = await this.ddb.get<WebhookItem>(K.webhook(WS, id));
    if (w === undefined || w.deleted_timestamp !== undefined)
      throw notFound(`Webhook with ID ${id} not found.`);
    return w;
  }

  private subscription(id: string, e: WebhookEvent): Item {
    return { ...K.webhookEvent(WS, e.entity, e.action, id), webhook_id: id };
  }

  async createWebhook(input: WebhookInput): Promise<WebhookRecord> {
    const id = randomUUID();
    const now = Date.now();
    const w: WebhookItem = {
      ...K.webhook(WS, id),
      webhook_id: id,
      name: input.name,
      url: input.url,
      status: input.status,
      events: distinctEvents(input.events),
      creation_timestamp: now,
      last_updated_timestamp: now,
      ver: 0,
    };
    if (input.description !== undefined) w.description = input.description;
    if (input.secretCiphertext !== undefined) w.secret = input.secretCiphertext;
    await this.ddb.transact([
      {
        Put: {
          Item: { ...w, lsi1sk: K.webhookLsi1(now, id) },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      ...w.events.map((e) => ({ Put: { Item: this.subscription(id, e) } })),
    ]);
    return toRecord(w);
  }

  async getWebhook(webhookId: string): Promise<WebhookRecord> {
    return toRecord(await this.item(webhookId));
  }

  async listWebhooks(q: { maxResults: number; pageToken?: string }): Promise<SearchResult<WebhookRecord>> {
    const offset = decodeOffsetToken(q.pageToken);
    const end = offset + q.maxResults;
    const items = (await this.ddb.query(
      {
        IndexName: 'lsi1',
        KeyConditionExpression: 'PK = :pk AND begins_with(lsi1sk, :w)',
        ExpressionAttributeValues: { ':pk': K.webhooksPk(WS), ':w': 'W#' },
        Limit: Math.min(end + 1, 1000),
      },
      end + 1,
    )) as unknown as WebhookItem[];
    const page = items.slice(offset, end).map(toRecord);
    const out: SearchResult<WebhookRecord> = { items: page };
    if (items.length > end) out.nextPageToken = encodeOffsetToken(offset + page.length);
    return out;
  }

  async listWebhooksByEvent(event: WebhookEvent): Promise<WebhookRecord[]> {
    const subs = await this.ddb.prefix(K.webhooksPk(WS), K.webhookEventPrefix(event.entity, event.action));
    const metas = (await this.ddb.batchGet(
      subs.map((s) => K.webhook(WS, s.webhook_id as string)),
    )) as unknown as WebhookItem[];
    return metas
      .filter((w) => w.deleted_timestamp === undefined)
      .sort(newestFirst)
      .map(toRecord);
  }

  /**
   * Applies a change to a live webhook: the META update (conditioned on the version read) and the subscription
   * changes in one transaction; a concurrent change makes it read again and retry.
   */
  private async change(
    id: string,
    next: (
      cur: WebhookItem,
      now: number,
    ) => { set: Partial<WebhookItem>; remove?: string[]; events: WebhookEvent[] },
  ): Promise<WebhookItem> {
    for (;;) {
      const cur = await this.item(id);
      const now = Math.max(Date.now(), cur.last_updated_timestamp);
      const { set, remove = [], events } = next(cur, now);
      const names: Record<string, string> = {};
      const values: Item = { ':ver': cur.ver, ':one': 1 };
      const sets = ['ver = ver + :one'];
      for (const [i, [k, v]] of Object.entries(set).entries()) {
        names[`#s${i}`] = k;
        values[`:s${i}`] = v;
        sets.push(`#s${i} = :s${i}`);
      }
      const removes = remove.map((k, i) => {
        names[`#r${i}`] = k;
        return `#r${i}`;
      });
      const before = new Set(cur.events.map(eventKey));
      const after = new Set(events.map(eventKey));
      const tx: TransactItem[] = [
        {
          Update: {
            Key: K.webhook(WS, id),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'ver = :ver AND attribute_not_exists(deleted_timestamp)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        ...cur.events
          .filter((e) => !after.has(eventKey(e)))
          .map((e) => ({ Delete: { Key: K.webhookEvent(WS, e.entity, e.action, id) } })),
        ...events
          .filter((e) => !before.has(eventKey(e)))
          .map((e) => ({ Put: { Item: this.subscription(id, e) } })),
      ];
      try {
        await this.ddb.transact(tx);
      } catch (e) {
        if (conditionFailed(e)) continue; // changed or deleted meanwhile: read again
        throw e;
      }
      const out: WebhookItem = { ...cur, ...set, ver: cur.ver + 1 };
      for (const k of remove) delete (out as unknown as Item)[k];
      return out;
    }
  }

  async updateWebhook(webhookId: string, patch: Partial<WebhookInput>): Promise<WebhookRecord> {
    const w = await this.change(webhookId, (cur, now) => {
      const set: Partial<WebhookItem> = {
        name: patch.name ?? cur.name,
        url: patch.url ?? cur.url,
        status: patch.status ?? cur.status,
        last_updated_timestamp: now,
      };
      const description = patch.description ?? cur.description;
      if (description !== undefined) set.description = description;
      const secret = patch.secretCiphertext ?? cur.secret;
      if (secret !== undefined) set.secret = secret;
      const events = patch.events === undefined ? cur.events : distinctEvents(patch.events);
      set.events = events;
      return { set, events };
    });
    return toRecord(w);
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.change(webhookId, (_cur, now) => ({
      set: { deleted_timestamp: now, last_updated_timestamp: now },
      remove: ['lsi1sk'],
      events: [],
    }));
  }

  /** First writer wins across servers: a conditional put, then a consistent read of whatever was stored. */
  async ensureSetting(key: string, value: string): Promise<string> {
    try {
      await this.ddb.put(
        { ...K.config.setting(key), value },
        { ConditionExpression: 'attribute_not_exists(PK)' },
      );
    } catch (e) {
      if (!conditionFailed(e)) throw e;
    }
    return (await this.ddb.get<{ value: string }>(K.config.setting(key)))?.value ?? value;
  }
}
