import { describe, expect, it } from 'vitest';
import { cloudFormationTemplate, createTableInput } from '../../src/store/dynamodb/table-schema.js';
import { parseDynamoUri } from '../../src/store/dynamodb/uri.js';

describe('dynamodb:// URIs (the reference plugin forms)', () => {
  it.each([
    ['dynamodb://', { table: 'mlflow' }],
    ['dynamodb://us-east-1', { region: 'us-east-1', table: 'mlflow' }],
    ['dynamodb://eu-central-1/my-table', { region: 'eu-central-1', table: 'my-table' }],
    ['dynamodb://127.0.0.1:8000/tbl', { endpoint: 'http://127.0.0.1:8000', table: 'tbl' }],
    ['dynamodb://localhost:5000/tbl', { endpoint: 'http://localhost:5000', table: 'tbl' }],
    ['dynamodb://http://127.0.0.1:8000/tbl', { endpoint: 'http://127.0.0.1:8000', table: 'tbl' }],
    [
      'dynamodb://https://dynamodb.example.com/t_1',
      { endpoint: 'https://dynamodb.example.com', table: 't_1' },
    ],
  ])('%s', (uri, want) => {
    const u = parseDynamoUri(uri);
    expect(u).toMatchObject({ ...want, deploy: true, billing: { mode: 'PAY_PER_REQUEST' } });
    if (!('region' in want)) expect(u.region).toBeUndefined();
    if (!('endpoint' in want)) expect(u.endpoint).toBeUndefined();
  });

  it('options: deploy=false, provisioned billing, and the plugin stack options are accepted', () => {
    expect(parseDynamoUri('dynamodb://us-east-1/tbl?deploy=false').deploy).toBe(false);
    expect(parseDynamoUri('dynamodb://us-east-1/tbl?deploy=yes').deploy).toBe(true);
    expect(parseDynamoUri('dynamodb://us-east-1/tbl?billing=provisioned&rcu=10&wcu=20').billing).toEqual({
      mode: 'PROVISIONED',
      rcu: 10,
      wcu: 20,
    });
    expect(
      parseDynamoUri('dynamodb://us-east-1/tbl?bucket=b&iam_format=x-{}&permission_boundary=p').table,
    ).toBe('tbl');
  });

  it.each([
    ['postgresql://x/y', 'must start with dynamodb://'],
    ['dynamodb://us-east-1/a', 'not a valid DynamoDB table name'],
    ['dynamodb://us-east-1/tbl?foo=1', "unknown option 'foo'"],
    ['dynamodb://us-east-1/tbl?billing=cheap', 'billing must be'],
    ['dynamodb://us-east-1/tbl?billing=provisioned&rcu=0', 'rcu must be a positive integer'],
    ['dynamodb://bad host/t', 'neither an AWS region nor host:port'],
  ])('%s is refused', (uri, msg) => {
    expect(() => parseDynamoUri(uri)).toThrow(msg);
  });
});

describe('table definition', () => {
  it('PK/SK, 5 GSIs and 5 LSIs (lsi2 numeric), projection ALL, on-demand by default', () => {
    const t = createTableInput('mlflow', { mode: 'PAY_PER_REQUEST' });
    expect(t.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(t.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual([
      'gsi1',
      'gsi2',
      'gsi3',
      'gsi4',
      'gsi5',
    ]);
    expect(t.LocalSecondaryIndexes?.map((g) => g.IndexName)).toEqual([
      'lsi1',
      'lsi2',
      'lsi3',
      'lsi4',
      'lsi5',
    ]);
    expect(t.AttributeDefinitions?.find((a) => a.AttributeName === 'lsi2sk')?.AttributeType).toBe('N');
    expect(t.BillingMode).toBe('PAY_PER_REQUEST');
    expect(t.ProvisionedThroughput).toBeUndefined();
    const p = createTableInput('mlflow', { mode: 'PROVISIONED', rcu: 7, wcu: 9 });
    expect(p.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 7, WriteCapacityUnits: 9 });
    expect(p.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 7,
      WriteCapacityUnits: 9,
    });
  });

  it('the CloudFormation template has the same table, with TTL and point-in-time recovery', () => {
    const tpl = cloudFormationTemplate('mlflow', { mode: 'PAY_PER_REQUEST' }) as {
      Resources: { MltrackTable: { Type: string; Properties: Record<string, unknown> } };
    };
    const props = tpl.Resources.MltrackTable.Properties;
    expect(tpl.Resources.MltrackTable.Type).toBe('AWS::DynamoDB::Table');
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(props.GlobalSecondaryIndexes).toEqual(
      createTableInput('mlflow', { mode: 'PAY_PER_REQUEST' }).GlobalSecondaryIndexes,
    );
  });
});
