import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { BenchRecord } from './record.js';
import { median, round } from './stats.js';

/** A free loopback TCP port (tiny race window until the child binds it; fine on a quiet machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Fields after the `(comm)` of /proc/<pid>/stat: [0] state, [1] ppid, … [11] utime, [12] stime, [13] cutime, [14] cstime. */
export function statFields(pid: number | string): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * A process and all its descendants. mltrack is one process; the peers are not (`mlflow server` runs uvicorn
 * workers, mlflow-go runs the Python server it proxies to), so their memory and CPU are counted over the tree.
 */
export function processTree(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(name)?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = kids.get(ppid);
    if (list === undefined) kids.set(ppid, [Number(name)]);
    else list.push(Number(name));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]!) ?? []));
  return out;
}

/**
 * VmRSS / VmHWM in MB, summed over the process and its descendants (for a tree the summed VmHWM is an upper
 * bound of the peak: each process's own peak may fall at a different moment). NaN when /proc is unavailable.
 */
export function memOf(pid: number): { rssMB: number; hwmMB: number } {
  let rss = 0;
  let hwm = 0;
  let seen = false;
  for (const p of fs.existsSync(`/proc/${pid}`) ? processTree(pid) : []) {
    try {
      const s = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? 0);
      rss += kb('VmRSS');
      hwm += kb('VmHWM');
      seen = true;
    } catch {
      // the process exited between the listing and the read
    }
  }
  return seen ? { rssMB: rss / 1024, hwmMB: hwm / 1024 } : { rssMB: Number.NaN, hwmMB: Number.NaN };
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  baseUrl: string;
  /** Milliseconds from spawn() to the first 200 on the health path. */
  startupMs: number;
  /** Last lines the child wrote (for error messages). */
  tail(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export interface SpawnSpec {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  port: number;
  healthPath: string;
  startTimeoutMs?: number;
}

/** Spawns a server process and polls its health endpoint every 5 ms until it answers 200. */
export async function spawnServer(spec: SpawnSpec): Promise<Spawned> {
  const t0 = performance.now();
  const child = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so stop() ends the workers a peer forks along with it
    detached: true,
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const baseUrl = `http://127.0.0.1:${spec.port}`;
  const deadline = t0 + (spec.startTimeoutMs ?? 30000);
  for (;;) {
    if (exited) throw new Error(`server exited during start-up: ${spec.cmd} ${spec.args.join(' ')}\n${out}`);
    if ((await getStatus(baseUrl + spec.healthPath)) === 200) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy in time\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = performance.now() - t0;
  return {
    child,
    pid: child.pid!,
    baseUrl,
    startupMs,
    tail: () => out,
    async stop() {
      // Every process of the tree must be gone before the next phase: a peer's orphaned workers would keep
      // running (or be reaped by init mid-measurement, which books their whole CPU time as foreign).
      const tree = exited ? [] : processTree(child.pid!);
      const group = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // the group is gone
        }
      };
      group('SIGTERM');
      // Wait until the tree's processes are gone, reaped zombies included: an orphan reaped by init during the
      // next phase would book its lifetime CPU (init's cutime) as foreign load. A zombie nobody reaps within
      // 3 s (a non-reaping init) is left alone.
      const t0 = performance.now();
      const deadline = t0 + 10000;
      const alive = () =>
        tree.some(
          (p) => fs.existsSync(`/proc/${p}`) && (statFields(p)?.[0] !== 'Z' || performance.now() - t0 < 3000),
        );
      while ((!exited || alive()) && performance.now() < deadline) await sleep(20);
      if (!exited || alive()) {
        group('SIGKILL');
        for (const p of tree) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await exit;
      }
    },
  };
}

/** Samples VmRSS of a process at a fixed interval until stopped. */
export class RssSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => {
      const m = memOf(this.pid).rssMB;
      if (!Number.isNaN(m)) this.samples.push(m);
    }, intervalMs);
    this.timer.unref();
  }
  /** Stops sampling; returns the samples (MB). */
  stop(): number[] {
    clearInterval(this.timer);
    const m = memOf(this.pid).rssMB;
    if (!Number.isNaN(m)) this.samples.push(m);
    return this.samples;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stamps every row measured against one server process with its memory: VmHWM peak, median RSS, start-up. */
export function stampServerMemory(
  rows: BenchRecord[],
  server: { pid: number; startupMs: number },
  samples: number[],
  rssAtStartMB: number,
): void {
  const peak = memOf(server.pid).hwmMB;
  for (const r of rows) {
    r.rssPeakMB = round(peak);
    r.rssSteadyMB = round(median(samples));
    r.extra.rssAtStartMB = round(rssAtStartMB);
    r.extra.startupMs = round(server.startupMs);
  }
}
