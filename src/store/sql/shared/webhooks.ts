import { randomUUID } from 'node:crypto';
import { DEFAULT_WORKSPACE } from '../../../domain/entities/experiment.js';
import { notFound } from '../../../domain/errors.js';
import type {
  WebhookAction,
  WebhookEntity,
  WebhookEvent,
  WebhookRecord,
  WebhookStatus,
} from '../../../domain/webhooks.js';
import type { WebhookInput } from '../../types.js';
import type { SqlDb } from '../sql-db.js';
import { st } from '../statements.js';

interface WebhookRow {
  webhook_id: string;
  name: string;
  description: string | null;
  url: string;
  status: WebhookStatus;
  secret: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

const LIVE = `workspace = '${DEFAULT_WORKSPACE}' AND deleted_timestamp IS NULL`;

/** Webhooks on SQLite: soft delete as MLflow does; events in their own table, indexed by (entity, action). */
export class SqlWebhooks {
  constructor(private readonly db: SqlDb) {}

  private async load(rows: WebhookRow[]): Promise<WebhookRecord[]> {
    const out: WebhookRecord[] = [];
    for (const r of rows) {
      const events = (
        await this.db.all<{ entity: WebhookEntity; action: WebhookAction }>(
          'SELECT entity, action FROM webhook_events WHERE webhook_id = ? ORDER BY seq',
          [r.webhook_id],
        )
      ).map((e) => ({ entity: e.entity, action: e.action }));
      const w: WebhookRecord = {
        webhook_id: r.webhook_id,
        name: r.name,
        url: r.url,
        events,
        status: r.status,
        creation_timestamp: r.creation_timestamp,
        last_updated_timestamp: r.last_updated_timestamp,
      };
      if (r.description !== null && r.description !== '') w.description = r.description;
      if (r.secret !== null && r.secret !== '') w.secret_ciphertext = r.secret;
      out.push(w);
    }
    return out;
  }

  private async row(id: string): Promise<WebhookRow> {
    const row = await this.db.get<WebhookRow>(`SELECT * FROM webhooks WHERE webhook_id = ? AND ${LIVE}`, [
      id,
    ]);
    if (row === undefined) throw notFound(`Webhook with ID ${id} not found.`);
    return row;
  }

  private async setEvents(id: string, events: readonly WebhookEvent[]): Promise<void> {
    await this.db.run('DELETE FROM webhook_events WHERE webhook_id = ?', [id]);
    for (const e of events) {
      await this.db.run(st(this.db).insertIgnore('webhook_events', ['webhook_id', 'entity', 'action']), [
        id,
        e.entity,
        e.action,
      ]);
    }
  }

  async create(input: WebhookInput): Promise<WebhookRecord> {
    const id = randomUUID();
    const now = Date.now();
    await this.db.tx(async () => {
      await this.db.run(
        `INSERT INTO webhooks (webhook_id, workspace, name, description, url, status, secret,
           creation_timestamp, last_updated_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          DEFAULT_WORKSPACE,
          input.name,
          input.description ?? null,
          input.url,
          input.status,
          input.secretCiphertext ?? null,
          now,
          now,
        ],
      );
      await this.setEvents(id, input.events);
    });
    return this.get(id);
  }

  async get(id: string): Promise<WebhookRecord> {
    return (await this.load([await this.row(id)]))[0] as WebhookRecord;
  }

  async list(limit: number, offset: number): Promise<WebhookRecord[]> {
    const rows = await this.db.all<WebhookRow>(
      `SELECT * FROM webhooks WHERE ${LIVE} ORDER BY creation_timestamp DESC, webhook_id LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    return await this.load(rows);
  }

  async byEvent(event: WebhookEvent): Promise<WebhookRecord[]> {
    const rows = await this.db.all<WebhookRow>(
      `SELECT w.* FROM webhook_events e JOIN webhooks w ON w.webhook_id = e.webhook_id
       WHERE e.entity = ? AND e.action = ? AND w.${LIVE.replaceAll(' AND ', ' AND w.')}
       ORDER BY w.creation_timestamp DESC, w.webhook_id`,
      [event.entity, event.action],
    );
    return await this.load(rows);
  }

  async update(id: string, patch: Partial<WebhookInput>): Promise<WebhookRecord> {
    await this.db.tx(async () => {
      const cur = await this.row(id);
      await this.db.run(
        `UPDATE webhooks SET name = ?, description = ?, url = ?, status = ?, secret = ?, last_updated_timestamp = ?
         WHERE webhook_id = ?`,
        [
          patch.name ?? cur.name,
          patch.description ?? cur.description,
          patch.url ?? cur.url,
          patch.status ?? cur.status,
          patch.secretCiphertext ?? cur.secret,
          Math.max(Date.now(), cur.last_updated_timestamp),
          id,
        ],
      );
      if (patch.events !== undefined) await this.setEvents(id, patch.events);
    });
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.db.tx(async () => {
      await this.row(id);
      const now = Date.now();
      await this.db.run(
        'UPDATE webhooks SET deleted_timestamp = ?, last_updated_timestamp = ? WHERE webhook_id = ?',
        [now, now, id],
      );
    });
  }

  async ensureSetting(key: string, value: string): Promise<string> {
    return await this.db.tx(async () => {
      await this.db.run(st(this.db).insertIgnore('mltrack_settings', ['key', 'value']), [key, value]);
      return (
        (await this.db.get<{ value: string }>('SELECT value FROM mltrack_settings WHERE "key" = ?', [key]))
          ?.value ?? value
      );
    });
  }
}
