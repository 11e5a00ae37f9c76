import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DB_ROOT, REPO } from '../../scripts/db/servers.js';
import { DynamoStore } from '../../src/store/dynamodb/dynamo-store.js';
import { deleteTable } from '../../src/store/dynamodb/provision.js';

/**
 * The DynamoDB endpoints the tests run on: `local` is AWS's DynamoDB Local (Maven Central, Java 17), `moto` is
 * moto's server (PyPI, its own venv). Each comes from its environment variable when set (.ci/run starts both up
 * front), else scripts/dynamodb starts it on 127.0.0.1 on first use (installing it first) and leaves it running
 * for later test processes.
 */
export type DynamoEmulator = 'local' | 'moto';

interface EmulatorSpec {
  readonly env: string;
  readonly script: string;
  readonly state: string;
  readonly port: string;
}

/** Where the test DynamoDB Local keeps its pid/port/log when MLTRACK_TEST_DYNAMODB_ENDPOINT is not given. */
export const DYNAMODB_LOCAL_STATE = path.join(DB_ROOT, 'dynamodb-local');
/** Where the test moto server keeps its pid/port/log when MLTRACK_TEST_MOTO_ENDPOINT is not given. */
export const MOTO_STATE = path.join(DB_ROOT, 'moto');
/** A first install (Maven or pip) plus the start. */
export const DYNAMODB_SETUP_TIMEOUT_MS = 10 * 60_000;

const EMULATORS: Record<DynamoEmulator, EmulatorSpec> = {
  local: {
    env: 'MLTRACK_TEST_DYNAMODB_ENDPOINT',
    script: 'start-local.sh',
    state: DYNAMODB_LOCAL_STATE,
    port: '58000',
  },
  moto: { env: 'MLTRACK_TEST_MOTO_ENDPOINT', script: 'start-moto.sh', state: MOTO_STATE, port: '58100' },
};

const endpoints = new Map<DynamoEmulator, string>();

/** The endpoint of `emulator` (see DynamoEmulator), starting it on first use. */
export function testDynamoEndpoint(emulator: DynamoEmulator = 'local'): string {
  const known = endpoints.get(emulator);
  if (known !== undefined) return known;
  const spec = EMULATORS[emulator];
  const fromEnv = process.env[spec.env];
  let endpoint: string;
  if (fromEnv !== undefined && fromEnv !== '') {
    endpoint = fromEnv;
  } else {
    const out = execFileSync(
      'bash',
      [path.join(REPO, 'scripts/dynamodb', spec.script), spec.state, spec.port],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: DYNAMODB_SETUP_TIMEOUT_MS,
      },
    );
    endpoint = out.trim().split('\n').pop()!;
  }
  endpoints.set(emulator, endpoint);
  return endpoint;
}

/** A store URI on a fresh, uniquely named table of the emulator's endpoint. */
export function testDynamoUri(prefix = 'mltrack_t', emulator: DynamoEmulator = 'local'): string {
  return `dynamodb://${testDynamoEndpoint(emulator)}/${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A DynamoStore on a fresh table of the emulator; closing it deletes the table. */
export async function openDynamoTestStore(emulator: DynamoEmulator = 'local'): Promise<DynamoStore> {
  const store = await DynamoStore.open(testDynamoUri('mltrack_t', emulator), {
    defaultArtifactRoot: '/tmp/mltrack-artifacts',
  });
  const close = store.close.bind(store);
  store.close = async () => {
    await deleteTable(store.ddb).catch(() => {});
    await close();
  };
  return store;
}
