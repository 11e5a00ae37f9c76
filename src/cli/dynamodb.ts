import type { Command } from 'commander';

/**
 * `mltrack dynamodb …`: table lifecycle (deploy, destroy, template) and the table's configuration (tag
 * denormalization patterns, FTS items, TTL policy and orphan cleanup). Each command takes the store URI from
 * `--backend-store-uri` or MLFLOW_BACKEND_STORE_URI.
 */
export function registerDynamoCommands(program: Command): void {
  const ddb = program.command('dynamodb').description('DynamoDB table administration');
  const uriOf = (o: { backendStoreUri?: string }): string => {
    const uri = o.backendStoreUri ?? process.env.MLFLOW_BACKEND_STORE_URI;
    if (uri === undefined || !/^dynamodb:\/\//i.test(uri)) {
      throw new Error('give a dynamodb:// URI with --backend-store-uri (or MLFLOW_BACKEND_STORE_URI)');
    }
    return uri;
  };
  const out = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
  const withStore = async <T>(
    o: { backendStoreUri?: string },
    fn: (s: import('../store/dynamodb/dynamo-store.js').DynamoStore) => Promise<T>,
  ) => {
    const { DynamoStore } = await import('../store/dynamodb/dynamo-store.js');
    const store = await DynamoStore.open(uriOf(o), {
      defaultArtifactRoot: process.env.MLFLOW_DEFAULT_ARTIFACT_ROOT ?? './mlartifacts',
    });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const uriOption = ['--backend-store-uri <uri>', 'dynamodb://… URI (env MLFLOW_BACKEND_STORE_URI)'] as const;

  ddb
    .command('deploy')
    .description('Create the table (5 GSIs, 5 LSIs, TTL) if it is missing and write the seed items')
    .option(...uriOption)
    .action(async (o) => {
      await withStore(o, async (s) => out(`Table '${s.ddb.table}' is ready.`));
    });

  ddb
    .command('destroy')
    .description('Delete the table and everything in it')
    .option(...uriOption)
    .option('--yes', 'do not ask (required)')
    .action(async (o: { backendStoreUri?: string; yes?: boolean }) => {
      const { parseDynamoUri } = await import('../store/dynamodb/uri.js');
      const { Ddb } = await import('../store/dynamodb/ddb.js');
      const { deleteTable } = await import('../store/dynamodb/provision.js');
      const u = parseDynamoUri(uriOf(o));
      if (o.yes !== true)
        throw new Error(`this deletes table '${u.table}' and all its data; add --yes to confirm`);
      const { clientConfigFor } = await import('../store/dynamodb/uri.js');
      const client = new Ddb(u.table, clientConfigFor(u));
      try {
        out(
          (await deleteTable(client)) ? `Deleted table '${u.table}'.` : `Table '${u.table}' does not exist.`,
        );
      } finally {
        client.close();
      }
    });

  ddb
    .command('template')
    .description('Print the AWS CloudFormation template (JSON) of the table')
    .option('--table <name>', 'table name', 'mlflow')
    .option('--billing <mode>', 'on-demand or provisioned', 'on-demand')
    .option('--rcu <n>', 'read capacity units (provisioned)', '5')
    .option('--wcu <n>', 'write capacity units (provisioned)', '5')
    .action(async (o: { table: string; billing: string; rcu: string; wcu: string }) => {
      const { parseDynamoUri } = await import('../store/dynamodb/uri.js');
      const { cloudFormationTemplate } = await import('../store/dynamodb/table-schema.js');
      const u = parseDynamoUri(
        `dynamodb://us-east-1/${encodeURIComponent(o.table)}?billing=${o.billing}&rcu=${o.rcu}&wcu=${o.wcu}`,
      );
      out(JSON.stringify(cloudFormationTemplate(u.table, u.billing), null, 2));
    });

  const tag = ddb.command('tag').description('Run tags copied into the run item (denormalization patterns)');
  tag
    .command('list')
    .option(...uriOption)
    .action(async (o) => withStore(o, async (s) => out(s.config.denormalizePatterns().join('\n'))));
  tag
    .command('add <pattern>')
    .description('Add a glob (e.g. "team", "sweep.*"); run `tag backfill` for existing runs')
    .option(...uriOption)
    .action(async (pattern: string, o) =>
      withStore(o, async (s) => {
        await s.config.writePatterns([...s.config.denormalizePatterns(), pattern]);
        out(s.config.denormalizePatterns().join('\n'));
      }),
    );
  tag
    .command('remove <pattern>')
    .option(...uriOption)
    .action(async (pattern: string, o) =>
      withStore(o, async (s) => {
        const { ALWAYS_DENORMALIZED } = await import('../store/dynamodb/config.js');
        if (pattern === ALWAYS_DENORMALIZED)
          throw new Error(`'${ALWAYS_DENORMALIZED}' is always denormalized`);
        await s.config.writePatterns(s.config.denormalizePatterns().filter((p) => p !== pattern));
        out(s.config.denormalizePatterns().join('\n'));
      }),
    );
  tag
    .command('backfill')
    .description("Rebuild every run's denormalized tags for the current patterns")
    .option(...uriOption)
    .option('--experiment-id <id>', 'only this experiment')
    .action(async (o: { backendStoreUri?: string; experimentId?: string }) =>
      withStore(o, async (s) => {
        const { backfillTags } = await import('../store/dynamodb/admin.js');
        const r = await backfillTags(s.ddb, s.config, o.experimentId);
        out(`Backfilled ${r.runs} runs.`);
      }),
    );

  ddb
    .command('fts')
    .description('Full-text (trigram) items of names')
    .command('rebuild')
    .description('Write missing trigram items of experiment, run and model names and delete stale ones')
    .option(...uriOption)
    .action(async (o) =>
      withStore(o, async (s) => {
        const { rebuildFts } = await import('../store/dynamodb/admin.js');
        const r = await rebuildFts(s.ddb);
        out(`Added ${r.added} and removed ${r.removed} trigram items.`);
      }),
    );

  const ttl = ddb.command('ttl').description('Retention (TTL) of soft-deleted items and metric history');
  ttl
    .command('show')
    .option(...uriOption)
    .action(async (o) =>
      withStore(o, async (s) => {
        const p = s.config.policy();
        for (const [k, v] of Object.entries(p)) out(`${k}: ${v === 0 ? '0 (never)' : `${v} days`}`);
      }),
    );
  ttl
    .command('set')
    .option(...uriOption)
    .option('--soft-deleted-retention-days <n>')
    .option('--metric-history-retention-days <n>')
    .option('--trace-retention-days <n>')
    .action(
      async (o: {
        backendStoreUri?: string;
        softDeletedRetentionDays?: string;
        metricHistoryRetentionDays?: string;
        traceRetentionDays?: string;
      }) =>
        withStore(o, async (s) => {
          const { parseDays } = await import('../store/dynamodb/config.js');
          const p = { ...s.config.policy() };
          if (o.softDeletedRetentionDays !== undefined)
            p.soft_deleted_retention_days = parseDays(
              '--soft-deleted-retention-days',
              o.softDeletedRetentionDays,
            );
          if (o.metricHistoryRetentionDays !== undefined)
            p.metric_history_retention_days = parseDays(
              '--metric-history-retention-days',
              o.metricHistoryRetentionDays,
            );
          if (o.traceRetentionDays !== undefined)
            p.trace_retention_days = parseDays('--trace-retention-days', o.traceRetentionDays);
          await s.config.writeTtl(p);
          for (const [k, v] of Object.entries(p)) out(`${k}: ${v === 0 ? '0 (never)' : `${v} days`}`);
        }),
    );
  ttl
    .command('cleanup')
    .description('Delete orphaned items (children of expired runs and experiments); scans the table')
    .option(...uriOption)
    .option('--dry-run', 'only count them')
    .action(async (o: { backendStoreUri?: string; dryRun?: boolean }) =>
      withStore(o, async (s) => {
        const { cleanupOrphans } = await import('../store/dynamodb/admin.js');
        const r = await cleanupOrphans(s.ddb, o.dryRun === true);
        out(
          `Scanned ${r.scanned} items; ${r.orphans.length} orphaned${o.dryRun === true ? ' (dry run: kept)' : ' (deleted)'}.`,
        );
      }),
    );
}
