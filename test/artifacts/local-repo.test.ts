import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactRepo } from '../../src/artifacts/local-repo.js';
import { MlflowError } from '../../src/domain/errors.js';

let base: string;
let root: string;
let repo: LocalArtifactRepo;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'mltrack-repo-')));
  root = path.join(base, 'root');
  repo = new LocalArtifactRepo(root);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function readAll(s: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function errorOf(p: Promise<unknown>): Promise<MlflowError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MlflowError);
  return err as MlflowError;
}

describe('LocalArtifactRepo.write', () => {
  it('creates directories and writes a stream, leaving no temp files', async () => {
    const { size } = await repo.write(
      '1/run/artifacts/dir/a.txt',
      Readable.from([Buffer.from('he'), Buffer.from('llo')]),
    );
    expect(size).toBe(5);
    expect(await readFile(path.join(root, '1/run/artifacts/dir/a.txt'), 'utf8')).toBe('hello');
    expect(await readdir(path.join(root, '1/run/artifacts/dir'))).toEqual(['a.txt']);
  });

  it('replaces an existing file atomically', async () => {
    await repo.write('f.txt', Buffer.from('old'));
    await repo.write('f.txt', Buffer.from('new content'));
    expect(await readFile(path.join(root, 'f.txt'), 'utf8')).toBe('new content');
  });

  it('writes an empty file for an absent body', async () => {
    await repo.write('empty.bin', undefined);
    expect(await readFile(path.join(root, 'empty.bin'), 'utf8')).toBe('');
  });

  it('keeps the old file and leaves no partial file when the source fails midway', async () => {
    await repo.write('model.pkl', Buffer.from('complete old model'));
    async function* failing() {
      yield Buffer.from('partial');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const err = await errorOf(repo.write('model.pkl', failing()));
    expect(err.code).toBe('BAD_REQUEST');
    expect(await readFile(path.join(root, 'model.pkl'), 'utf8')).toBe('complete old model');
    expect(await readdir(root)).toEqual(['model.pkl']);
  });

  it('never creates a partial file under a new name on failure', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('boom');
    }
    await expect(repo.write('new/file.txt', failing())).rejects.toThrow('boom');
    expect(await readdir(path.join(root, 'new'))).toEqual([]);
  });

  it('enforces maxBytes and cleans up', async () => {
    const err = await errorOf(
      repo.write('big.bin', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), {
        maxBytes: 15,
        tooLargeMessage: 'too big',
      }),
    );
    expect(err.message).toBe('too big');
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses to write over a directory or below a file', async () => {
    await repo.write('d/x.txt', Buffer.from('x'));
    expect((await errorOf(repo.write('d', Buffer.from('y')))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(repo.write('d/x.txt/y', Buffer.from('y')))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses traversal and symlink escapes without touching the outside', async () => {
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await mkdir(root, { recursive: true });
    await symlink(outside, path.join(root, 'link'));
    for (const p of ['../outside/x', '%2e%2e/outside/x', 'link/x', '']) {
      expect((await errorOf(repo.write(p, Buffer.from('evil')))).message).toBe('Invalid path');
    }
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('LocalArtifactRepo.read', () => {
  it('streams a file with its size and name', async () => {
    await repo.write('dir/b.json', Buffer.from('{"a":1}'));
    const f = await repo.read('dir/b.json');
    expect(f.size).toBe(7);
    expect(f.name).toBe('b.json');
    expect(await readAll(f.stream)).toBe('{"a":1}');
  });

  it('answers 404 for a missing file and 400 for a directory', async () => {
    expect((await errorOf(repo.read('nope.txt'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    await repo.write('dir/b.txt', Buffer.from('b'));
    expect((await errorOf(repo.read('dir'))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(repo.read('dir/b.txt/c'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('never names the server path in errors', async () => {
    const err = await errorOf(repo.read('missing/file.txt'));
    expect(err.message).not.toContain(base);
    expect(err.message).toContain('missing/file.txt');
  });
});

describe('LocalArtifactRepo.list', () => {
  it('lists basenames sorted, with sizes for files only', async () => {
    await repo.write('r/b.txt', Buffer.from('bb'));
    await repo.write('r/a.txt', Buffer.from('a'));
    await repo.write('r/sub/c.txt', Buffer.from('ccc'));
    expect(await repo.list('r')).toEqual([
      { path: 'a.txt', is_dir: false, file_size: 1 },
      { path: 'b.txt', is_dir: false, file_size: 2 },
      { path: 'sub', is_dir: true },
    ]);
  });

  it('returns [] for a missing directory, a file, or a missing root', async () => {
    expect(await repo.list('')).toEqual([]);
    await repo.write('f.txt', Buffer.from('x'));
    expect(await repo.list('f.txt')).toEqual([]);
    expect(await repo.list('nope/deeper')).toEqual([]);
  });

  it('hides in-progress uploads and symlinks leading outside', async () => {
    await repo.write('d/real.txt', Buffer.from('x'));
    await writeFile(path.join(root, 'd', '.mltrack-0123abcd-0000-4000-8000-000000000000.part'), 'partial');
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret'), 'canary');
    await symlink(outside, path.join(root, 'd', 'out-link'));
    await symlink(path.join(root, 'd', 'real.txt'), path.join(root, 'd', 'in-link'));
    expect(await repo.list('d')).toEqual([
      { path: 'in-link', is_dir: false, file_size: 1 },
      { path: 'real.txt', is_dir: false, file_size: 1 },
    ]);
  });

  it('rejects unsafe list paths', async () => {
    expect((await errorOf(repo.list('../'))).message).toBe('Invalid path');
    expect((await errorOf(repo.list('/etc'))).message).toBe('Invalid path');
  });
});

describe('LocalArtifactRepo.delete', () => {
  it('deletes a file or a whole tree; a missing path is fine', async () => {
    await repo.write('t/a.txt', Buffer.from('a'));
    await repo.write('t/s/b.txt', Buffer.from('b'));
    await repo.delete('t/a.txt');
    expect(await repo.list('t')).toEqual([{ path: 's', is_dir: true }]);
    await repo.delete('t');
    expect(await repo.list('')).toEqual([]);
    await repo.delete('never/was');
  });

  it('refuses the root and escapes', async () => {
    await repo.write('keep.txt', Buffer.from('k'));
    for (const p of ['', '.', '..', '%2e%2e', 'a/../..']) {
      expect((await errorOf(repo.delete(p))).message).toBe('Invalid path');
    }
    expect(await readFile(path.join(root, 'keep.txt'), 'utf8')).toBe('k');
  });

  it('does not follow a symlink out of the root', async () => {
    const outside = path.join(base, 'outside');
    await mkdir(path.join(outside, 'dir'), { recursive: true });
    await writeFile(path.join(outside, 'dir', 'canary'), 'c');
    await mkdir(root, { recursive: true });
    await symlink(outside, path.join(root, 'link'));
    expect((await errorOf(repo.delete('link/dir'))).message).toBe('Invalid path');
    expect(await readFile(path.join(outside, 'dir', 'canary'), 'utf8')).toBe('c');
  });
});
