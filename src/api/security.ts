import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * MLflow's security middleware (3.5+), done with parsed addresses instead of fnmatch patterns (which accept
 * `Host: 10.evil.example`): the Host header must name loopback, a private-range IP literal or an allowed host
 * (DNS-rebinding protection), and state-changing cross-origin API calls need an allowed Origin.
 */
export interface SecurityOptions {
  /** Extra allowed Host names (`*` = any); entries may end in `:*` or carry a port. */
  readonly allowedHosts: readonly string[];
  /** Allowed cross-origin Origins (`*` = any). Localhost origins are always allowed. */
  readonly corsAllowedOrigins: readonly string[];
  readonly disabled: boolean;
  /** --static-prefix, under which /health, /version and /api are served too. */
  readonly prefix?: string;
}

function splitHost(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function isPrivateOrLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const kind = isIP(host);
  if (kind === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 127 ||
      a === 10 ||
      (a === 192 && b === 168) ||
      (a === 172 && b >= 16 && b <= 31) ||
      host === '0.0.0.0'
    );
  }
  if (kind === 6) return host === '::1' || host === '::' || /^f[cd][0-9a-f]{2}:/.test(host);
  return false;
}

function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  if (allowed.includes('*')) return true;
  const host = splitHost(hostHeader);
  if (isPrivateOrLoopback(host)) return true;
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase();
    return entry === hostHeader.toLowerCase() || splitHost(entry) === host;
  });
}

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    const u = new URL(origin);
    const h = u.hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h === '127.0.0.1' || h === '::1';
  } catch {
    return false;
  }
}

export function installSecurity(app: FastifyInstance, opts: SecurityOptions): void {
  if (opts.disabled) return;
  app.addHook('onRequest', async (req, reply) => {
    const raw = req.url.split('?')[0] ?? '';
    const url = opts.prefix && raw.startsWith(`${opts.prefix}/`) ? raw.slice(opts.prefix.length) : raw;
    if (url === '/health' || url === '/version') return;
    if (!hostAllowed(req.headers.host, opts.allowedHosts)) {
      return reply
        .code(403)
        .type('text/plain')
        .send('Invalid Host header - possible DNS rebinding attack detected');
    }
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      url.startsWith('/api/') &&
      ['POST', 'PUT', 'DELETE', 'PATCH'].includes(req.method)
    ) {
      if (!originAllowed(origin, opts.corsAllowedOrigins)) {
        return reply.code(403).type('text/plain').send('Cross-origin request blocked');
      }
    }
  });
}
