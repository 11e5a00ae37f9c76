import { eventKey, type WebhookEvent } from './webhooks.js';

/**
 * The `data` of each webhook delivery (mlflow/webhooks/types.py), and the example each event's test delivery
 * sends. Versions travel as strings; absent optional values as null.
 */
export type WebhookPayload = Readonly<
  Record<string, string | null | Readonly<Record<string, string>> | number>
>;

const EXAMPLES: Readonly<Record<string, WebhookPayload>> = {
  'registered_model.created': {
    name: 'example_model',
    tags: { example_key: 'example_value' },
    description: 'An example registered model',
  },
  'model_version.created': {
    name: 'example_model',
    version: '1',
    source: 'models:/123',
    run_id: 'abcd1234abcd5678',
    tags: { example_key: 'example_value' },
    description: 'An example model version',
  },
  'model_version_tag.set': {
    name: 'example_model',
    version: '1',
    key: 'example_key',
    value: 'example_value',
  },
  'model_version_tag.deleted': { name: 'example_model', version: '1', key: 'example_key' },
  'model_version_alias.created': { name: 'example_model', alias: 'example_alias', version: '1' },
  'model_version_alias.deleted': { name: 'example_model', alias: 'example_alias' },
  'prompt.created': {
    name: 'example_prompt',
    tags: { example_key: 'example_value' },
    description: 'An example prompt',
  },
  'prompt_version.created': {
    name: 'example_prompt',
    version: '1',
    template: 'Hello {{name}}!',
    tags: { example_key: 'example_value' },
    description: 'An example prompt version',
  },
  'prompt_tag.set': { name: 'example_prompt', key: 'example_key', value: 'example_value' },
  'prompt_tag.deleted': { name: 'example_prompt', key: 'example_key' },
  'prompt_version_tag.set': {
    name: 'example_prompt',
    version: '1',
    key: 'example_key',
    value: 'example_value',
  },
  'prompt_version_tag.deleted': { name: 'example_prompt', version: '1', key: 'example_key' },
  'prompt_alias.created': { name: 'example_prompt', alias: 'example_alias', version: '1' },
  'prompt_alias.deleted': { name: 'example_prompt', alias: 'example_alias' },
  'budget_policy.exceeded': {
    budget_policy_id: 'bp-abc123',
    budget_unit: 'USD',
    budget_amount: 100.0,
    current_spend: 105.5,
    duration_unit: 'MONTHS',
    duration_value: 1,
    target_scope: 'ENDPOINT',
    workspace: 'default',
    target_value: 'ep-abc123',
    window_start: 1704067200000,
  },
};

export function examplePayload(event: WebhookEvent): WebhookPayload {
  return EXAMPLES[eventKey(event)] ?? {};
}

/** The JSON body of a delivery: entity and action lowercased, an ISO timestamp, the event's data. */
export function deliveryBody(event: WebhookEvent, data: WebhookPayload, now: Date): string {
  return JSON.stringify({
    entity: event.entity.toLowerCase(),
    action: event.action.toLowerCase(),
    timestamp: now.toISOString().replace('Z', '+00:00'),
    data,
  });
}
