import { randomUUID } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MlflowError } from '../domain/errors.js';
import { mapFsError } from './fs-errors.js';
import { checkRelativePath, safeResolve } from './path-guard.js';

/** One listing entry: `path` is the basename; directories carry no size. */
export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ArtifactFile {
  stream: Readable;
  size: number;
  /** Basename, for Content-Disposition and the content type. */
  name: string;
}

export type ByteSource = Readable | AsyncIterable<Uint8Array> | Uint8Array | undefined;

export interface WriteOptions {
  /** Bytes allowed before the write is aborted with 400 (the temp file is removed). */
  maxBytes?: number;
  tooLargeMessage?: string;
}

/** In-progress uploads; listings hide them and they never carry a final name. */
const TEMP_NAME = /^\.mltrack-[0-9a-f-]{36}\.part$/;

/**
 * Artifacts as files under one local root. Every operation resolves its path through `safeResolve` at the
 * moment it touches the disk. Writes go to a temp file in the destination directory, are fsync'd, then renamed
 * over the final name (and the directory fsync'd), so a crash never leaves a partial file under the real name
 * and readers see either the old or the new content.
 */
export class LocalArtifactRepo {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async write(relPath: string, source: ByteSource, opts: WriteOptions = {}): Promise<{ size: number }> {
    const shown = checkRelativePath(relPath);
    try {
      const target = await safeResolve(this.root, relPath);
      const dir = path.dirname(target);
      const created = await mkdir(dir, { recursive: true });
      // Re-check now that the directories exist: nothing may have been swapped for a symlink meanwhile.
      await safeResolve(this.root, relPath);
      const existing = await lstat(target).catch(() => undefined);
      if (existing?.isDirectory())
        throw new MlflowError('INVALID_PARAMETER_VALUE', `'${shown}' is a directory`);
      const tmp = path.join(dir, `.mltrack-${randomUUID()}.part`);
      const size = await writeTemp(tmp, source, opts);
      try {
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
      await fsyncDirs(dir, created);
      return { size };
    } catch (err) {
      throw mapFsError(err, shown, 'write');
    }
  }

  async read(relPath: string): Promise<ArtifactFile> {
    const shown = checkRelativePath(relPath);
    let fh: FileHandle | undefined;
    try {
      const target = await safeResolve(this.root, relPath);
      fh = await open(target, constants.O_RDONLY);
      const st = await fh.stat();
      if (st.isDirectory())
        throw new MlflowError('INVALID_PARAMETER_VALUE', `'${shown}' is a directory, not a file`);
      if (!st.isFile()) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path');
      const stream = fh.createReadStream({ autoClose: true });
      return { stream, size: st.size, name: path.basename(target) };
    } catch (err) {
      await fh?.close().catch(() => {});
      throw mapFsError(err, shown, 'read');
    }
  }

  /** Entries directly under `relPath`, sorted by name; `[]` when it is missing or a file (MLflow's behaviour). */
  async list(relPath = ''): Promise<ArtifactEntry[]> {
    const shown = checkRelativePath(relPath);
    try {
      const dir = await safeResolve(this.root, relPath, { allowRoot: true });
      let dirents: Dirent[];
      try {
        dirents = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return [];
        throw err;
      }
      const realRoot = await realpath(this.root);
      const entries = await mapLimit(dirents, 32, (d) => this.entry(dir, d, realRoot));
      return entries
        .filter((e): e is ArtifactEntry => e !== undefined)
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    } catch (err) {
      throw mapFsError(err, shown, 'list');
    }
  }

  /** Removes a file or a whole tree; a missing path is fine (MLflow's behaviour). The root itself is refused. */
  async delete(relPath: string): Promise<void> {
    const shown = checkRelativePath(relPath);
    try {
      const target = await safeResolve(this.root, relPath);
      await rm(target, { recursive: true, force: true });
    } catch (err) {
      throw mapFsError(err, shown, 'delete');
    }
  }

  private async entry(dir: string, d: Dirent, realRoot: string): Promise<ArtifactEntry | undefined> {
    if (TEMP_NAME.test(d.name)) return undefined;
    const full = path.join(dir, d.name);
    try {
      if (d.isSymbolicLink()) {
        // Show a symlink only when it stays inside the root; never leak what lies outside.
        const real = await realpath(full);
        if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return undefined;
      }
      const st = d.isSymbolicLink() ? await stat(full) : await lstat(full);
      if (st.isDirectory()) return { path: d.name, is_dir: true };
      if (st.isFile()) return { path: d.name, is_dir: false, file_size: st.size };
      return undefined;
    } catch {
      return undefined; // vanished meanwhile, or a dangling link
    }
  }
}

async function writeTemp(tmp: string, source: ByteSource, opts: WriteOptions): Promise<number> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const fh = await open(tmp, flags, 0o644);
  let size = 0;
  try {
    if (source !== undefined) {
      const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
        source instanceof Uint8Array ? [source] : source;
      for await (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.byteLength;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) {
          throw new MlflowError(
            'INVALID_PARAMETER_VALUE',
            opts.tooLargeMessage ?? `Artifact exceeds ${opts.maxBytes} bytes`,
          );
        }
        let off = 0;
        while (off < buf.byteLength) {
          const { bytesWritten } = await fh.write(buf, off, buf.byteLength - off);
          off += bytesWritten;
        }
      }
    }
    await fh.sync();
    await fh.close();
    return size;
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/** fsync the directory holding the new entry and every directory mkdir created, so the names are durable too. */
async function fsyncDirs(dir: string, firstCreated: string | undefined): Promise<void> {
  const dirs = [dir];
  if (firstCreated !== undefined) {
    for (let d = dir; d !== path.dirname(firstCreated) && d !== path.dirname(d); d = path.dirname(d)) {
      if (d !== dir) dirs.push(d);
    }
    dirs.push(path.dirname(firstCreated));
  }
  for (const d of dirs) {
    const fh = await open(d, constants.O_RDONLY).catch(() => undefined);
    if (!fh) continue;
    await fh.sync().catch(() => {});
    await fh.close().catch(() => {});
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
