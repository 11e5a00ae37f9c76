import path from 'node:path';
import type { SqlConnectionOptions } from '../store/types.js';

/** Parsed once at start-up, frozen, passed down. Nothing outside config/ reads process.env. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly backendStoreUri: string;
  /** Root for new experiments' artifact locations: `mlflow-artifacts:/` when serving artifacts. */
  readonly defaultArtifactRoot: string;
  /** Local folder behind the artifact proxy (`mlflow-artifacts:/x` → `<dest>/x`). */
  readonly artifactsDestination: string;
  readonly serveArtifacts: boolean;
  /** MLFLOW_TRUNCATE_LONG_VALUES: over-long param/tag values are truncated instead of rejected. */
  readonly truncateLongValues: boolean;
  readonly logLevel: string;
  /** Security middleware (Host allowlist, cross-origin block), as `mlflow server`'s flags. */
  readonly allowedHosts: readonly string[];
  readonly corsAllowedOrigins: readonly string[];
  readonly disableSecurityMiddleware: boolean;
  /** --static-prefix: every route is also served under it (must start with `/` and not end with `/`). */
  readonly staticPrefix: string;
  /** --artifacts-only: only the artifact proxy is served; tracking endpoints answer 503. */
  readonly artifactsOnly: boolean;
  /** MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX: new model version sources must match it. */
  readonly modelVersionSourceRegex: string | undefined;
  /** Working directory relative paths resolve against (artifact locations). */
  readonly cwd: string;
  readonly webhooks: WebhookConfig;
  /** Pool and TLS settings for PostgreSQL/MySQL backends. */
  readonly sql: SqlConnectionOptions;
}

/** MLflow's MLFLOW_WEBHOOK_* variables. */
export interface WebhookConfig {
  /** MLFLOW_WEBHOOK_ALLOWED_SCHEMES (default https). */
  readonly allowedSchemes: readonly string[];
  /** MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: loopback, private and link-local targets allowed (development only). */
  readonly allowPrivateIps: boolean;
  /** MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY; when unset a key is generated once and kept in the database. */
  readonly secretEncryptionKey: string | undefined;
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly maxWorkers: number;
  readonly cacheTtlMs: number;
}

export interface ServerFlags {
  host?: string;
  port?: string | number;
  backendStoreUri?: string;
  defaultArtifactRoot?: string;
  artifactsDestination?: string;
  serveArtifacts?: boolean;
  allowedHosts?: string;
  corsAllowedOrigins?: string;
  disableSecurityMiddleware?: boolean;
  staticPrefix?: string;
  artifactsOnly?: boolean;
  registryStoreUri?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function envBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return ['true', '1', 'yes', 'on'].includes(v.toLowerCase());
}

function validRegex(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    new RegExp(v);
  } catch {
    throw new Error(
      `MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX is not a valid regular expression: ${v}`,
    );
  }
  return v;
}

function envInt(env: Env, name: string, dflt: number, min: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function parseWebhookConfig(env: Env): WebhookConfig {
  const schemes = csv(env.MLFLOW_WEBHOOK_ALLOWED_SCHEMES).map((s) => s.toLowerCase());
  return Object.freeze({
    allowedSchemes: schemes.length > 0 ? schemes : ['https'],
    allowPrivateIps: envBool(env.MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS, false),
    secretEncryptionKey: env.MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY || undefined,
    requestTimeoutMs: envInt(env, 'MLFLOW_WEBHOOK_REQUEST_TIMEOUT', 30, 1) * 1000,
    maxRetries: envInt(env, 'MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES', 3, 0),
    maxWorkers: envInt(env, 'MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS', 10, 1),
    cacheTtlMs: envInt(env, 'MLFLOW_WEBHOOK_CACHE_TTL', 60, 0) * 1000,
  });
}

/**
 * MLflow's SQLAlchemy pool variables, mapped onto the driver pool: POOL_SIZE + MAX_OVERFLOW connections at most
 * (defaults 5 + 10, as SQLAlchemy's), POOL_RECYCLE seconds of connection lifetime; and MySQL TLS file paths.
 */
export function parseSqlConnectionOptions(env: Env): SqlConnectionOptions {
  const size = envInt(env, 'MLFLOW_SQLALCHEMYSTORE_POOL_SIZE', 5, 1);
  const overflow = envInt(env, 'MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW', 10, 0);
  const recycle = envInt(env, 'MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE', 0, -1);
  const out: SqlConnectionOptions = {
    pool: { max: size + overflow, maxLifetimeSeconds: Math.max(0, recycle) },
  };
  const ssl = {
    ...(env.MLFLOW_MYSQL_SSL_CA ? { ca: env.MLFLOW_MYSQL_SSL_CA } : {}),
    ...(env.MLFLOW_MYSQL_SSL_CERT ? { cert: env.MLFLOW_MYSQL_SSL_CERT } : {}),
    ...(env.MLFLOW_MYSQL_SSL_KEY ? { key: env.MLFLOW_MYSQL_SSL_KEY } : {}),
  };
  if (Object.keys(ssl).length > 0) out.mysqlSsl = ssl;
  return out;
}

function csv(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

export function parseServerConfig(
  flags: ServerFlags,
  env: Env = process.env,
  cwd = process.cwd(),
): ServerConfig {
  const serveArtifacts = flags.serveArtifacts ?? envBool(env.MLFLOW_SERVE_ARTIFACTS, true);
  const portRaw = flags.port ?? env.MLFLOW_PORT ?? '5000';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${portRaw}`);
  const backendStoreUri = flags.backendStoreUri ?? env.MLFLOW_BACKEND_STORE_URI ?? 'sqlite:///mlflow.db';
  const artifactsDestination = path.resolve(
    cwd,
    flags.artifactsDestination ?? env.MLFLOW_ARTIFACTS_DESTINATION ?? './mlartifacts',
  );
  let defaultArtifactRoot = flags.defaultArtifactRoot ?? env.MLFLOW_DEFAULT_ARTIFACT_ROOT;
  if (defaultArtifactRoot === undefined || defaultArtifactRoot === '') {
    defaultArtifactRoot = serveArtifacts ? 'mlflow-artifacts:/' : path.resolve(cwd, './mlruns');
  } else if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(defaultArtifactRoot)) {
    defaultArtifactRoot = path.resolve(cwd, defaultArtifactRoot);
  }
  const staticPrefix = flags.staticPrefix ?? env.MLFLOW_STATIC_PREFIX ?? '';
  if (staticPrefix !== '' && (!staticPrefix.startsWith('/') || staticPrefix.endsWith('/'))) {
    throw new Error(
      `--static-prefix must begin with a '/' and cannot end with a '/' (got '${staticPrefix}').`,
    );
  }
  const registryStoreUri = flags.registryStoreUri ?? env.MLFLOW_REGISTRY_STORE_URI;
  if (registryStoreUri !== undefined && registryStoreUri !== '' && registryStoreUri !== backendStoreUri) {
    throw new Error(
      'A separate --registry-store-uri is not supported: mltrack keeps the registry in the backend store.',
    );
  }
  const artifactsOnly = flags.artifactsOnly ?? envBool(env.MLFLOW_ARTIFACTS_ONLY, false);
  if (artifactsOnly && !serveArtifacts) {
    throw new Error('--artifacts-only cannot be combined with --no-serve-artifacts.');
  }
  return Object.freeze({
    host: flags.host ?? env.MLFLOW_HOST ?? '127.0.0.1',
    port,
    backendStoreUri,
    defaultArtifactRoot,
    artifactsDestination,
    serveArtifacts,
    truncateLongValues: envBool(env.MLFLOW_TRUNCATE_LONG_VALUES, true),
    logLevel: env.MLTRACK_LOG_LEVEL ?? 'info',
    allowedHosts: csv(flags.allowedHosts ?? env.MLFLOW_SERVER_ALLOWED_HOSTS),
    corsAllowedOrigins: csv(flags.corsAllowedOrigins ?? env.MLFLOW_SERVER_CORS_ALLOWED_ORIGINS),
    staticPrefix,
    artifactsOnly,
    modelVersionSourceRegex: validRegex(env.MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX),
    disableSecurityMiddleware:
      flags.disableSecurityMiddleware ?? envBool(env.MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE, false),
    cwd,
    webhooks: parseWebhookConfig(env),
    sql: parseSqlConnectionOptions(env),
  });
}
