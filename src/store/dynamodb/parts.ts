import type { DynamoParts, DynamoStore } from './dynamo-store.js';
import { DynamoRegistry } from './registry.js';

/**
 * The modules behind logged models, the model registry and webhooks on DynamoDB. A part that is not wired here
 * answers NOT_IMPLEMENTED.
 */
export function dynamoParts(store: DynamoStore): Partial<DynamoParts> {
  return { registry: new DynamoRegistry(store.ddb) };
}
