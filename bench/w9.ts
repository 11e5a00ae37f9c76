import path from 'node:path';
import type { BenchBackend, BenchDatabase } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient, type HttpResult } from './lib/http-client.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord, serialQueryRow } from './lib/record.js';
import { REPO_ROOT, type RunningTarget } from './lib/targets.js';
import { latencyOf } from './w4-search.js';
import { seedW9Peer } from './w9-peer-seed.js';
import { seedW9, W9_ALIAS, W9_VERSIONS, type W9SeedResult, w9AliasVersion, w9ModelName } from './w9-seed.js';

export interface W9Options {
  backend: BenchBackend;
  /** mltrack first, then the peers that run on the backend. */
  contenders: Contender[];
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
  /** A query stops after this long once it has 3 timed iterations (default 10 s; only a slow peer gets there). */
  phaseBudgetMs?: number;
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
  /** The first failed timed request: its status, or why the connection failed. */
  firstError?: string;
}

/** One request that never throws: a dropped connection is status 0 with the reason. */
async function attempt(
  client: HttpClient,
  q: W9Query,
  keepBody = false,
): Promise<HttpResult & { error?: string }> {
  try {
    return await client.request(q.method, q.path, q.body, keepBody);
  } catch (e) {
    return { status: 0, bytes: 0, ms: 0, error: e instanceof Error ? e.message : String(e) };
  }
}

const oneLine = (b: Buffer | undefined) => b?.toString('utf8').replace(/\s+/g, ' ').slice(0, 120) ?? '';

/**
 * One query at c=1: one checked request (tried twice if the connection drops: a keep-alive socket the server
 * closed while the bench was seeding), `warmups - 1` more untimed, then `iters` timed, stopping after `budgetMs`
 * once 3 are timed. A timed request that fails counts as an error, without a latency (MLflow's uvicorn restarts a
 * worker that misses its health check, which drops the connection).
 */
async function timeW9(
  client: HttpClient,
  q: W9Query,
  warmups: number,
  iters: number,
  budgetMs: number,
): Promise<W9Timing> {
  let first = await attempt(client, q, true);
  if (first.status === 0) first = await attempt(client, q, true);
  if (first.status !== 200) throw new Error(first.error ?? `${first.status} ${oneLine(first.body)}`);
  const returned = q.count(JSON.parse(first.body!.toString('utf8')) as Record<string, unknown>);
  for (let i = 1; i < warmups; i++) await attempt(client, q);
  const t: W9Timing = { lat: [], wallMs: 0, bytes: first.bytes, returned, errors: 0 };
  const t0 = performance.now();
  for (let n = 0; n < iters && (n < 3 || performance.now() - t0 < budgetMs); n++) {
    const r = await attempt(client, q);
    if (r.status === 200) t.lat.push(r.ms);
    else {
      t.errors++;
      t.firstError ??= r.error ?? `${r.status}`;
    }
  }
  t.wallMs = performance.now() - t0;
  if (t.lat.length === 0) throw new Error(`every timed request failed (first: ${t.firstError})`);
  return t;
}

/** Peers' known gaps, noted in their rows. */
const PEER_NOTES: Record<string, string> = {
  'mlflow-go':
    "mlflow-go 0.2.2's Go registry service answers get-latest-versions and get-by-alias (without the version's " +
    'tags, which MLflow returns); it has no search: both searches are answered by the Python mlflow it installs',
};

/**
 * Before seeding, on the empty database: `registered-models/get` of a missing model. A registry answers 404
 * RESOURCE_DOES_NOT_EXIST; FastTrackML, whose registry is stubs only, answers 404 ENDPOINT_NOT_FOUND (and its
 * searches answer 200 with an empty list). Such a server gets rows with null latencies and `extra.unsupported`,
 * and nothing is seeded.
 */
async function probe(o: W9Options, name: string, client: HttpClient): Promise<BenchRecord[] | undefined> {
  const get = await client.request('GET', `${API}/registered-models/get?name=w9-probe`, undefined, true);
  const body = oneLine(get.body);
  if (!body.includes('ENDPOINT_NOT_FOUND') && get.status !== 405 && get.status !== 501) return undefined;
  const search = await client.request(
    'GET',
    `${API}/registered-models/search?max_results=1`,
    undefined,
    true,
  );
  const answer =
    `registered-models/get → ${get.status} ${body}; ` +
    `registered-models/search → ${search.status} ${oneLine(search.body)}`;
  o.log(`W9 ${name}: ${answer}: no model registry (stubs), not seeded`);
  return w9Queries(o.models).map((q) =>
    makeRecord(o.env, o.size, {
      workload: q.id,
      backend: o.backend,
      server: name,
      throughput: null,
      throughputUnit: 'req/s (c=1)',
      extra: { query: q.label, unsupported: 'no model registry (stubs)', answer },
    }),
  );
}

/** Queries (a)–(d) on a seeded server; a query that fails gets a row saying so (errors: 1). */
async function measure(
  o: W9Options,
  c: Contender,
  server: RunningTarget,
  client: HttpClient,
  seed: W9SeedResult,
  dbBytes: number,
): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const sampler = new RssSampler(server.pid, 100);
  const rssAtStart = memOf(server.pid).rssMB;
  const data = { models: seed.models, versions: seed.versions };
  try {
    for (const q of w9Queries(o.models)) {
      const meter = new CpuMeter([server.pid]);
      let t: W9Timing;
      try {
        t = await timeW9(client, q, o.warmups, o.iterations, o.phaseBudgetMs ?? 10_000);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        o.log(`${q.id} ${c.name} ${o.backend}: not answered: ${why}`);
        out.push(
          makeRecord(o.env, o.size, {
            workload: q.id,
            backend: o.backend,
            server: c.name,
            throughput: null,
            throughputUnit: 'req/s (c=1)',
            dbBytes,
            errors: 1,
            extra: { query: q.label, unsupported: `not answered: ${why}`, ...data },
          }),
        );
        continue;
      }
      const cpu = meter.stop();
      const l = latencyOf(t.lat);
      const wrong = t.returned !== q.expected;
      o.log(
        `${q.id} ${c.name} ${o.backend}: p50 ${l.p50.toFixed(2)} ms, ${items(t.returned, q.unit)}, ${t.bytes} bytes`,
      );
      if (wrong)
        o.log(`${q.id} ${c.name}: WARNING returned ${items(t.returned, q.unit)}, expected ${q.expected}`);
      out.push(
        makeRecord(o.env, o.size, {
          ...serialQueryRow(q.id, t, dbBytes),
          backend: o.backend,
          server: c.name,
          extra: {
            query: q.label,
            concurrency: 1,
            iterations: t.lat.length,
            returned: wrong
              ? `WRONG COUNT: ${items(t.returned, q.unit)}, expected ${q.expected}`
              : items(t.returned, q.unit),
            expectedReturned: q.expected,
            responseBytes: t.bytes,
            ...(t.firstError === undefined ? {} : { firstError: t.firstError }),
            ...data,
            ...cpuExtra(cpu),
          },
        }),
      );
    }
  } finally {
    stampServerMemory(out, server, sampler.stop(), rssAtStart);
  }
  return out;
}

/**
 * W9 model registry (benchmarks.md §6) against each contender in turn, each started on a fresh database of the
 * backend: the same data set (untimed) — through mltrack's own store for mltrack (bench/w9-seed.ts), straight into
 * MLflow's registry tables for MLflow and mlflow-go (bench/w9-peer-seed.ts) — then queries (a)–(d) over HTTP at
 * c=1. A server without a model registry (FastTrackML) gets rows that say so.
 */
export async function runW9(o: W9Options): Promise<BenchRecord[]> {
  const all: BenchRecord[] = [];
  for (const c of o.contenders) {
    const seedOn = (db: BenchDatabase) =>
      c.name === 'mltrack' ? seedW9(db.uri, o.models, REPO_ROOT) : seedW9Peer(db, o.models);
    const { result } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w9-${o.backend}`),
      async (server, db) => {
        const client = new HttpClient(server.baseUrl, 1);
        try {
          const unsupported = await probe(o, c.name, client);
          if (unsupported !== undefined) return unsupported;
          const seed = await seedOn(db);
          const dbBytes = await db.bytes();
          o.log(
            `W9 ${c.name} ${o.backend}: seeded ${seed.models} models, ${seed.versions} versions (${seed.teamX} ` +
              `with team=x) in ${(seed.ms / 1000).toFixed(1)} s (not measured), db ${dbBytes} bytes`,
          );
          await o.quiet(`W9 ${c.name} queries`);
          return await measure(o, c, server, client, seed, dbBytes);
        } finally {
          client.close();
        }
      },
      async () => undefined,
    );
    for (const r of result) {
      const note = PEER_NOTES[c.name];
      if (note !== undefined) r.extra.note = note;
      Object.assign(r.extra, contenderExtra(c));
    }
    all.push(...result);
  }
  return all;
}
