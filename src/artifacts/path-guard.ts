import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../domain/errors.js';

/**
 * THE artifact path validator (security invariant 1). Every filesystem operation on an artifact goes through
 * `safeResolve` right before it touches the disk:
 *
 *  1. decode the path to a fixed point (percent-decoding repeated until it stops changing), so `%2e%2e%2f`
 *     and `%252e%252e%252f` are checked as the `../` they become;
 *  2. reject `#`, control characters (C0, DEL, C1), backslashes, absolute POSIX/Windows paths, drive letters,
 *     `file:` URIs and `..` segments (also after Unicode NFKC folding) with MLflow's 400 "Invalid path";
 *  3. join to the root and check lexical containment;
 *  4. resolve the real path of the deepest existing ancestor (or of the target itself) and check that no
 *     symlink leads outside the real root. A dangling symlink on the way is refused, since writing through it
 *     would create a file wherever it points.
 */

const MAX_DECODE_ROUNDS = 10;
/** Linux PATH_MAX and NAME_MAX; longer input can never name a real file, so it is refused up front. */
const MAX_PATH_CHARS = 4096;
const MAX_SEGMENT_BYTES = 255;

export const invalidPath = (): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path');

/** Python's `urllib.parse.unquote`: decodes runs of %XX as UTF-8 (bad bytes become U+FFFD), leaves bad escapes. */
function unquoteOnce(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

/** Percent-decodes until stable; a path still changing after 10 rounds is refused. */
export function decodeFully(p: string): string {
  let cur = p;
  for (let i = 0; i < MAX_DECODE_ROUNDS; i++) {
    const next = unquoteOnce(cur);
    if (next === cur) return cur;
    cur = next;
  }
  throw invalidPath();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Syntactic checks on a client-supplied relative path. Returns the decoded, normalized POSIX form without
 * `.`/empty segments or a trailing slash; `''` means the root itself.
 */
export function checkRelativePath(raw: string): string {
  if (raw.length > MAX_PATH_CHARS * 3) throw invalidPath();
  const p = decodeFully(raw);
  if (p.length > MAX_PATH_CHARS) throw invalidPath();
  if (p.includes('#') || p.includes('\\') || CONTROL_CHARS.test(p)) throw invalidPath();
  if (p.startsWith('/')) throw invalidPath();
  if (/^[a-zA-Z]:/.test(p) || /^file:/i.test(p)) throw invalidPath();
  const folded = p.normalize('NFKC');
  if (folded.includes('\\') || folded.startsWith('/') || /^[a-zA-Z]:/.test(folded)) throw invalidPath();
  if (folded.split('/').includes('..')) throw invalidPath();
  const segments: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '..') throw invalidPath();
    if (seg === '' || seg === '.') continue;
    if (Buffer.byteLength(seg, 'utf8') > MAX_SEGMENT_BYTES) throw invalidPath();
    segments.push(seg);
  }
  return segments.join('/');
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Real path of `p` even when its tail does not exist yet: the deepest existing ancestor is resolved and the
 * missing part appended. Refuses a dangling symlink or a symlink loop along the way.
 */
async function realPathOfPossiblyMissing(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    let exists = true;
    try {
      await lstat(cur);
    } catch (err) {
      const code = errno(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        if (code === 'ELOOP' || code === 'ENAMETOOLONG') throw invalidPath();
        throw err;
      }
      exists = false;
    }
    if (exists) {
      let real: string;
      try {
        real = await realpath(cur);
      } catch (err) {
        const code = errno(err);
        // lstat saw an entry that cannot be resolved: a dangling symlink or a loop.
        if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') throw invalidPath();
        throw err;
      }
      return missing.length === 0 ? real : path.join(real, ...missing.reverse());
    }
    const parent = path.dirname(cur);
    if (parent === cur) return path.join(cur, ...missing.reverse());
    missing.push(path.basename(cur));
    cur = parent;
  }
}

export interface SafeResolveOptions {
  /** Whether the path may name the root itself (listing); writes, reads and deletes need a path below it. */
  allowRoot?: boolean;
}

/**
 * Validates `relativePath` (client input, possibly percent-encoded) and returns the absolute path under `root`
 * it names. Throws MlflowError INVALID_PARAMETER_VALUE "Invalid path" for anything unsafe.
 */
export async function safeResolve(
  root: string,
  relativePath: string,
  opts: SafeResolveOptions = {},
): Promise<string> {
  const rel = checkRelativePath(relativePath);
  if (rel === '' && !opts.allowRoot) throw invalidPath();
  const absRoot = path.resolve(root);
  const target = rel === '' ? absRoot : path.resolve(absRoot, ...rel.split('/'));
  if (!isInside(absRoot, target)) throw invalidPath();
  const realRoot = await realPathOfPossiblyMissing(absRoot);
  const realTarget = await realPathOfPossiblyMissing(target);
  if (!isInside(realRoot, realTarget)) throw invalidPath();
  return target;
}

/** Joins already-checked relative POSIX paths; empty parts are skipped. */
export function joinRelative(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}
