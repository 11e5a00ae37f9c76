import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Metric } from '../src/domain/entities/metric.js';
import { DynamoStore } from '../src/store/dynamodb/dynamo-store.js';
import { deleteTable } from '../src/store/dynamodb/provision.js';
import type { BenchEnv } from './lib/env.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { round } from './lib/stats.js';
import { REPO_ROOT } from './lib/targets.js';

/**
 * W12, DynamoDB accounting (benchmarks.md): the store runs in this process against DynamoDB Local, every request
 * asks for ReturnConsumedCapacity=TOTAL, and the Ddb meter adds up read/write units, requests per operation and
 * write units per partition key. Functional only: DynamoDB Local's latency says nothing about AWS.
 */
export interface W12Options {
  size: string;
  env: BenchEnv;
  log: (m: string) => void;
  /** W1: total points (batches of 1000 = 50 keys × 20 steps over 4 runs). */
  w1Points: number;
  /** W3: runs created, each with one batch of 20 params + 10 tags + 30 metrics, then FINISHED. */
  w3Runs: number;
  /** W4a: runs in the experiment searched. */
  w4Runs: number;
  /** W5: points of one series. */
  w5Points: number;
  /** The ingest rate at which the hottest partition's write rate is judged (points/s). */
  atRate: number;
}

function endpoint(): string {
  const fromEnv = process.env.MLTRACK_BENCH_DYNAMODB_ENDPOINT;
  if (fromEnv) return fromEnv;
  const out = execFileSync(
    'bash',
    [path.join(REPO_ROOT, 'scripts/dynamodb/start-local.sh'), '/tmp/mltrack-db/dynamodb-local', '58000'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return out.trim().split('\n').pop()!;
}

async function freshStore(): Promise<DynamoStore> {
  const table = `w12_${process.pid}_${Date.now().toString(36)}`;
  const s = await DynamoStore.open(`dynamodb://${endpoint()}/${table}`, { defaultArtifactRoot: '/tmp/w12' });
  s.ddb.meterPartitions = true;
  return s;
}

interface Snapshot {
  read: number;
  write: number;
  requests: number;
  byPk: Map<string, number>;
}

function snap(s: DynamoStore): Snapshot {
  const m = s.ddb.meter;
  return {
    read: m.read,
    write: m.write,
    requests: Object.values(m.requests).reduce((a, b) => a + b, 0),
    byPk: new Map(m.writeByPk),
  };
}

function delta(s: DynamoStore, a: Snapshot) {
  const b = snap(s);
  let hot = { pk: '', wcu: 0 };
  for (const [pk, v] of b.byPk) {
    const d = v - (a.byPk.get(pk) ?? 0);
    if (d > hot.wcu) hot = { pk, wcu: d };
  }
  return { read: b.read - a.read, write: b.write - a.write, requests: b.requests - a.requests, hot };
}

async function pool(n: number, total: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

export async function runW12(o: W12Options): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const row = (workload: string, extra: BenchRecord['extra']) =>
    out.push(
      makeRecord(o.env, o.size, {
        workload,
        backend: 'dynamodb-local',
        server: 'mltrack',
        throughput: null,
        throughputUnit: 'n/a (capacity accounting)',
        extra,
      }),
    );
  let s = await freshStore();
  try {
    // W1: batches of 1000 points (50 keys × 20 steps) over 4 runs of one experiment, 4 writers.
    const exp1 = await s.createExperiment({ name: 'w12-ingest' });
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        async () =>
          (await s.createRun({ experimentId: exp1, userId: 'b', startTime: 1, tags: [] })).info.run_id,
      ),
    );
    const batches = Math.max(1, Math.round(o.w1Points / 1000));
    let a = snap(s);
    await pool(4, batches, async (b) => {
      const metrics: Metric[] = [];
      for (let k = 0; k < 50; k++)
        for (let st = 0; st < 20; st++)
          metrics.push({
            key: `m${k}`,
            value: Math.sin(b * 20 + st + k),
            timestamp: 1e12 + b * 20 + st,
            step: b * 20 + st,
          });
      await s.logBatch(runs[b % 4]!, { metrics, params: [], tags: [] });
    });
    let d = delta(s, a);
    const per1000 = (x: number) => round((x / (batches * 1000)) * 1000, 2);
    const hotPerSec = (d.hot.wcu / (batches * 1000)) * o.atRate;
    o.log(
      `W12 W1: ${per1000(d.write)} WCU / 1000 points, ${round(d.requests / batches, 1)} requests / batch`,
    );
    row('W12-W1', {
      points: batches * 1000,
      wcuPer1000Points: per1000(d.write),
      rcuPer1000Points: per1000(d.read),
      requestsPerBatch: round(d.requests / batches, 1),
      hottestPartition: d.hot.pk.replace(/[0-9a-f]{32}/, '<run>'),
      hottestWcuPer1000Points: per1000(d.hot.wcu),
      [`hottestWcuPerSecAt${o.atRate}PointsPerSec`]: round(hotPerSec, 0),
      partitionLimitWcuPerSec: 1000,
    });

    // W3, W4, W5 on a table of their own: DynamoDB Local's writes slow down a lot on a table holding W1's data.
    await deleteTable(s.ddb).catch(() => {});
    await s.close();
    s = await freshStore();
    const exp = await s.createExperiment({ name: 'w12' });
    // W3: run churn.
    a = snap(s);
    await pool(8, o.w3Runs, async (i) => {
      const r = await s.createRun({ experimentId: exp, userId: 'b', startTime: 2 + i, tags: [] });
      const id = r.info.run_id;
      await s.logBatch(id, {
        params: Array.from({ length: 20 }, (_, p) => ({ key: `p${p}`, value: String(p * i) })),
        tags: Array.from({ length: 10 }, (_, t) => ({ key: `t${t}`, value: `v${t}` })),
        metrics: Array.from({ length: 30 }, (_, m) => ({ key: `m${m}`, value: m, timestamp: 1, step: 0 })),
      });
      await s.updateRun(id, { status: 'FINISHED', endTime: 3 });
    });
    d = delta(s, a);
    o.log(
      `W12 W3: ${round(d.write / o.w3Runs, 1)} WCU / run, ${round(d.requests / o.w3Runs, 1)} requests / run`,
    );
    row('W12-W3', {
      runs: o.w3Runs,
      wcuPerRun: round(d.write / o.w3Runs, 1),
      rcuPerRun: round(d.read / o.w3Runs, 1),
      requestsPerRun: round(d.requests / o.w3Runs, 1),
    });

    // W4a: one search of max 1000 over an experiment of w4Runs runs (created like W3, in their own experiment).
    const exp4 = await s.createExperiment({ name: 'w12-search' });
    await pool(16, o.w4Runs, async (i) => {
      const r = await s.createRun({ experimentId: exp4, userId: 'b', startTime: 10 + i, tags: [] });
      await s.logBatch(r.info.run_id, {
        params: [{ key: 'optimizer', value: ['adam', 'sgd', 'adamw', 'rmsprop'][i % 4]! }],
        tags: [],
        metrics: [{ key: 'val_loss', value: ((i * 7919) % 1000) / 1000, timestamp: 1, step: 0 }],
      });
    });
    const search = async (filter: string, orderBy: string[]) => {
      const { parseRunFilter, parseRunOrderBy } = await import('../src/domain/search/runs.js');
      s.runs.snapshots.clear();
      const b0 = snap(s);
      const res = await s.searchRuns({
        experimentIds: [exp4],
        filter: parseRunFilter(filter),
        viewType: 'ACTIVE_ONLY',
        maxResults: 1000,
        orderBy: parseRunOrderBy(orderBy),
      });
      return { ...delta(s, b0), runs: res.items.length };
    };
    const w4a = await search('', []);
    const w4b = await search("metrics.val_loss < 0.5 AND params.optimizer = 'adam'", [
      'metrics.val_loss ASC',
    ]);
    o.log(`W12 W4a: ${round(w4a.read, 0)} RCU, ${w4a.requests} requests; W4b: ${round(w4b.read, 0)} RCU`);
    row('W12-W4a', {
      runsInExperiment: o.w4Runs,
      runsReturned: w4a.runs,
      rcu: round(w4a.read, 1),
      requests: w4a.requests,
    });
    row('W12-W4b', {
      runsInExperiment: o.w4Runs,
      runsReturned: w4b.runs,
      rcu: round(w4b.read, 1),
      requests: w4b.requests,
    });

    // W5: one long series, logged in batches of 1000, then read whole.
    const r5 = (await s.createRun({ experimentId: exp, userId: 'b', startTime: 5, tags: [] })).info.run_id;
    a = snap(s);
    for (let b = 0; b < o.w5Points / 1000; b++) {
      await s.logBatch(r5, {
        params: [],
        tags: [],
        metrics: Array.from({ length: 1000 }, (_, i) => ({
          key: 'loss',
          value: 1 / (b * 1000 + i + 1),
          timestamp: 1e12 + b * 1000 + i,
          step: b * 1000 + i,
        })),
      });
    }
    const w5w = delta(s, a);
    a = snap(s);
    const hist = await s.getMetricHistory(r5, 'loss', {});
    const w5r = delta(s, a);
    o.log(
      `W12 W5: ${hist.items.length} points read with ${round(w5r.read, 0)} RCU in ${w5r.requests} requests`,
    );
    row('W12-W5', {
      points: hist.items.length,
      wcuPer1000Points: round((w5w.write / o.w5Points) * 1000, 2),
      rcuFullRead: round(w5r.read, 1),
      requestsFullRead: w5r.requests,
    });
  } finally {
    await deleteTable(s.ddb).catch(() => {});
    await s.close();
  }
  return out;
}
