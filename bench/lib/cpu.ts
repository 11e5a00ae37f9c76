import fs from 'node:fs';

/** Machine-wide CPU ticks from /proc/stat: busy (incl. steal) and total. */
function machineTicks(): { busy: number; steal: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return {
      busy: user + nice + system + irq + softirq + steal,
      steal,
      total: user + nice + system + idle + iowait + irq + softirq + steal,
    };
  } catch {
    return null;
  }
}

/** utime + stime of a process (all its threads), in clock ticks. */
function processTicks(pid: number | 'self'): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

export interface CpuShare {
  /** Share of the whole machine (all cores) used by the measured processes, %. */
  ownPct: number;
  /** Share used by everything else (other sessions, the kernel, steal), %: high means a noisy measurement. */
  foreignPct: number;
  stealPct: number;
}

/**
 * Who used the CPU during a measured phase: this process plus the given server pids, versus everything else.
 * The bench machine may be shared; a large foreignPct says the figures are disturbed.
 */
export class CpuMeter {
  private readonly m0 = machineTicks();
  private readonly p0: number;
  constructor(private readonly pids: number[]) {
    this.p0 = this.own();
  }
  private own(): number {
    return processTicks('self') + this.pids.reduce((a, p) => a + processTicks(p), 0);
  }
  stop(): CpuShare {
    const m1 = machineTicks();
    const own = this.own() - this.p0;
    if (this.m0 === null || m1 === null || m1.total <= this.m0.total)
      return { ownPct: Number.NaN, foreignPct: Number.NaN, stealPct: Number.NaN };
    const total = m1.total - this.m0.total;
    const busy = m1.busy - this.m0.busy;
    const pct = (v: number) => Math.round((1000 * v) / total) / 10;
    return {
      ownPct: pct(own),
      foreignPct: pct(Math.max(0, busy - own)),
      stealPct: pct(m1.steal - this.m0.steal),
    };
  }
}

/** The record extras for a CPU share. */
export const cpuExtra = (c: CpuShare) => ({
  ownCpuPct: c.ownPct,
  foreignCpuPct: c.foreignPct,
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
