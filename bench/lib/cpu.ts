import fs from 'node:fs';
import { processTree, statFields } from './proc.js';

/** Machine-wide CPU ticks from /proc/stat: busy (incl. steal), steal, kernel interrupt work, and total. */
function machineTicks(): { busy: number; steal: number; irq: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return {
      busy: user + nice + system + irq + softirq + steal,
      steal,
      irq: irq + softirq,
      total: user + nice + system + idle + iowait + irq + softirq + steal,
    };
  } catch {
    return null;
  }
}

/** utime + stime of a process (all its threads), in clock ticks. */
function processTicks(pid: number | 'self'): number {
  const f = statFields(pid);
  return f === null ? 0 : Number(f[11]) + Number(f[12]);
}

/**
 * CPU ticks of every user-space process except `exclude` (kernel threads, children of kthreadd, are left out:
 * their work, e.g. writeback for our own fsyncs, belongs to the measurement). Includes reaped children's time.
 */
function othersTicks(exclude: Set<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (exclude.has(pid) || pid === 2) continue;
    const f = statFields(pid);
    if (f === null || f[1] === '2') continue;
    out.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
  }
  return out;
}

export interface CpuShare {
  /** Share of the whole machine (all cores) used by the bench and the server under test, %. */
  ownPct: number;
  /** Share used by other user-space processes (other sessions on a shared machine), %: high = noisy figures. */
  foreignPct: number;
  /** Share spent in interrupts/softirqs (loopback networking, disk) and stolen by the hypervisor, %. */
  irqPct: number;
  stealPct: number;
}

/** Who used the CPU during a measured phase: this process plus the given server pids, versus everything else. */
export class CpuMeter {
  private readonly exclude: Set<number>;
  private readonly m0 = machineTicks();
  private readonly own0: number;
  private readonly others0: Map<number, number>;
  private readonly pids: number[];
  /** The server pids with their descendants (a peer's workers count as the server). */
  constructor(servers: number[]) {
    this.pids = servers.flatMap((p) => processTree(p));
    this.exclude = new Set([process.pid, ...this.pids]);
    this.own0 = this.own();
    this.others0 = othersTicks(this.exclude);
  }
  private own(): number {
    return processTicks('self') + this.pids.reduce((a, p) => a + processTicks(p), 0);
  }
  /** Call before stopping the server (an exited process has no /proc entry). */
  stop(): CpuShare {
    const m1 = machineTicks();
    const own = this.own() - this.own0;
    let others = 0;
    for (const [pid, t] of othersTicks(this.exclude)) others += Math.max(0, t - (this.others0.get(pid) ?? 0));
    if (this.m0 === null || m1 === null || m1.total <= this.m0.total) {
      return { ownPct: Number.NaN, foreignPct: Number.NaN, irqPct: Number.NaN, stealPct: Number.NaN };
    }
    const total = m1.total - this.m0.total;
    const pct = (v: number) => Math.round((1000 * v) / total) / 10;
    return {
      ownPct: pct(own),
      foreignPct: pct(others),
      irqPct: pct(m1.irq - this.m0.irq),
      stealPct: pct(m1.steal - this.m0.steal),
    };
  }
}

/** The record extras for a CPU share. */
export const cpuExtra = (c: CpuShare) => ({
  ownCpuPct: c.ownPct,
  foreignCpuPct: c.foreignPct,
  irqCpuPct: c.irqPct,
  stealPct: c.stealPct,
});

/**
 * Waits (up to maxSec) for a 1-second window in which the whole machine is below `busyPct` busy, so a phase does
 * not start while another session is hogging the cores. Returns the busy % of the last window.
 */
export async function waitQuiet(maxSec: number, busyPct = 15): Promise<number> {
  const deadline = Date.now() + maxSec * 1000;
  for (;;) {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineTicks();
    if (a === null || b === null || b.total <= a.total) return Number.NaN;
    const busy = (100 * (b.busy - a.busy)) / (b.total - a.total);
    if (busy < busyPct || Date.now() >= deadline) return Math.round(busy);
  }
}
