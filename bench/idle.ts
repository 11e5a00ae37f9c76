import path from 'node:path';
import { CpuMeter, type CpuShare, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { memOf, sleep } from './lib/proc.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { median, round } from './lib/stats.js';
import { mltrackTarget, startTarget } from './lib/targets.js';

/**
 * W10 (part): cold start on an empty database (spawn → first 200 on /health, median of `starts` fresh
 * databases) and idle RSS `idleSec` seconds after the first start.
 */
export async function runIdle(o: {
  size: string;
  workDir: string;
  env: BenchEnv;
  idleSec: number;
  starts: number;
  log: (msg: string) => void;
}): Promise<BenchRecord[]> {
  const startups: number[] = [];
  let idle = { rssMB: Number.NaN, hwmMB: Number.NaN };
  let cpu: CpuShare | undefined;
  for (let i = 0; i < o.starts; i++) {
    const dir = path.join(o.workDir, `idle-${i}`);
    const s = await startTarget(mltrackTarget, {
      storeUri: `sqlite:///${path.join(dir, 'mlflow.db')}`,
      artifactDir: path.join(dir, 'art'),
    });
    startups.push(s.startupMs);
    try {
      if (i === 0) {
        const meter = new CpuMeter([s.pid]);
        await sleep(o.idleSec * 1000);
        idle = memOf(s.pid);
        cpu = meter.stop();
      }
    } finally {
      await s.stop();
    }
  }
  const startup = median(startups);
  o.log(`idle: start ${startup.toFixed(0)} ms (median of ${o.starts}), RSS ${idle.rssMB.toFixed(1)} MB`);
  return [
    makeRecord(o.env, o.size, {
      workload: 'W10-idle',
      backend: 'sqlite',
      server: 'mltrack',
      throughput: null,
      throughputUnit: '',
      rssPeakMB: round(idle.hwmMB),
      rssSteadyMB: round(idle.rssMB),
      extra: {
        startupMsMedian: round(startup),
        startupMs: startups.map((v) => round(v)).join(' / '),
        idleAfterSec: o.idleSec,
        idleRssMB: round(idle.rssMB),
        ...(cpu ? cpuExtra(cpu) : {}),
      },
    }),
  ];
}
