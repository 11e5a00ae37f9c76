import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DB_ROOT, REPO } from '../../scripts/db/servers.js';
import { DynamoStore } from '../../src/store/dynamodb/dynamo-store.js';
import { deleteTable } from '../../src/store/dynamodb/provision.js';

/** Where the test DynamoDB Local keeps its pid/port/log when MLTRACK_TEST_DYNAMODB_ENDPOINT is not given. */
export const DYNAMODB_LOCAL_STATE = path.join(DB_ROOT, 'dynamodb-local');
export const DYNAMODB_SETUP_TIMEOUT_MS = 10 * 60_000;

let endpoint: string | undefined;

/**
 * The DynamoDB endpoint for tests: MLTRACK_TEST_DYNAMODB_ENDPOINT (e.g. a moto server), or DynamoDB Local started
 * on 127.0.0.1 by scripts/dynamodb/start-local.sh (installed from Maven Central on first use).
 */
export function testDynamoEndpoint(): string {
  if (endpoint !== undefined) return endpoint;
  const fromEnv = process.env.MLTRACK_TEST_DYNAMODB_ENDPOINT;
  if (fromEnv !== undefined && fromEnv !== '') {
    endpoint = fromEnv;
    return endpoint;
  }
  const out = execFileSync(
    'bash',
    [path.join(REPO, 'scripts/dynamodb/start-local.sh'), DYNAMODB_LOCAL_STATE, '58000'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: DYNAMODB_SETUP_TIMEOUT_MS,
    },
  );
  endpoint = out.trim().split('\n').pop()!;
  return endpoint;
}

/** A store URI on a fresh, uniquely named table of the test endpoint. */
export function testDynamoUri(prefix = 'mltrack_t'): string {
  return `dynamodb://${testDynamoEndpoint()}/${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A DynamoStore on a fresh table; closing it deletes the table. */
export async function openDynamoTestStore(): Promise<DynamoStore> {
  const store = await DynamoStore.open(testDynamoUri(), { defaultArtifactRoot: '/tmp/mltrack-artifacts' });
  const close = store.close.bind(store);
  store.close = async () => {
    await deleteTable(store.ddb).catch(() => {});
    await close();
  };
  return store;
}
