import { openStore } from '../../src/store/registry.js';
import type { TrackingStore } from '../../src/store/types.js';
import { type ServerDialect, testDatabaseUri } from './databases.js';

/** A store on a fresh database of the PostgreSQL/MariaDB test server; closing it drops the database. */
export async function openServerTestStore(dialect: ServerDialect): Promise<TrackingStore> {
  const { uri, drop } = await testDatabaseUri(dialect);
  const store = await openStore(uri, {
    defaultArtifactRoot: '/tmp/mltrack-conformance-artifacts',
    cwd: '/tmp',
  });
  const close = store.close.bind(store);
  store.close = async () => {
    try {
      await close();
    } finally {
      await drop();
    }
  };
  return store;
}
