import { parseServerConfig } from '../config/config.js';
import { startServer } from '../main.js';

export async function runServer(opts: Record<string, unknown>): Promise<void> {
  const str = (k: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
  const flags: Parameters<typeof parseServerConfig>[0] = {};
  const set = <K extends keyof typeof flags>(k: K, v: (typeof flags)[K] | undefined) => {
    if (v !== undefined) flags[k] = v;
  };
  set('backendStoreUri', str('backendStoreUri'));
  set('defaultArtifactRoot', str('defaultArtifactRoot'));
  set('artifactsDestination', str('artifactsDestination'));
  set('host', str('host'));
  set('port', str('port'));
  set('allowedHosts', str('allowedHosts'));
  set('corsAllowedOrigins', str('corsAllowedOrigins'));
  if (opts.disableSecurityMiddleware === true) flags.disableSecurityMiddleware = true;
  set('staticPrefix', str('staticPrefix'));
  if (opts.artifactsOnly === true) flags.artifactsOnly = true;
  set('registryStoreUri', str('registryStoreUri'));
  for (const ignored of ['workers', 'gunicornOpts', 'uvicornOpts', 'waitressOpts', 'dev']) {
    if (opts[ignored] !== undefined) {
      process.stderr.write(
        `mltrack: --${ignored.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is accepted for compatibility and ignored (one process serves all requests)\n`,
      );
    }
  }
  // commander sets serveArtifacts=false for --no-serve-artifacts and true for --serve-artifacts
  if (typeof opts.serveArtifacts === 'boolean' && process.argv.some((a) => a.endsWith('serve-artifacts'))) {
    flags.serveArtifacts = opts.serveArtifacts;
  }
  const config = parseServerConfig(flags);
  const server = await startServer(config);
  process.stdout.write(`mltrack server listening at ${server.url}\n`);
  const stop = (signal: string) => {
    server.app.log.info(`${signal} received, shutting down`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
