import { openSqliteTestStore } from '../helpers/sqlite.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// Every test gets a fresh in-memory database (node:sqlite, the same code path as a file minus the disk I/O);
// the HTTP tests in test/api run this store on real files.
describeTrackingStore({
  name: 'sqlite',
  open: () => openSqliteTestStore(undefined),
});
