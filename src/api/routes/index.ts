import type { JsonRoute } from '../route.js';
import { experimentRoutes } from './experiments.js';
import { loggedModelRoutes } from './logged-models.js';
import { metricRoutes } from './metrics.js';
import { modelVersionRoutes } from './model-versions.js';
import { registeredModelRoutes } from './registered-models.js';
import { runRoutes } from './runs.js';
import { webhookRoutes } from './webhooks.js';

/** THE route table of protobuf-style JSON endpoints (artifact routes stream and register themselves). */
export const routeTable: readonly JsonRoute[] = [
  ...experimentRoutes,
  ...runRoutes,
  ...metricRoutes,
  ...loggedModelRoutes,
  ...registeredModelRoutes,
  ...modelVersionRoutes,
  ...webhookRoutes,
];
