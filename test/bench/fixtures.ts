import type { BenchEnv } from '../../bench/lib/env.js';

/** The machine description every bench test record carries. */
export const TEST_ENV: BenchEnv = {
  node: 'v24.0.0',
  sqlite: '3.50.0',
  cpus: 2,
  model: 'test',
  memGB: 4,
  os: 'Linux',
  sharedCores: true,
  load1AtStart: 0,
};
