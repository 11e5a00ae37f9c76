import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'mltrack.js');

/** `mltrack server --port 0 …` from the built dist/ (the caller owns the process). */
function spawnServer(cwd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'index.js')))
    throw new Error('run `npm run build` first');
  return spawn(process.execPath, [BIN, 'server', '--port', '0', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts `mltrack server` as a real process (needs `npm run build`, which `npm test` runs first). */
export async function startServer(
  cwd: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawnServer(cwd, args, env);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // the caller never gets proc, so nobody else could stop it
      reject(new Error(`server did not start: ${out}`));
    }, 15000);
    const collect = (d: Buffer) => {
      out += d.toString();
      const m = /mltrack server listening at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.on('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
  });
  return { proc, url };
}

/**
 * Runs `mltrack server` that is expected to fail to start, and resolves once it has exited: its exit code and
 * everything it wrote. A server that starts listening instead, or is still running after timeoutMs, is killed
 * (SIGKILL) and reported with `listening` / `timedOut` set, so a test never leaves it behind.
 */
export async function serverStartFailure(
  cwd: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 15000,
): Promise<{ code: number | null; listening: boolean; timedOut: boolean; output: string }> {
  const proc = spawnServer(cwd, args, env);
  let output = '';
  let listening = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const collect = (d: Buffer) => {
    output += d.toString();
    if (!listening && /mltrack server listening at /.test(output)) {
      listening = true;
      proc.kill('SIGKILL');
    }
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  // 'close', not 'exit': all output has been read by then
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  return { code, listening, timedOut, output };
}

export const post = async (url: string, p: string, body: unknown) =>
  fetch(`${url}/api/2.0/mlflow/${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Runs the built CLI (`bin/mltrack.js args…`) to completion: exit code and stdout + stderr together. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('exit', (code) => resolve({ code, out }));
  });
}
