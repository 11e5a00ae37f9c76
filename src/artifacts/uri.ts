import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../config/config.js';
import { MlflowError } from '../domain/errors.js';
import { checkRelativePath } from './path-guard.js';

/**
 * Where an artifact URI (a run's or logged model's `artifact_uri`) lives on this server's disk: a local `root`
 * every access is confined to, and the location's relative POSIX `prefix` under it (`''` = the root).
 *
 * - `mlflow-artifacts:/a/b`, `mlflow-artifacts://host:port/a/b` and http(s) URLs containing
 *   `/api/2.0/mlflow-artifacts/artifacts/a/b` → root `<artifactsDestination>`, prefix `a/b`
 *   (only while the server serves artifacts, as MLflow's `_is_servable_proxied_run_artifact_root`);
 * - `file:///abs/x` and `/abs/x` → the allowed local root containing it (the artifacts destination, or the
 *   default artifact root when that is local), prefix the rest. Local locations outside those roots are
 *   refused, so a stored URI can never make the server read arbitrary local files;
 * - any other scheme (s3, gs, wasbs, hdfs, ...) → INVALID_PARAMETER_VALUE: not supported by this server yet.
 */
export interface ArtifactLocation {
  readonly root: string;
  readonly prefix: string;
}

export type ArtifactUriConfig = Pick<
  ServerConfig,
  'artifactsDestination' | 'serveArtifacts' | 'defaultArtifactRoot' | 'cwd'
>;

const PROXY_ANCHOR = '/api/2.0/mlflow-artifacts/artifacts/';
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

const invalidLocation = (uri: string, why: string) =>
  new MlflowError('INVALID_PARAMETER_VALUE', `Cannot access artifact location '${uri}': ${why}`);

export function resolveArtifactUri(uri: string, config: ArtifactUriConfig): ArtifactLocation {
  const m = SCHEME.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === undefined) return localLocation(uri, path.resolve(config.cwd, uri), config);
  if (scheme === 'file') {
    let p: string;
    try {
      p = fileURLToPath(uri);
    } catch {
      throw invalidLocation(uri, 'not a local file URI');
    }
    return localLocation(uri, p, config);
  }
  if (scheme === 'mlflow-artifacts' || scheme === 'http' || scheme === 'https') {
    if (!config.serveArtifacts) {
      throw invalidLocation(
        uri,
        'proxied artifacts are only served when the server runs with `--serve-artifacts`',
      );
    }
    const rest = scheme === 'mlflow-artifacts' ? mlflowArtifactsPath(uri) : httpProxyPath(uri);
    return { root: path.resolve(config.artifactsDestination), prefix: checkedPrefix(uri, rest) };
  }
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Artifact URI scheme '${scheme}' (in '${uri}') is not supported by this server yet; ` +
      'only mlflow-artifacts:/ and local paths under the server artifact root can be read here.',
  );
}

/** urlparse(uri).path of an mlflow-artifacts URI, without the optional `//host:port` authority. */
function mlflowArtifactsPath(uri: string): string {
  let rest = uri.slice(uri.indexOf(':') + 1);
  if (/[?#]/.test(rest)) throw invalidLocation(uri, 'query strings and fragments are not allowed');
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  return rest;
}

function httpProxyPath(uri: string): string {
  let pathname: string;
  try {
    const u = new URL(uri);
    if (u.search !== '' || u.hash !== '') throw new Error('query');
    pathname = u.pathname;
  } catch {
    throw invalidLocation(uri, 'not a valid artifact proxy URL');
  }
  const at = pathname.indexOf(PROXY_ANCHOR);
  if (at < 0) {
    throw invalidLocation(uri, `an http(s) artifact location must contain '${PROXY_ANCHOR}'`);
  }
  return pathname.slice(at + PROXY_ANCHOR.length);
}

function checkedPrefix(uri: string, raw: string): string {
  try {
    return checkRelativePath(raw.replace(/^\/+/, ''));
  } catch {
    throw invalidLocation(uri, 'the location path is not safe');
  }
}

/** Local roots a stored location may point into: the artifacts destination and a local default root. */
export function allowedLocalRoots(config: ArtifactUriConfig): string[] {
  const roots = [path.resolve(config.artifactsDestination)];
  const dflt = config.defaultArtifactRoot;
  if (dflt.startsWith('file:')) {
    try {
      roots.push(path.resolve(fileURLToPath(dflt)));
    } catch {
      // not a local file URI; nothing to add
    }
  } else if (!SCHEME.test(dflt)) {
    roots.push(path.resolve(config.cwd, dflt));
  }
  return roots;
}

function localLocation(uri: string, localPath: string, config: ArtifactUriConfig): ArtifactLocation {
  if (localPath.includes('\0')) throw invalidLocation(uri, 'the location path is not safe');
  const abs = path.resolve(localPath);
  for (const root of allowedLocalRoots(config)) {
    const rel = path.relative(root, abs);
    if (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) {
      return { root, prefix: checkedPrefix(uri, rel.split(path.sep).join('/')) };
    }
  }
  throw invalidLocation(uri, "it is outside the server's artifact roots");
}
