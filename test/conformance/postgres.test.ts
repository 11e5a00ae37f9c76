import { openServerTestStore } from '../helpers/server-store.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// A fresh database per test on the PostgreSQL test server (scripts/db, or MLTRACK_TEST_POSTGRES_URI).
describeTrackingStore({ name: 'postgres', open: () => openServerTestStore('postgres') });
