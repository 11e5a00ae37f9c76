import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'mltrack.js');

/** Starts `mltrack server` as a real process (needs `npm run build`, which `npm test` runs first). */
export async function startServer(
  cwd: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ proc: ChildProcess; url: string }> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'index.js')))
    throw new Error('run `npm run build` first');
  const proc = spawn(process.execPath, [BIN, 'server', '--port', '0', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
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

export const post = async (url: string, p: string, body: unknown) =>
  fetch(`${url}/api/2.0/mlflow/${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
