import { beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_SETUP_TIMEOUT_MS, testDynamoEndpoint, testDynamoUri } from '../helpers/dynamodb.js';
import { runCli } from '../helpers/server-process.js';

beforeAll(() => void testDynamoEndpoint(), DYNAMODB_SETUP_TIMEOUT_MS);

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['dynamodb', ...args], { env });

describe('mltrack dynamodb', () => {
  it('template prints the CloudFormation table (on-demand by default, provisioned on request)', async () => {
    const t = await cli(['template', '--table', 'tracking']);
    expect(t.code).toBe(0);
    const tpl = JSON.parse(t.out);
    expect(tpl.Resources.MltrackTable.Properties).toMatchObject({
      TableName: 'tracking',
      BillingMode: 'PAY_PER_REQUEST',
    });
    const p = JSON.parse(
      (await cli(['template', '--billing', 'provisioned', '--rcu', '3', '--wcu', '4'])).out,
    );
    expect(p.Resources.MltrackTable.Properties.ProvisionedThroughput).toEqual({
      ReadCapacityUnits: 3,
      WriteCapacityUnits: 4,
    });
  });

  it('deploy, tag patterns, ttl policy, fts rebuild, cleanup and destroy on one table', async () => {
    const uri = testDynamoUri('cli');
    const u = ['--backend-store-uri', uri];
    expect((await cli(['deploy', ...u])).out).toMatch(/is ready/);
    expect((await cli(['tag', 'list', ...u])).out.trim()).toBe('mlflow.*');
    expect((await cli(['tag', 'add', 'team', ...u])).out.trim().split('\n')).toEqual(['mlflow.*', 'team']);
    expect((await cli(['tag', 'remove', 'mlflow.*', ...u])).code).toBe(1);
    expect((await cli(['tag', 'backfill', ...u])).out).toMatch(/Backfilled 0 runs/);
    const set = await cli(['ttl', 'set', '--metric-history-retention-days', '30', ...u]);
    expect(set.out).toMatch(/metric_history_retention_days: 30 days/);
    const shown = await cli(['ttl', 'show', ...u]);
    expect(shown.out).toMatch(/soft_deleted_retention_days: 90 days/);
    expect(shown.out).toMatch(/trace_retention_days: 0 \(never\)/);
    // an environment variable overrides the stored field when a server (or command) starts
    const env = await cli(['ttl', 'show', ...u], { MLFLOW_DYNAMODB_SOFT_DELETED_RETENTION_DAYS: '0' });
    expect(env.out).toMatch(/soft_deleted_retention_days: 0 \(never\)/);
    expect((await cli(['fts', 'rebuild', ...u])).out).toMatch(/Added 0 and removed 0 trigram items/);
    expect((await cli(['ttl', 'cleanup', '--dry-run', ...u])).out).toMatch(/0 orphaned \(dry run: kept\)/);
    expect((await cli(['destroy', ...u])).code).toBe(1); // needs --yes
    expect((await cli(['destroy', '--yes', ...u])).out).toMatch(/Deleted table/);
    expect((await cli(['deploy', ...u.slice(0, 1), `${uri}?deploy=false`])).out).toMatch(/does not exist/);
  });
});
