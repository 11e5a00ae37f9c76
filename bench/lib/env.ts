import os from 'node:os';
import { DatabaseSync } from 'node:sqlite';

export interface BenchEnv {
  node: string;
  sqlite: string;
  cpus: number;
  model: string;
  memGB: number;
  os: string;
  /** Client and server share the same cores (true on a single machine). */
  sharedCores: boolean;
  /** Server versions of the other backends measured in this run (`postgres`, `mysql`). */
  databases?: Record<string, string>;
  /** 1-minute load average when the run started (other sessions may share this machine). */
  load1AtStart: number;
}

export function benchEnv(): BenchEnv {
  const db = new DatabaseSync(':memory:');
  const v = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
  db.close();
  const cpus = os.cpus();
  return {
    node: process.version,
    sqlite: v.v,
    cpus: os.availableParallelism(),
    model: cpus[0]?.model.trim() ?? 'unknown',
    memGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sharedCores: true,
    load1AtStart: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
