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
import type { SqliteDb } from './sqlite-db.js';

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
export class SqliteWebhooks {
  constructor(private readonly db: SqliteDb) {}

  private load(rows: WebhookRow[]): WebhookRecord[] {
    return rows.map((r) => {
      const events = this.db
        .all<{ entity: WebhookEntity; action: WebhookAction }>(
          'SELECT entity, action FROM webhook_events WHERE webhook_id = ? ORDER BY rowid',
          [r.webhook_id],
        )
        .map((e) => ({ entity: e.entity, action: e.action }));
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
      return w;
    });
  }

  private row(id: string): WebhookRow {
    const row = this.db.get<WebhookRow>(`SELECT * FROM webhooks WHERE webhook_id = ? AND ${LIVE}`, [id]);
    if (row === undefined) throw notFound(`Webhook with ID ${id} not found.`);
    return row;
  }

  private setEvents(id: string, events: readonly WebhookEvent[]): void {
    this.db.run('DELETE FROM webhook_events WHERE webhook_id = ?', [id]);
    for (const e of events) {
      this.db.run('INSERT OR IGNORE INTO webhook_events (webhook_id, entity, action) VALUES (?, ?, ?)', [
        id,
        e.entity,
        e.action,
      ]);
    }
  }

  create(input: WebhookInput): WebhookRecord {
    const id = randomUUID();
    const now = Date.now();
    this.db.tx(() => {
      this.db.run(
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
      this.setEvents(id, input.events);
    });
    return this.get(id);
  }

  get(id: string): WebhookRecord {
    return this.load([this.row(id)])[0] as WebhookRecord;
  }

  list(limit: number, offset: number): WebhookRecord[] {
    const rows = this.db.all<WebhookRow>(
      `SELECT * FROM webhooks WHERE ${LIVE} ORDER BY creation_timestamp DESC, webhook_id LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    return this.load(rows);
  }

  byEvent(event: WebhookEvent): WebhookRecord[] {
    const rows = this.db.all<WebhookRow>(
      `SELECT w.* FROM webhook_events e JOIN webhooks w ON w.webhook_id = e.webhook_id
       WHERE e.entity = ? AND e.action = ? AND w.${LIVE.replaceAll(' AND ', ' AND w.')}
       ORDER BY w.creation_timestamp DESC, w.webhook_id`,
      [event.entity, event.action],
    );
    return this.load(rows);
  }

  update(id: string, patch: Partial<WebhookInput>): WebhookRecord {
    this.db.tx(() => {
      const cur = this.row(id);
      this.db.run(
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
      if (patch.events !== undefined) this.setEvents(id, patch.events);
    });
    return this.get(id);
  }

  delete(id: string): void {
    this.db.tx(() => {
      this.row(id);
      const now = Date.now();
      this.db.run(
        'UPDATE webhooks SET deleted_timestamp = ?, last_updated_timestamp = ? WHERE webhook_id = ?',
        [now, now, id],
      );
    });
  }

  ensureSetting(key: string, value: string): string {
    return this.db.tx(() => {
      this.db.run('INSERT OR IGNORE INTO mltrack_settings (key, value) VALUES (?, ?)', [key, value]);
      return (
        this.db.get<{ value: string }>('SELECT value FROM mltrack_settings WHERE key = ?', [key])?.value ??
        value
      );
    });
  }
}
