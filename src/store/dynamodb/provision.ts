import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_WORKSPACE } from '../../domain/entities/experiment.js';
import { appendUriPath } from '../uri-path.js';
import { conditionFailed, type Ddb, translate } from './ddb.js';
import { trigrams } from './fts.js';
import * as K from './keys.js';
import { createTableInput, GSI_COUNT, LSI_COUNT, TTL_ATTRIBUTE } from './table-schema.js';
import type { DynamoUri } from './uri.js';

/** Version of the item layout this build writes; a table written by a later layout is refused. */
export const LAYOUT_VERSION = 1;

async function describe(ddb: Ddb): Promise<{ status: string; gsis: number; lsis: number } | undefined> {
  try {
    const t = (await ddb.raw.send(new DescribeTableCommand({ TableName: ddb.table }))).Table;
    return {
      status: t?.TableStatus ?? 'UNKNOWN',
      gsis: t?.GlobalSecondaryIndexes?.length ?? 0,
      lsis: t?.LocalSecondaryIndexes?.length ?? 0,
    };
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw translate(e);
  }
}

async function waitActive(ddb: Ddb, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await describe(ddb);
    if (d?.status === 'ACTIVE') return;
    if (Date.now() > until) throw new Error(`DynamoDB table '${ddb.table}' did not become ACTIVE in time`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Creates the table when it is missing (CreateTable; a concurrent creator's ResourceInUse just means wait), waits
 * until it is ACTIVE, enables TTL, and writes the seed items if absent. With `deploy=false` it only checks that
 * the table exists with the expected indexes.
 */
export async function ensureTable(ddb: Ddb, uri: DynamoUri, defaultArtifactRoot: string): Promise<void> {
  let d = await describe(ddb);
  if (d === undefined) {
    if (!uri.deploy) {
      throw new Error(
        `DynamoDB table '${ddb.table}' does not exist and the URI says deploy=false. Create it with 'mltrack dynamodb deploy' or the template of 'mltrack dynamodb template'.`,
      );
    }
    try {
      await ddb.raw.send(new CreateTableCommand(createTableInput(ddb.table, uri.billing)));
    } catch (e) {
      if ((e as { name?: string }).name !== 'ResourceInUseException') throw translate(e);
    }
    await waitActive(ddb);
    d = await describe(ddb);
  } else if (d.status !== 'ACTIVE') {
    await waitActive(ddb);
  }
  if (d === undefined || d.gsis !== GSI_COUNT || d.lsis !== LSI_COUNT) {
    throw new Error(
      `DynamoDB table '${ddb.table}' exists but is not an mltrack table (expected ${GSI_COUNT} GSIs and ${LSI_COUNT} LSIs).`,
    );
  }
  if (uri.deploy) await ensureTtl(ddb);
  await checkLayout(ddb, uri.deploy);
  if (uri.deploy) await seed(ddb, defaultArtifactRoot);
}

async function ensureTtl(ddb: Ddb): Promise<void> {
  try {
    const ttl = await ddb.raw.send(new DescribeTimeToLiveCommand({ TableName: ddb.table }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await ddb.raw.send(
      new UpdateTimeToLiveCommand({
        TableName: ddb.table,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (e) {
    // A concurrent starter enabling it at the same time is fine.
    if (!/already enabled|in progress|TimeToLive is already/i.test((e as Error).message ?? ''))
      throw translate(e);
  }
}

async function checkLayout(ddb: Ddb, deploy: boolean): Promise<void> {
  const item = await ddb.get<{ version: number }>(K.config.layout);
  if (item === undefined) {
    if (!deploy) return;
    try {
      await ddb.put(
        { ...K.config.layout, version: LAYOUT_VERSION },
        { ConditionExpression: 'attribute_not_exists(PK)' },
      );
    } catch (e) {
      if (!conditionFailed(e)) throw e;
    }
    return;
  }
  if (item.version > LAYOUT_VERSION) {
    throw new Error(
      `DynamoDB table '${ddb.table}' was written by a newer mltrack (item layout ${item.version}; this build knows ${LAYOUT_VERSION}). Upgrade mltrack.`,
    );
  }
}

async function putIfAbsent(ddb: Ddb, item: Record<string, unknown>): Promise<void> {
  try {
    await ddb.put(item, { ConditionExpression: 'attribute_not_exists(PK)' });
  } catch (e) {
    if (!conditionFailed(e)) throw e;
  }
}

/** Seed items, each written only if absent (servers starting together may both get here). */
async function seed(ddb: Ddb, defaultArtifactRoot: string): Promise<void> {
  const now = Date.now();
  await putIfAbsent(ddb, { ...K.workspace(DEFAULT_WORKSPACE), name: DEFAULT_WORKSPACE, description: '' });
  const exp = K.experiment('0');
  if ((await ddb.get(exp)) === undefined) {
    await ddb.batchWrite(
      trigrams('Default').map((t) => ({
        PK: K.experimentFtsPk(DEFAULT_WORKSPACE),
        SK: `${t}#${K.pad20('0')}`,
      })),
    );
    try {
      await ddb.transact([
        {
          Put: {
            Item: {
              ...exp,
              experiment_id: '0',
              name: 'Default',
              workspace: DEFAULT_WORKSPACE,
              artifact_location: appendUriPath(defaultArtifactRoot, '0'),
              lifecycle_stage: 'active',
              creation_time: now,
              last_update_time: now,
              tags: {},
              gsi2pk: K.experimentList(DEFAULT_WORKSPACE),
              gsi2sk: K.experimentListSk('active', '0'),
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            Item: { ...K.experimentName(DEFAULT_WORKSPACE, 'Default'), experiment_id: '0' },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ]);
    } catch (e) {
      if (!conditionFailed(e)) throw e;
    }
  }
  await putIfAbsent(ddb, { ...K.config.experimentSequence, next: 0 });
}

/** Deletes the table (the admin CLI's `destroy`). */
export async function deleteTable(ddb: Ddb): Promise<boolean> {
  try {
    await ddb.raw.send(new DeleteTableCommand({ TableName: ddb.table }));
    return true;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw translate(e);
  }
}
