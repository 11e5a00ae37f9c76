import { beforeAll } from 'vitest';
import { DYNAMODB_SETUP_TIMEOUT_MS, openDynamoTestStore, testDynamoEndpoint } from '../helpers/dynamodb.js';
import { DYNAMODB_SKIP_GROUPS } from './dynamodb-skips.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// moto's server is installed (PyPI, own venv) and started on first use unless MLTRACK_TEST_MOTO_ENDPOINT is set.
beforeAll(() => void testDynamoEndpoint('moto'), DYNAMODB_SETUP_TIMEOUT_MS);

// The DynamoDB store on a second emulator: the same cases as dynamodb.test.ts (DynamoDB Local), no extra skips.
describeTrackingStore({
  name: 'dynamodb (moto)',
  open: () => openDynamoTestStore('moto'),
  skipGroups: DYNAMODB_SKIP_GROUPS,
});
