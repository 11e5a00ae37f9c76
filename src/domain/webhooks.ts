import { invalidParam } from './errors.js';
import { isIpLiteral } from './ip-ranges.js';

/**
 * Webhooks (mlflow/entities/webhook.py, mlflow/utils/validation.py): the entity in its wire shape, the valid
 * entity/action pairs, and the input rules with MLflow's messages.
 */

export const WEBHOOK_ENTITIES = [
  'REGISTERED_MODEL',
  'MODEL_VERSION',
  'MODEL_VERSION_TAG',
  'MODEL_VERSION_ALIAS',
  'PROMPT',
  'PROMPT_VERSION',
  'PROMPT_TAG',
  'PROMPT_VERSION_TAG',
  'PROMPT_ALIAS',
  'BUDGET_POLICY',
] as const;
export type WebhookEntity = (typeof WEBHOOK_ENTITIES)[number];

export const WEBHOOK_ACTIONS = ['CREATED', 'UPDATED', 'DELETED', 'SET', 'EXCEEDED'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];

export const WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** On the wire the proto enum names travel (`MODEL_VERSION`, `CREATED`); payloads carry them lowercased. */
export interface WebhookEvent {
  entity: WebhookEntity;
  action: WebhookAction;
}

export interface Webhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WebhookEvent[];
  status: WebhookStatus;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

/** A stored webhook: the entity plus its encrypted secret, which never leaves the server. */
export interface WebhookRecord extends Webhook {
  secret_ciphertext?: string;
}

const VALID_ACTIONS: Readonly<Record<WebhookEntity, readonly WebhookAction[]>> = {
  REGISTERED_MODEL: ['CREATED'],
  MODEL_VERSION: ['CREATED'],
  MODEL_VERSION_TAG: ['SET', 'DELETED'],
  MODEL_VERSION_ALIAS: ['CREATED', 'DELETED'],
  PROMPT: ['CREATED'],
  PROMPT_VERSION: ['CREATED'],
  PROMPT_TAG: ['SET', 'DELETED'],
  PROMPT_VERSION_TAG: ['SET', 'DELETED'],
  PROMPT_ALIAS: ['CREATED', 'DELETED'],
  BUDGET_POLICY: ['EXCEEDED'],
};

export const eventKey = (e: WebhookEvent): string => `${e.entity.toLowerCase()}.${e.action.toLowerCase()}`;

/** A Python-style repr of a string, as MLflow's messages quote values. */
function repr(s: string): string {
  return s.includes("'") && !s.includes('"')
    ? `"${s}"`
    : `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** One event from its JSON form `{entity, action}` (enum names, any case). */
export function parseWebhookEvent(raw: unknown): WebhookEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidParam(
      `Invalid webhook event: ${JSON.stringify(raw)}. Expected {"entity": ..., "action": ...}.`,
    );
  }
  const { entity: e, action: a } = raw as { entity?: unknown; action?: unknown };
  const entity = typeof e === 'string' ? e.toUpperCase() : '';
  const action = typeof a === 'string' ? a.toUpperCase() : '';
  if (!(WEBHOOK_ENTITIES as readonly string[]).includes(entity)) {
    throw invalidParam(
      `Invalid webhook event entity: ${JSON.stringify(e ?? null)}. Valid entities are: ${WEBHOOK_ENTITIES.join(', ')}.`,
    );
  }
  if (!(WEBHOOK_ACTIONS as readonly string[]).includes(action)) {
    throw invalidParam(
      `Invalid webhook event action: ${JSON.stringify(a ?? null)}. Valid actions are: ${WEBHOOK_ACTIONS.join(', ')}.`,
    );
  }
  const ent = entity as WebhookEntity;
  const valid = VALID_ACTIONS[ent];
  if (!valid.includes(action as WebhookAction)) {
    const sorted = valid.map((x) => `'${x.toLowerCase()}'`).sort();
    throw invalidParam(
      `Invalid action '${action.toLowerCase()}' for entity '${ent.toLowerCase()}'. Valid actions are: [${sorted.join(', ')}]`,
    );
  }
  return { entity: ent, action: action as WebhookAction };
}

/** The events list of a create or update: non-empty, each valid, duplicates collapsed (they share a key). */
export function parseWebhookEvents(raw: readonly unknown[]): WebhookEvent[] {
  if (raw.length === 0) {
    throw invalidParam('Webhook events must be a non-empty list of WebhookEvent objects: [].');
  }
  if (raw.length > 100)
    throw invalidParam(`A webhook can subscribe to at most 100 events, got ${raw.length}.`);
  const seen = new Map<string, WebhookEvent>();
  for (const r of raw) {
    const e = parseWebhookEvent(r);
    seen.set(eventKey(e), e);
  }
  return [...seen.values()];
}

export function parseWebhookStatus(raw: string): WebhookStatus {
  const s = raw.toUpperCase();
  if (!(WEBHOOK_STATUSES as readonly string[]).includes(s)) {
    throw invalidParam(`Invalid webhook status: ${repr(raw)}. Valid statuses are: ACTIVE, DISABLED.`);
  }
  return s as WebhookStatus;
}

const NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

export function validateWebhookName(name: string): string {
  if (name.length > 63 || !NAME.test(name)) {
    throw invalidParam(
      `Webhook name ${repr(name)} is invalid. It must start and end with a letter or digit, be less than 63 ` +
        'characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).',
    );
  }
  return name;
}

export const WEBHOOK_URL_MAX = 500;
export const WEBHOOK_DESCRIPTION_MAX = 1000;
export const WEBHOOK_SECRET_MAX = 1000;

/**
 * The URL's shape: an allowed scheme, a hostname, no credentials, and a canonical IP literal if numeric (so
 * `127.1` or `0x7f.1` cannot slip past the address check). Returns the hostname for the address check.
 */
export function validateWebhookUrlShape(url: string, allowedSchemes: readonly string[]): string {
  if (url.trim() === '') throw invalidParam(`Webhook URL cannot be empty or just whitespace: ${repr(url)}`);
  if (url.length > WEBHOOK_URL_MAX) {
    throw invalidParam(`Webhook URL exceeds the maximum length of ${WEBHOOK_URL_MAX} characters.`);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase() ?? '';
  if (!allowedSchemes.includes(scheme)) {
    throw invalidParam(
      `Invalid webhook URL scheme: ${repr(scheme)}. Allowed schemes are: ${allowedSchemes.join(', ')}.`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam(`Invalid webhook URL ${repr(url)}: not a valid URL.`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalidParam(`Webhook URL must include a hostname: ${repr(url)}`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidParam('Webhook URL must not carry credentials; use the webhook secret to authenticate.');
  }
  // WHATWG parsing turns `127.1`, `0x7f.0.0.1` and `2130706433` into 127.0.0.1: numeric hosts must be written so.
  const written = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(url)?.[1] ?? '';
  if (!host.includes(':') && isIpLiteral(host) && written.toLowerCase() !== host) {
    throw invalidParam(`Webhook URL host ${repr(written)} is not a canonical IP address literal.`);
  }
  return host;
}
