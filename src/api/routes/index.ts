import type { JsonRoute } from '../route.js';
import { experimentRoutes } from './experiments.js';
import { loggedModelRoutes } from './logged-models.js';
import { metricRoutes } from './metrics.js';
import { runRoutes } from './runs.js';

/** THE route table of protobuf-style JSON endpoints (artifact routes stream and register themselves). */
export const routeTable: readonly JsonRoute[] = [
  ...experimentRoutes,
  ...runRoutes,
  ...metricRoutes,
  ...loggedModelRoutes,
];
