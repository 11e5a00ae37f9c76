import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoUri } from './uri.js';

/**
 * The table: `PK`/`SK` strings, five GSIs (`gsi<i>pk`/`gsi<i>sk`, strings) and five LSIs (`lsi<i>sk`; lsi2 is a
 * number), every index projecting ALL, TTL on `ttl`. One definition feeds both CreateTable (auto-provisioning,
 * `mltrack dynamodb deploy`) and the CloudFormation template (`mltrack dynamodb template`).
 */
export const GSI_COUNT = 5;
export const LSI_COUNT = 5;
export const TTL_ATTRIBUTE = 'ttl';

const lsiType = (i: number): 'S' | 'N' => (i === 2 ? 'N' : 'S');

export function createTableInput(table: string, billing: DynamoUri['billing']): CreateTableCommandInput {
  const attrs: { AttributeName: string; AttributeType: 'S' | 'N' }[] = [
    { AttributeName: 'PK', AttributeType: 'S' },
    { AttributeName: 'SK', AttributeType: 'S' },
  ];
  const throughput =
    billing.mode === 'PROVISIONED'
      ? { ProvisionedThroughput: { ReadCapacityUnits: billing.rcu, WriteCapacityUnits: billing.wcu } }
      : {};
  const gsis = [];
  for (let i = 1; i <= GSI_COUNT; i++) {
    attrs.push(
      { AttributeName: `gsi${i}pk`, AttributeType: 'S' },
      { AttributeName: `gsi${i}sk`, AttributeType: 'S' },
    );
    gsis.push({
      IndexName: `gsi${i}`,
      KeySchema: [
        { AttributeName: `gsi${i}pk`, KeyType: 'HASH' as const },
        { AttributeName: `gsi${i}sk`, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
      ...throughput,
    });
  }
  const lsis = [];
  for (let i = 1; i <= LSI_COUNT; i++) {
    attrs.push({ AttributeName: `lsi${i}sk`, AttributeType: lsiType(i) });
    lsis.push({
      IndexName: `lsi${i}`,
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' as const },
        { AttributeName: `lsi${i}sk`, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
  }
  return {
    TableName: table,
    AttributeDefinitions: attrs,
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: gsis,
    LocalSecondaryIndexes: lsis,
    BillingMode: billing.mode,
    ...throughput,
  };
}

/** The same table as an AWS CloudFormation template (JSON), with TTL and point-in-time recovery on. */
export function cloudFormationTemplate(
  table: string,
  billing: DynamoUri['billing'],
): Record<string, unknown> {
  const t = createTableInput(table, billing);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `mltrack tracking and model-registry table '${table}' (single-table design, docs/dynamodb.md)`,
    Resources: {
      MltrackTable: {
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName: t.TableName,
          BillingMode: t.BillingMode,
          ...(t.ProvisionedThroughput ? { ProvisionedThroughput: t.ProvisionedThroughput } : {}),
          AttributeDefinitions: t.AttributeDefinitions,
          KeySchema: t.KeySchema,
          GlobalSecondaryIndexes: t.GlobalSecondaryIndexes,
          LocalSecondaryIndexes: t.LocalSecondaryIndexes,
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      },
    },
    Outputs: {
      TableName: { Value: { Ref: 'MltrackTable' } },
      TableArn: { Value: { 'Fn::GetAtt': ['MltrackTable', 'Arn'] } },
    },
  };
}
