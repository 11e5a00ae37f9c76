import { beforeAll } from 'vitest';
import { DYNAMODB_SETUP_TIMEOUT_MS, openDynamoTestStore, testDynamoEndpoint } from '../helpers/dynamodb.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// moto's server is installed (PyPI, own venv) and started on first use unless MLTRACK_TEST_MOTO_ENDPOINT is set.
beforeAll(() => void testDynamoEndpoint('moto'), DYNAMODB_SETUP_TIMEOUT_MS);

/**
 * moto 5.2.5 does not isolate concurrent TransactWriteItems: a transaction that fails restores the whole table
 * from a copy taken when it started (moto/dynamodb/models/__init__.py, transact_write_items), discarding what
 * concurrent requests wrote meanwhile, and it ignores ClientRequestToken. Cases that race writers against each
 * other therefore test moto, not the store; they run on DynamoDB Local (dynamodb.test.ts).
 */
const MOTO_RACES =
  'moto loses concurrent writes when a concurrent transaction fails (no isolation); run on DynamoDB Local';

// The DynamoDB store on a second emulator: the same cases as dynamodb.test.ts except the concurrency races.
describeTrackingStore({
  name: 'dynamodb (moto)',
  open: () => openDynamoTestStore('moto'),
  skipGroups: [{ group: 'races', reason: MOTO_RACES }],
  skip: [
    {
      test: 'registry search > 32 concurrent version creations get exactly versions 1..32',
      reason: MOTO_RACES,
    },
  ],
});
