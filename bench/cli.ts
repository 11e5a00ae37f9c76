/**
 * mltrack benchmark runner (a measurement, never part of `npm test`). benchmarks.md §6, workloads W1, W4, W5,
 * W6, W8 and W9, plus cold start / idle RSS (W10), on SQLite, PostgreSQL and MariaDB. The server under test is a
 * separate process; this process is the load generator and also runs the in-process floors.
 *
 *   npm run bench -- [--workload W1,W2,W2b,W3,W4,W5,W6,W7,W8,W9,W12,idle|all] [--backend sqlite,postgres,mysql]
 *                    [--size smoke|S|L] [--out dir] [--report [--report-file path]] [--keep]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeCharts } from './chart.js';
import { runIdle } from './idle.js';
import { BACKENDS, type BenchBackend, type BenchDatabase, serverVersion } from './lib/backends.js';
import { type Contender, MLTRACK, peersOn } from './lib/contenders.js';
import { waitQuiet } from './lib/cpu.js';
import { benchEnv } from './lib/env.js';
import { PEER_NAMES, type PeerName, setupPeers } from './lib/peers.js';
import type { BenchRecord } from './lib/record.js';
import { REPO_ROOT } from './lib/targets.js';
import { markdownReport, textTable } from './report.js';
import { checkTargets } from './report-targets.js';
import { SIZES } from './sizes.js';
import { runW1 } from './w1.js';
import { runW2 } from './w2.js';
import { runW2b } from './w2b.js';
import { runW3 } from './w3.js';
import { prepareW4, runW4 } from './w4.js';
import { PEER_SCHEMA, seedW4Peer } from './w4-peer-seed.js';
import { runW4Peers } from './w4-peers.js';
import { runW5 } from './w5.js';
import { runW6 } from './w6.js';
import { runW7 } from './w7.js';
import { w7Generator } from './w7-seed.js';
import { runW8 } from './w8.js';
import { runW9 } from './w9.js';
import { runW12 } from './w12.js';

const WORKLOADS = ['idle', 'W1', 'W2', 'W2b', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8', 'W9', 'W12'] as const;
/** Workloads measured on SQLite only (W12 runs the DynamoDB store, once). */
const SQLITE_ONLY = new Set(['W12']);

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/cli.js [--workload W1,W2,W2b,W3,W4,W5,W6,W7,W8,W9,W12,idle|all] [--backend sqlite,postgres,mysql]\n' +
      '       [--size smoke|S|L] [--out dir] [--report [--report-file path]] [--keep]\n' +
      '       [--iterations n] [--warmups n] [--wait-quiet sec] [--w12-runs n]\n' +
      '       [--peers mlflow,fasttrackml,mlflow-go|all|none] [--peer-sec n]\n',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const parse = () =>
    parseArgs({
      options: {
        workload: { type: 'string', default: 'all' },
        size: { type: 'string', default: 'smoke' },
        out: { type: 'string', default: 'bench-out' },
        backend: { type: 'string', default: 'sqlite' },
        report: { type: 'boolean', default: false },
        'report-file': { type: 'string', default: 'docs/benchmarks/latest.md' },
        keep: { type: 'boolean', default: false },
        iterations: { type: 'string', default: '20' },
        warmups: { type: 'string', default: '3' },
        'wait-quiet': { type: 'string' },
        'w12-runs': { type: 'string' },
        peers: { type: 'string', default: 'none' },
        'peer-sec': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  const v = args.values;
  if (v.help) usage();
  const size = SIZES[v.size];
  if (size === undefined) usage(`unknown size '${v.size}' (smoke, S or L)`);
  const wanted = v.workload.toLowerCase() === 'all' ? [...WORKLOADS] : v.workload.split(',');
  for (const w of wanted)
    if (!WORKLOADS.some((x) => x.toLowerCase() === w.toLowerCase())) usage(`unknown workload '${w}'`);
  const has = (w: string) => wanted.some((x) => x.toLowerCase() === w.toLowerCase());
  const backends = v.backend.split(',') as BenchBackend[];
  for (const b of backends)
    if (!BACKENDS.includes(b)) usage(`unknown backend '${b}' (${BACKENDS.join(', ')})`);
  const peerNames: PeerName[] =
    v.peers === 'none' ? [] : v.peers === 'all' ? [...PEER_NAMES] : (v.peers.split(',') as PeerName[]);
  for (const p of peerNames)
    if (!PEER_NAMES.includes(p)) usage(`unknown peer '${p}' (${PEER_NAMES.join(', ')})`);
  const iterations = Number(v.iterations);
  const warmups = Number(v.warmups);
  if (!(iterations >= 1) || !(warmups >= 0)) usage('--iterations must be ≥ 1 and --warmups ≥ 0');

  // Smoke must stay fast; S waits up to a minute per phase for other sessions to leave the cores alone.
  const waitSec = Number(v['wait-quiet'] ?? (v.size === 'smoke' ? 2 : 60));
  // --w12-runs n: W12's W3 and W4a run counts (DynamoDB Local slows down as one table grows)
  const w12n = v['w12-runs'] === undefined ? undefined : Number(v['w12-runs']);
  if (w12n !== undefined && !(Number.isInteger(w12n) && w12n > 0))
    usage('--w12-runs must be a positive integer');
  const w12Runs = w12n === undefined ? {} : { w3Runs: w12n, w4Runs: w12n };
  const env = benchEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-bench-'));
  const t0 = performance.now();
  const log = (msg: string) => {
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
  };
  log(`size ${v.size}, workloads ${wanted.join(',')}, work dir ${workDir}`);
  const versions: Record<string, string> = {};
  for (const b of backends) if (b !== 'sqlite') versions[b] = await serverVersion(b);
  if (Object.keys(versions).length > 0) env.databases = versions;
  log(`env: node ${env.node}, sqlite ${env.sqlite}, ${env.cpus} × ${env.model}`);
  if (env.databases) log(`databases: ${JSON.stringify(env.databases)}`);
  const installs = setupPeers(peerNames, log);
  for (const p of installs.values()) log(`peer ${p.name}: ${p.versions}`);
  /** How long a peer may take for a phase that mltrack runs to a fixed size (W1, W2b, W3). */
  const peerSec = Number(v['peer-sec'] ?? (v.size === 'smoke' ? 5 : 30));
  const when = new Date().toISOString();
  const outDir = path.resolve(v.out);
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${when.replace(/[:.]/g, '-')}.json`);
  /** The JSON is rewritten after every workload, so an interrupted run keeps what it measured. */
  const flush = () => fs.writeFileSync(outFile, `${JSON.stringify(records, null, 2)}\n`);
  const records: BenchRecord[] = [];
  const push = records.push.bind(records);
  records.push = (...rows: BenchRecord[]) => {
    const n = push(...rows);
    flush();
    return n;
  };
  const quiet = async (what: string) => {
    const busy = await waitQuiet(waitSec);
    log(
      `${what}: machine ${busy}% busy just before${busy >= 15 ? ' (still busy: figures may be disturbed)' : ''}`,
    );
  };
  /** What every workload gets. */
  const common = { size: v.size, workDir, env, iterations, warmups, log, quiet };
  try {
    for (const backend of backends) {
      const on = (w: string) => has(w) && (backend === 'sqlite' || !SQLITE_ONLY.has(w));
      const peers = peersOn(backend, installs);
      log(`backend ${backend}`);
      const contenders = [MLTRACK, ...peers];
      if (on('idle') && (backend === 'sqlite' || peers.length > 0)) {
        await quiet('idle');
        const idle = { backend, contenders, size: v.size, workDir, env, idleSec: 5, log };
        records.push(...(await runIdle({ ...idle, starts: 3 })));
      }
      if (on('W1'))
        records.push(
          ...(await runW1({
            backend,
            points: size.w1Points,
            clients: 4,
            size: v.size,
            workDir,
            env,
            log,
            quiet,
            peers,
            peerMaxSec: peerSec,
          })),
        );
      if (on('W2'))
        records.push(...(await runW2({ ...common, backend, contenders, connections: 20, sec: size.w2Sec })));
      if (on('W2b'))
        records.push(
          ...(await runW2b({
            ...common,
            backend,
            contenders,
            connections: 20,
            iterations: size.w2bIterations,
            peerMaxSec: peerSec,
          })),
        );
      if (on('W3'))
        records.push(
          ...(await runW3({
            ...common,
            backend,
            contenders,
            runs: size.w3Runs,
            clients: 8,
            peerMaxSec: peerSec,
          })),
        );
      if (on('W7')) {
        const shape = size.w7;
        const seedPeer = async (c: Contender, db: BenchDatabase, ids: string[]) => {
          for (const [e, id] of ids.entries())
            await seedW4Peer(PEER_SCHEMA[c.name as PeerName], db, id, shape.runs, w7Generator(shape, e));
        };
        records.push(...(await runW7({ ...common, backend, contenders, shape, seedPeer })));
      }
      if (on('W4') || on('W8')) {
        const w4 = { ...common, backend, runs: size.w4Runs };
        const data = await prepareW4(w4);
        try {
          if (on('W4')) records.push(...(await runW4(w4, data)));
          if (on('W4') && peers.length > 0)
            records.push(...(await runW4Peers({ ...w4, peers, iterations: Math.min(iterations, 5) })));
          if (on('W8'))
            records.push(
              ...(await runW8({ ...common, backend, contenders, writers: 16, readers: 4, ...size.w8 }, data)),
            );
        } finally {
          await data.db.drop();
        }
      }
      // W5/W6: mltrack, then the peers on this backend, each on a fresh database seeded over HTTP
      const series = { ...common, backend, targets: [MLTRACK, ...peers] };
      if (on('W5'))
        records.push(...(await runW5({ ...series, shape: size.w5.shape, slowShape: size.w5.slow })));
      if (on('W6'))
        records.push(...(await runW6({ ...series, shape: size.w6.shape, slowShape: size.w6.slow })));
      // W9: mltrack, then the peers on this backend, each on a fresh database with the same registry data
      if (on('W9')) records.push(...(await runW9({ ...common, backend, contenders, models: size.w9Models })));
      // W12 runs the DynamoDB store in-process against DynamoDB Local (once, with the sqlite pass).
      if (on('W12'))
        records.push(...(await runW12({ size: v.size, env, log, ...size.w12, ...w12Runs, atRate: 100_000 })));
    }
  } finally {
    if (!v.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  }

  flush();

  process.stdout.write(`\n${textTable(records)}\n\n`);
  for (const t of checkTargets(records)) {
    const mark = t.ok === null ? '   ' : t.ok ? 'ok ' : 'MISS';
    process.stdout.write(`${mark.padEnd(4)} ${t.name}: ${t.actual} (target ${t.target})\n`);
  }
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), outFile)}\n`);
  if (v.report) {
    const md = path.resolve(REPO_ROOT, v['report-file']);
    fs.mkdirSync(path.dirname(md), { recursive: true });
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
    const charts = writeCharts(records, path.dirname(md), path.basename(md, '.md'));
    fs.writeFileSync(md, markdownReport(records, env, { command, when }, charts));
    process.stdout.write(`wrote ${path.relative(process.cwd(), md)}\n`);
  }
  log('done');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
