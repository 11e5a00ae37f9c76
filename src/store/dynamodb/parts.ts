import type { DynamoParts, DynamoStore } from './dynamo-store.js';
import { DynamoLoggedModels } from './logged-models.js';
import { DynamoRegistry } from './registry.js';
import { DynamoWebhooks } from './webhooks.js';

/** The modules behind logged models, the model registry and webhooks on DynamoDB. */
export function dynamoParts(store: DynamoStore): Partial<DynamoParts> {
  return {
    loggedModels: new DynamoLoggedModels(store.ddb, store.experiments),
    registry: new DynamoRegistry(store.ddb),
    webhooks: new DynamoWebhooks(store.ddb),
  };
}
