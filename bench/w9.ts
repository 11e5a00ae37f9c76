import fs from 'node:fs';
import path from 'node:path';
import { fileSize } from './lib/backends.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient, runPool } from './lib/http-client.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord, serialQueryRow } from './lib/record.js';
import { round } from './lib/stats.js';
import { mltrackTarget, REPO_ROOT, startTarget } from './lib/targets.js';
import { latencyOf } from './w4-search.js';
import { seedW9, W9_ALIAS, W9_VERSIONS, w9AliasVersion, w9ModelName } from './w9-seed.js';

export interface W9Options {
  /** Registered models (each with W9_VERSIONS versions). */
  models: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  iterations: number;
  warmups: number;
  log: (msg: string) => void;
  /** Waits for the machine to be quiet before each measured phase. */
  quiet: (what: string) => Promise<void>;
}

const API = '/api/2.0/mlflow';
/** The model queries (b)–(d) look at (exists at every size: smoke has 50 models). */
const PROBE = 17;

interface W9Query {
  id: string;
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer;
  /** Items in a response (models or versions). */
  count(res: Record<string, unknown>): number;
  /** What a correct answer holds, for a warning when the server disagrees. */
  expected: number;
  unit: string;
}

const get = (route: string, params: Record<string, string>) =>
  `${API}${route}?${new URLSearchParams(params).toString()}`;
const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);
const items = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** Queries (a)–(d) of W9 (benchmarks.md §6). */
export function w9Queries(models: number): W9Query[] {
  const name = w9ModelName(PROBE);
  const teamX = Math.ceil(models / 10);
  return [
    {
      id: 'W9a',
      label: "GET registered-models/search filter=tags.team='x', max 100",
      method: 'GET',
      path: get('/registered-models/search', { filter: "tags.team='x'", max_results: '100' }),
      count: (r) => len(r.registered_models),
      expected: Math.min(100, teamX),
      unit: 'model',
    },
    {
      id: 'W9b',
      label: `GET model-versions/search filter=name='${name}'`,
      method: 'GET',
      path: get('/model-versions/search', { filter: `name='${name}'` }),
      count: (r) => len(r.model_versions),
      expected: W9_VERSIONS,
      unit: 'version',
    },
    {
      id: 'W9c',
      label: `POST registered-models/get-latest-versions {name: '${name}'}`,
      method: 'POST',
      path: `${API}/registered-models/get-latest-versions`,
      body: Buffer.from(JSON.stringify({ name })),
      count: (r) => len(r.model_versions),
      // every version is in stage None: the latest of that stage
      expected: 1,
      unit: 'version',
    },
    {
      id: 'W9d',
      label: `GET registered-models/alias name=${name} alias=${W9_ALIAS} (→ version ${w9AliasVersion(PROBE)})`,
      method: 'GET',
      path: get('/registered-models/alias', { name, alias: W9_ALIAS }),
      count: (r) => {
        const mv = r.model_version as { version?: string } | undefined;
        return mv?.version === String(w9AliasVersion(PROBE)) ? 1 : 0;
      },
      expected: 1,
      unit: 'version',
    },
  ];
}

interface W9Timing {
  lat: number[];
  wallMs: number;
  bytes: number;
  returned: number;
  errors: number;
}

/** One query at c=1: one checked request, `warmups - 1` more untimed, then `iters` timed. */
async function timeW9(client: HttpClient, q: W9Query, warmups: number, iters: number): Promise<W9Timing> {
  const first = await client.request(q.method, q.path, q.body, true);
  const text = first.body?.toString('utf8') ?? '';
  if (first.status !== 200) throw new Error(`${q.id} ${q.path} → ${first.status}: ${text.slice(0, 300)}`);
  const returned = q.count(JSON.parse(text) as Record<string, unknown>);
  await runPool(Math.max(0, warmups - 1), 1, async () => {
    await client.request(q.method, q.path, q.body);
  });
  const lat: number[] = [];
  let errors = 0;
  const wallMs = await runPool(iters, 1, async () => {
    const r = await client.request(q.method, q.path, q.body);
    lat.push(r.ms);
    if (r.status !== 200) errors++;
  });
  return { lat, wallMs, bytes: first.bytes, returned, errors };
}

const _ms = (v: number) => round(v, 2);

/** W9 model registry: seed through the store (untimed), then queries (a)–(d) over HTTP at c=1. */
export async function runW9(o: W9Options): Promise<BenchRecord[]> {
  const rec = (r: Parameters<typeof makeRecord>[2]) => makeRecord(o.env, o.size, r);
  const dir = path.join(o.workDir, 'w9');
  fs.mkdirSync(dir, { recursive: true });
  const dbFile = path.join(dir, 'mlflow.db');
  const seed = await seedW9(dbFile, o.models, REPO_ROOT);
  const dbBytes = fileSize(dbFile) + fileSize(`${dbFile}-wal`);
  o.log(
    `W9: seeded ${seed.models} models, ${seed.versions} versions (${seed.teamX} with team=x) in ` +
      `${(seed.ms / 1000).toFixed(1)} s (not measured), db ${dbBytes} bytes`,
  );

  await o.quiet('W9 queries');
  const server = await startTarget(mltrackTarget, {
    storeUri: `sqlite:///${dbFile}`,
    artifactDir: path.join(dir, 'art'),
  });
  const out: BenchRecord[] = [];
  const client = new HttpClient(server.baseUrl, 1);
  const sampler = new RssSampler(server.pid, 100);
  const rssAtStart = memOf(server.pid).rssMB;
  try {
    for (const q of w9Queries(o.models)) {
      const meter = new CpuMeter([server.pid]);
      const t = await timeW9(client, q, o.warmups, o.iterations);
      const cpu = meter.stop();
      const l = latencyOf(t.lat);
      o.log(`${q.id}: p50 ${l.p50.toFixed(2)} ms, ${items(t.returned, q.unit)}, ${t.bytes} bytes`);
      if (t.returned !== q.expected)
        o.log(`${q.id}: WARNING returned ${items(t.returned, q.unit)}, expected ${q.expected}`);
      out.push(
        rec({
          ...serialQueryRow(q.id, t, dbBytes),
          extra: {
            query: q.label,
            concurrency: 1,
            iterations: t.lat.length,
            returned: items(t.returned, q.unit),
            expectedReturned: q.expected,
            responseBytes: t.bytes,
            models: seed.models,
            versions: seed.versions,
            ...cpuExtra(cpu),
          },
        }),
      );
    }
  } finally {
    client.close();
    stampServerMemory(out, server, sampler.stop(), rssAtStart);
    await server.stop();
  }
  return out;
}
