/**
 * Checks bench/w4-peer-seed.ts by hand (a check, not a measurement, never part of `npm test`): seeds the W4 data
 * set into mltrack (seedW4) and into every peer on every backend it runs on (seedW4Peer), asks each server W4's
 * queries over HTTP (w4-search.ts w4Queries, plus W4c paging through all runs), and compares the peers' answers
 * with mltrack's on the same backend: the same runs by name in the same order, and each returned run carrying the
 * same info, params, tags and metrics.
 *
 *   npm run build && node dist/bench/w4-peer-check.js [--runs 500] [--targets mlflow:sqlite,fasttrackml:postgres,…]
 *                                                     [--page-size 200] [--seed-only] [--out file.json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchBackend, freshDatabase } from './lib/backends.js';
import { HttpClient } from './lib/http-client.js';
import { PEER_BACKENDS, PEER_NAMES, type PeerName, peerTarget, setupPeers } from './lib/peers.js';
import { mltrackTarget, REPO_ROOT, startTarget, type Target } from './lib/targets.js';
import { PEER_SCHEMA, seedW4Peer } from './w4-peer-seed.js';
import { w4Queries } from './w4-search.js';
import { seedW4 } from './w4-seed.js';

const API = '/api/2.0/mlflow';

interface WireRun {
  info: Record<string, unknown>;
  data?: {
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
    metrics?: { key: string; value: number; timestamp: number | string; step: number | string }[];
  };
}

/** One query's answer: HTTP status, the runs' names in order, and a canonical form of each run by name. */
interface Answer {
  status: number;
  error?: string;
  names: string[];
  runs: Map<string, string>;
}

/** The run's content independent of its id and of each server's ordering of lists and number spelling. */
function canonical(r: WireRun): string {
  const i = r.info;
  const kv = (l: { key: string; value: string }[] = []) => l.map((x) => `${x.key}=${x.value}`).sort();
  const metrics = (r.data?.metrics ?? [])
    .map((m) => `${m.key}=${Number(m.value)}@${Number(m.step)}/${Number(m.timestamp)}`)
    .sort();
  const info = [i.run_name, i.status, Number(i.start_time), Number(i.end_time), i.user_id, i.lifecycle_stage];
  return JSON.stringify({ info, params: kv(r.data?.params), tags: kv(r.data?.tags), metrics });
}

async function search(client: HttpClient, body: Record<string, unknown>) {
  const r = await client.request('POST', `${API}/runs/search`, JSON.stringify(body), true);
  const text = r.body?.toString('utf8') ?? '';
  if (r.status !== 200) return { status: r.status, error: text.slice(0, 500), runs: [] as WireRun[] };
  const page = JSON.parse(text) as { runs?: WireRun[]; next_page_token?: string };
  return { status: r.status, runs: page.runs ?? [], token: page.next_page_token };
}

const nameOf = (r: WireRun) => String(r.info.run_name ?? '');

async function answers(client: HttpClient, experimentId: string, pageSize: number) {
  const out = new Map<string, Answer>();
  // W4d with the tag key quoted: the same query in MLflow's grammar (mlflow-go only parses this spelling)
  const d = w4Queries(experimentId).find((q) => q.id === 'W4d')!;
  const quoted = {
    id: 'W4d`',
    body: { ...d.body, filter: String(d.body.filter).replace('mlflow.runName', '`mlflow.runName`') },
  };
  for (const q of [...w4Queries(experimentId), quoted]) {
    const s = await search(client, q.body);
    const a: Answer = { status: s.status, names: s.runs.map(nameOf), runs: new Map() };
    if (s.error !== undefined) a.error = s.error;
    for (const r of s.runs) a.runs.set(nameOf(r), canonical(r));
    out.set(q.id, a);
  }
  // W4c: the whole experiment, page by page
  const all: Answer = { status: 200, names: [], runs: new Map() };
  let token: string | undefined;
  do {
    const body: Record<string, unknown> = { experiment_ids: [experimentId], max_results: pageSize };
    if (token !== undefined) body.page_token = token;
    const s = await search(client, body);
    if (s.error !== undefined) {
      all.status = s.status;
      all.error = s.error;
      break;
    }
    for (const r of s.runs) {
      all.names.push(nameOf(r));
      all.runs.set(nameOf(r), canonical(r));
    }
    token = s.token;
  } while (token !== undefined && token !== '' && all.names.length < 10_000_000);
  out.set('W4c', all);
  return out;
}

/** The sizes of the first run's lists (the data set's shape: 50 params, 20 tags, 30 metrics). */
function shape(a: Answer): string {
  const first = a.runs.get(a.names[0] ?? '');
  if (first === undefined) return '';
  const c = JSON.parse(first) as { params: string[]; tags: string[]; metrics: string[] };
  return ` (${c.params.length} params, ${c.tags.length} tags, ${c.metrics.length} metrics each)`;
}

/** How `got` differs from mltrack's answer, or 'same'. */
function compare(want: Answer, got: Answer): string {
  if (got.status !== 200) return `HTTP ${got.status}: ${got.error}`;
  const notes: string[] = [];
  if (got.names.length !== want.names.length)
    notes.push(`${got.names.length} runs (mltrack ${want.names.length})`);
  const n = Math.min(got.names.length, want.names.length);
  const at = got.names.findIndex((x, k) => k < n && x !== want.names[k]);
  if (at >= 0) notes.push(`order differs from #${at}: ${got.names[at]} (mltrack ${want.names[at]})`);
  const wantSet = new Set(want.names);
  const extra = got.names.filter((x) => !wantSet.has(x)).length;
  if (extra > 0) notes.push(`${extra} runs mltrack did not return`);
  let diff = 0;
  let first = '';
  for (const [name, c] of got.runs) {
    const w = want.runs.get(name);
    if (w !== undefined && w !== c) {
      diff++;
      if (first === '') first = `${name}: ${c.slice(0, 300)} vs mltrack ${w.slice(0, 300)}`;
    }
  }
  if (diff > 0) notes.push(`${diff} runs with other content, e.g. ${first}`);
  return notes.length === 0 ? 'same' : notes.join('; ');
}

interface Result {
  server: string;
  backend: BenchBackend;
  startupMs: number;
  /** seedW4 (mltrack: including its store's migrations and the experiment) or seedW4Peer. */
  seedMs: number;
  answers?: Map<string, Answer>;
}

type Db = Awaited<ReturnType<typeof freshDatabase>>;

/** Starts the server on a fresh database, seeds it (returns the experiment id), and asks it W4's queries. */
async function runOne(
  label: string,
  target: Target,
  backend: BenchBackend,
  work: string,
  seed: (db: Db, client: HttpClient) => Promise<{ experimentId: string; ms: number }>,
  o: { runs: number; pageSize: number; seedOnly: boolean },
): Promise<Result> {
  const dir = path.join(work, `${label}-${backend}`);
  const db = await freshDatabase(backend, dir);
  try {
    const server = await startTarget(target, { storeUri: db.uri, artifactDir: path.join(dir, 'art') });
    const client = new HttpClient(server.baseUrl, 1);
    try {
      const { experimentId, ms: seedMs } = await seed(db, client);
      const res: Result = { server: label, backend, startupMs: server.startupMs, seedMs };
      const secs = (v: number) => (v / 1000).toFixed(2);
      console.log(
        `${label}/${backend}: start-up ${secs(server.startupMs)} s, ${o.runs} runs seeded in ${secs(seedMs)} s`,
      );
      if (!o.seedOnly) res.answers = await answers(client, experimentId, o.pageSize);
      return res;
    } finally {
      client.close();
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '500' },
      targets: { type: 'string' },
      'page-size': { type: 'string', default: '200' },
      'seed-only': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const o = {
    runs: Number(values.runs),
    pageSize: Number(values['page-size']),
    seedOnly: values['seed-only'],
  };
  const all = PEER_NAMES.flatMap((p) => PEER_BACKENDS[p].map((b) => `${p}:${b}`));
  const wanted = (values.targets?.split(',') ?? all).map((t) => t.split(':') as [PeerName, BenchBackend]);
  const installs = setupPeers([...new Set(wanted.map(([p]) => p))], console.log);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'w4-peer-check-'));
  const results: Result[] = [];
  const reference = new Map<BenchBackend, Result>();
  try {
    // the reference answers (--seed-only measures the peers' seeding alone)
    for (const backend of o.seedOnly ? [] : new Set(wanted.map(([, b]) => b))) {
      // mltrack is up but idle while its store code writes the data set (and creates the experiment)
      const seed = (db: Db) => seedW4(db.uri, o.runs, REPO_ROOT);
      const ref = await runOne('mltrack', mltrackTarget, backend, work, seed, o);
      reference.set(backend, ref);
      results.push(ref);
    }
    for (const [peer, backend] of wanted) {
      const target = peerTarget(installs.get(peer)!, backend);
      if (target === undefined) throw new Error(`${peer} does not run on ${backend}`);
      const seed = async (db: Db, client: HttpClient) => {
        const e = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
          name: 'w4-search',
        });
        const s = await seedW4Peer(PEER_SCHEMA[peer], db, e.experiment_id, o.runs);
        return { experimentId: e.experiment_id, ms: s.ms };
      };
      results.push(await runOne(peer, target, backend, work, seed, o));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const report = results.map((r) => {
    const ref = reference.get(r.backend)?.answers;
    const queries: Record<string, string> = {};
    for (const [id, a] of r.answers ?? []) {
      const verdict =
        r.server === 'mltrack' ? `${a.names.length} runs${shape(a)}` : compare(ref!.get(id)!, a);
      queries[id] = verdict;
    }
    return {
      server: r.server,
      backend: r.backend,
      startupMs: Math.round(r.startupMs),
      seedMs: Math.round(r.seedMs),
      queries,
    };
  });
  for (const r of report) {
    console.log(`\n${r.server}/${r.backend} (start-up ${r.startupMs} ms, seed ${r.seedMs} ms)`);
    for (const [id, v] of Object.entries(r.queries)) console.log(`  ${id}: ${v}`);
  }
  if (values.out !== undefined)
    fs.writeFileSync(values.out, `${JSON.stringify({ runs: o.runs, report }, null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
