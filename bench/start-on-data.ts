import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra } from './lib/contenders.js';
import type { BenchEnv } from './lib/env.js';
import { type BenchRecord, makeRecord } from './lib/record.js';
import { round } from './lib/stats.js';
import { type RunningTarget, startTarget } from './lib/targets.js';

/**
 * W10 (part): cold start on the W4 data set. A peer measured in W4 was started on an empty database and seeded
 * afterwards, so it is stopped and started again on the seeded database; the restart is timed from spawn to the
 * first 200 on /health, like W10-idle's start on an empty database.
 */
export async function timeRestart(
  c: Contender,
  server: RunningTarget,
  storeUri: string,
  artifactDir: string,
): Promise<number> {
  await server.stop();
  const again = await startTarget(c.target, { storeUri, artifactDir });
  await again.stop();
  return again.startupMs;
}

/** The W10-start-data row: start-up time on a database holding `runs` W4 runs. */
export function startOnDataRecord(o: {
  env: BenchEnv;
  size: string;
  backend: BenchBackend | string;
  contender: Contender;
  startupMs: number;
  runs: number;
  dbBytes: number;
}): BenchRecord {
  return makeRecord(o.env, o.size, {
    workload: 'W10-start-data',
    backend: o.backend,
    server: o.contender.name,
    throughput: null,
    throughputUnit: '',
    p50: round(o.startupMs),
    dbBytes: o.dbBytes,
    extra: {
      query: `start to the first 200 on /health on the W4 data set (${o.runs} runs), in the p50 column`,
      startupMs: round(o.startupMs),
      ...contenderExtra(o.contender),
    },
  });
}
