import {
  type ArtifactEntry,
  type ArtifactFile,
  type ByteSource,
  LocalArtifactRepo,
  type WriteOptions,
} from './local-repo.js';
import { checkRelativePath, invalidPath, joinRelative } from './path-guard.js';
import { type ArtifactUriConfig, resolveArtifactUri } from './uri.js';

/**
 * Artifact access by location URI (a run's or logged model's `artifact_uri`) plus a client-supplied path
 * relative to it. The client path is checked on its own first, so it cannot climb out of its location into a
 * sibling run's, and then again, joined to the location, by the repo at the filesystem call.
 */
export interface LocatedEntry {
  /** Relative to the location root, e.g. `dir/file.txt`. */
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export class ArtifactAccess {
  private readonly config: ArtifactUriConfig;
  private readonly repos = new Map<string, LocalArtifactRepo>();

  constructor(config: ArtifactUriConfig) {
    this.config = config;
  }

  /** The repo behind the artifact proxy (`mlflow-artifacts:/x` → `<artifactsDestination>/x`). */
  proxyRepo(): LocalArtifactRepo {
    return this.repo(this.config.artifactsDestination);
  }

  /** Lists `userPath` under `uri`; entry paths are relative to the location (`sub/name` for a subdirectory). */
  async list(uri: string, userPath: string | undefined): Promise<LocatedEntry[]> {
    const rel = userPath === undefined ? '' : checkRelativePath(userPath);
    const loc = resolveArtifactUri(uri, this.config);
    const entries: ArtifactEntry[] = await this.repo(loc.root).list(joinRelative(loc.prefix, rel));
    return entries.map((e) => ({ ...e, path: joinRelative(rel, e.path) }));
  }

  async open(uri: string, userPath: string): Promise<ArtifactFile> {
    const rel = checkRelativePath(userPath);
    if (rel === '') throw invalidPath();
    const loc = resolveArtifactUri(uri, this.config);
    return this.repo(loc.root).read(joinRelative(loc.prefix, rel));
  }

  async write(uri: string, userPath: string, source: ByteSource, opts?: WriteOptions): Promise<void> {
    const rel = checkRelativePath(userPath);
    if (rel === '') throw invalidPath();
    const loc = resolveArtifactUri(uri, this.config);
    await this.repo(loc.root).write(joinRelative(loc.prefix, rel), source, opts);
  }

  private repo(root: string): LocalArtifactRepo {
    let r = this.repos.get(root);
    if (r === undefined) {
      r = new LocalArtifactRepo(root);
      this.repos.set(root, r);
    }
    return r;
  }
}
