import path from 'node:path';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, type CpuShare, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { memOf, sleep } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { median, round } from './lib/stats.js';

/**
 * W10 (part): cold start on an empty database (spawn → first 200 on /health, median of `starts` fresh
 * databases) and idle RSS `idleSec` seconds after the first start, for mltrack and each peer on the backend.
 * A peer's start includes creating its schema (MLflow runs its Alembic migrations on a fresh database, tens of
 * seconds), so a peer is started once, not `starts` times.
 */
export async function runIdle(o: {
  backend: BenchBackend;
  contenders: Contender[];
  size: string;
  workDir: string;
  env: BenchEnv;
  idleSec: number;
  starts: number;
  log: (msg: string) => void;
}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const c of o.contenders) {
    const startups: number[] = [];
    let idle = { rssMB: Number.NaN, hwmMB: Number.NaN };
    let cpu: CpuShare | undefined;
    const starts = c.name === 'mltrack' ? o.starts : 1;
    for (let i = 0; i < starts; i++) {
      const { startupMs } = await onFreshServer(
        c,
        o.backend,
        path.join(o.workDir, `idle-${o.backend}-${i}`),
        async (s) => {
          if (i !== 0) return;
          const meter = new CpuMeter([s.pid]);
          await sleep(o.idleSec * 1000);
          idle = memOf(s.pid);
          cpu = meter.stop();
        },
        async () => undefined,
      );
      startups.push(startupMs);
    }
    const startup = median(startups);
    o.log(
      `idle ${c.name} ${o.backend}: start ${startup.toFixed(0)} ms (median of ${starts}), RSS ${idle.rssMB.toFixed(1)} MB`,
    );
    out.push(
      makeRecord(o.env, o.size, {
        workload: 'W10-idle',
        backend: o.backend,
        server: c.name,
        throughput: null,
        throughputUnit: '',
        rssPeakMB: round(idle.hwmMB),
        rssSteadyMB: round(idle.rssMB),
        extra: {
          startupMsMedian: round(startup),
          startupMs: startups.map((v) => round(v)).join(' / '),
          idleAfterSec: o.idleSec,
          idleRssMB: round(idle.rssMB),
          ...contenderExtra(c),
          ...(cpu ? cpuExtra(cpu) : {}),
        },
      }),
    );
  }
  return out;
}
