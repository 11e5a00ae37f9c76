import { openServerTestStore } from '../helpers/server-store.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// A fresh database per test on the MariaDB test server (scripts/db, or MLTRACK_TEST_MYSQL_URI).
describeTrackingStore({ name: 'mysql', open: () => openServerTestStore('mysql') });
