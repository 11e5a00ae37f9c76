import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRelativePath, decodeFully, safeResolve } from '../../src/artifacts/path-guard.js';
import { MlflowError } from '../../src/domain/errors.js';

let base: string;
let root: string;
let outside: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'mltrack-guard-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'inner', 'deep'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), 'canary');
  await writeFile(path.join(root, 'inner', 'ok.txt'), 'ok');
  await symlink(outside, path.join(root, 'escape-dir'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'escape-file'));
  await symlink(path.join(outside, 'not-there'), path.join(root, 'dangling'));
  await symlink(path.join(root, 'inner'), path.join(root, 'inside-link'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function rejects(rel: string): Promise<void> {
  const err = await safeResolve(root, rel).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, rel).toBeInstanceOf(MlflowError);
  expect((err as MlflowError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((err as MlflowError).message).toBe('Invalid path');
}

describe('decodeFully', () => {
  it('decodes repeatedly until stable', () => {
    expect(decodeFully('%252e%252e%252f')).toBe('../');
    expect(decodeFully('a%20b')).toBe('a b');
    expect(decodeFully('100%')).toBe('100%');
    expect(decodeFully('%zz')).toBe('%zz');
    expect(decodeFully('caf%C3%A9')).toBe('café');
  });

  it('refuses a path that keeps decoding', () => {
    let p = '%2e%2e';
    for (let i = 0; i < 12; i++) p = p.replace(/%/g, '%25');
    expect(() => decodeFully(p)).toThrow('Invalid path');
  });
});

describe('checkRelativePath', () => {
  it('normalizes harmless forms', () => {
    expect(checkRelativePath('a/b/c.txt')).toBe('a/b/c.txt');
    expect(checkRelativePath('./a//b/')).toBe('a/b');
    expect(checkRelativePath('')).toBe('');
    expect(checkRelativePath('...')).toBe('...');
    expect(checkRelativePath('a..b/c')).toBe('a..b/c');
  });

  it.each([
    '../etc/passwd',
    'a/../../b',
    '..',
    'a/..',
    '%2e%2e%2fetc',
    '%2E%2E/x',
    '%252e%252e%252fetc',
    '%25252e%25252e/x',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    'C:/Windows',
    'c:evil',
    'a\\..\\b',
    '..%5c..%5cwindows',
    '\\\\server\\share',
    'a#frag',
    'a%23b',
    'file:///etc/passwd',
    'a\u0000b',
    'a%00b',
    'line%0abreak',
    'del\u007f',
    '\uff0e\uff0e/x',
    '\uff0e\uff0e\uff0fx',
    `${'a'.repeat(256)}/x`,
  ])('rejects %j', (p) => {
    expect(() => checkRelativePath(p)).toThrow('Invalid path');
  });
});

describe('safeResolve', () => {
  it('returns the absolute path under the root', async () => {
    expect(await safeResolve(root, 'inner/ok.txt')).toBe(path.join(root, 'inner', 'ok.txt'));
    expect(await safeResolve(root, 'new/dir/file.bin')).toBe(path.join(root, 'new', 'dir', 'file.bin'));
    expect(await safeResolve(root, 'a%20b.txt')).toBe(path.join(root, 'a b.txt'));
  });

  it('refuses the root itself unless allowed', async () => {
    await rejects('');
    await rejects('./');
    expect(await safeResolve(root, '', { allowRoot: true })).toBe(root);
  });

  it('rejects traversal, encoded traversal, absolute and backslash paths', async () => {
    for (const p of [
      '../outside/secret.txt',
      '%2e%2e%2foutside%2fsecret.txt',
      '%252e%252e%252foutside',
      '/etc/passwd',
      'inner\\..\\..\\outside',
    ]) {
      await rejects(p);
    }
  });

  it('rejects symlinks that escape the root', async () => {
    await rejects('escape-dir/secret.txt');
    await rejects('escape-dir');
    await rejects('escape-dir/new-file.txt');
    await rejects('escape-dir/new/dir/file.txt');
    await rejects('escape-file');
    await rejects('dangling');
  });

  it('allows symlinks that stay inside the root', async () => {
    expect(await safeResolve(root, 'inside-link/ok.txt')).toBe(path.join(root, 'inside-link', 'ok.txt'));
  });

  it('works when the root does not exist yet', async () => {
    const fresh = path.join(base, 'fresh-root');
    expect(await safeResolve(fresh, 'x/y.txt')).toBe(path.join(fresh, 'x', 'y.txt'));
  });

  it('handles a root reached through a symlink', async () => {
    const linkRoot = path.join(base, 'root-link');
    await symlink(root, linkRoot);
    expect(await safeResolve(linkRoot, 'inner/ok.txt')).toBe(path.join(linkRoot, 'inner', 'ok.txt'));
    await expect(safeResolve(linkRoot, 'escape-dir/secret.txt')).rejects.toThrow('Invalid path');
  });
});
