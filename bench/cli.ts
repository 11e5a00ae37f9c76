/**
 * mltrack benchmark runner (a measurement, never part of `npm test`). benchmarks.md §6, workloads W1, W4 and W9,
 * plus cold start / idle RSS (W10). The server under test is a separate process; this process is the load
 * generator and also runs the in-process floors.
 *
 *   npm run bench -- [--workload W1|W4|W9|idle|all] [--size S|smoke] [--out dir] [--report] [--keep]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runIdle } from './idle.js';
import { waitQuiet } from './lib/cpu.js';
import { benchEnv } from './lib/env.js';
import type { BenchRecord } from './lib/record.js';
import { REPO_ROOT } from './lib/targets.js';
import { checkTargets, markdownReport, textTable } from './report.js';
import { runW1 } from './w1.js';
import { runW4 } from './w4.js';
import { runW9 } from './w9.js';

interface SizeSpec {
  w1Points: number;
  w4Runs: number;
  w9Models: number;
}

const SIZES: Record<string, SizeSpec> = {
  smoke: { w1Points: 20_000, w4Runs: 500, w9Models: 50 },
  S: { w1Points: 1_000_000, w4Runs: 20_000, w9Models: 1000 },
};

const WORKLOADS = ['idle', 'W1', 'W4', 'W9'] as const;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/cli.js [--workload W1|W4|W9|idle|all] [--size S|smoke] [--out dir] [--report] [--keep]\n' +
      '       [--iterations n] [--warmups n] [--wait-quiet sec]\n',
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
        report: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        iterations: { type: 'string', default: '20' },
        warmups: { type: 'string', default: '3' },
        'wait-quiet': { type: 'string' },
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
  if (size === undefined) usage(`unknown size '${v.size}' (S or smoke)`);
  const wanted = v.workload.toLowerCase() === 'all' ? [...WORKLOADS] : v.workload.split(',');
  for (const w of wanted)
    if (!WORKLOADS.some((x) => x.toLowerCase() === w.toLowerCase())) usage(`unknown workload '${w}'`);
  const has = (w: string) => wanted.some((x) => x.toLowerCase() === w.toLowerCase());
  const iterations = Number(v.iterations);
  const warmups = Number(v.warmups);
  if (!(iterations >= 1) || !(warmups >= 0)) usage('--iterations must be ≥ 1 and --warmups ≥ 0');

  // Smoke must stay fast; S waits up to a minute per phase for other sessions to leave the cores alone.
  const waitSec = Number(v['wait-quiet'] ?? (v.size === 'smoke' ? 2 : 60));
  const env = benchEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-bench-'));
  const t0 = performance.now();
  const log = (msg: string) => {
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
  };
  log(`size ${v.size}, workloads ${wanted.join(',')}, work dir ${workDir}`);
  log(`env: node ${env.node}, sqlite ${env.sqlite}, ${env.cpus} × ${env.model}`);
  const records: BenchRecord[] = [];
  const quiet = async (what: string) => {
    const busy = await waitQuiet(waitSec);
    log(
      `${what}: machine ${busy}% busy just before${busy >= 15 ? ' (still busy: figures may be disturbed)' : ''}`,
    );
  };
  try {
    if (has('idle')) await quiet('idle');
    if (has('idle'))
      records.push(...(await runIdle({ size: v.size, workDir, env, idleSec: 5, starts: 3, log })));
    if (has('W1'))
      records.push(
        ...(await runW1({ points: size.w1Points, clients: 4, size: v.size, workDir, env, log, quiet })),
      );
    if (has('W4'))
      records.push(
        ...(await runW4({ runs: size.w4Runs, size: v.size, workDir, env, iterations, warmups, log, quiet })),
      );
    if (has('W9'))
      records.push(
        ...(await runW9({
          models: size.w9Models,
          size: v.size,
          workDir,
          env,
          iterations,
          warmups,
          log,
          quiet,
        })),
      );
  } finally {
    if (!v.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  }

  const when = new Date().toISOString();
  const outDir = path.resolve(v.out);
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${when.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(outFile, `${JSON.stringify(records, null, 2)}\n`);

  process.stdout.write(`\n${textTable(records)}\n\n`);
  for (const t of checkTargets(records)) {
    const mark = t.ok === null ? '   ' : t.ok ? 'ok ' : 'MISS';
    process.stdout.write(`${mark.padEnd(4)} ${t.name}: ${t.actual} (target ${t.target})\n`);
  }
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), outFile)}\n`);
  if (v.report) {
    const md = path.join(REPO_ROOT, 'docs/benchmarks/latest.md');
    fs.mkdirSync(path.dirname(md), { recursive: true });
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
    fs.writeFileSync(md, markdownReport(records, env, { command, when }));
    process.stdout.write(`wrote ${path.relative(process.cwd(), md)}\n`);
  }
  log('done');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
