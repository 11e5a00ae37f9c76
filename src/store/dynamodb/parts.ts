import type { DynamoParts, DynamoStore } from './dynamo-store.js';
import { DynamoLoggedModels } from './logged-models.js';
import { DynamoWebhooks } from './webhooks.js';

/**
 * The modules behind logged models, the model registry and webhooks on DynamoDB. A part that is not wired here
 * answers NOT_IMPLEMENTED.
 */
export function dynamoParts(store: DynamoStore): Partial<DynamoParts> {
  return {
    loggedModels: new DynamoLoggedModels(store.ddb, store.experiments),
    webhooks: new DynamoWebhooks(store.ddb),
  };
}
