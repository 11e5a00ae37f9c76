import { beforeAll } from 'vitest';
import { DYNAMODB_SETUP_TIMEOUT_MS, openDynamoTestStore, testDynamoEndpoint } from '../helpers/dynamodb.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// DynamoDB Local is installed (Maven Central) and started on first use unless MLTRACK_TEST_DYNAMODB_ENDPOINT is set.
beforeAll(() => void testDynamoEndpoint('local'), DYNAMODB_SETUP_TIMEOUT_MS);

// A fresh table per test on DynamoDB Local (scripts/dynamodb); dynamodb-moto.test.ts runs the same on moto.
describeTrackingStore({ name: 'dynamodb', open: () => openDynamoTestStore('local') });
