import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-model-registry.js';
import { m0003 } from './0003-webhooks.js';
import type { Migration } from './types.js';

/** Every migration in order. The schema version of this build is the last one's. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003];
export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;
