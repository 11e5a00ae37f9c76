import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import { invalidParam } from '../domain/errors.js';
import { isIpLiteral, isPublicIp } from '../domain/ip-ranges.js';

/**
 * Outbound webhook requests with SSRF protection at connect time. The DNS answer that is checked is the one the
 * socket connects to (a custom `lookup`), so DNS rebinding between a check and the request has nothing to
 * exploit; IP-literal hosts (which skip DNS) are checked directly, and the connected peer is checked once more.
 * Environment proxies are never used.
 */

export class SsrfBlocked extends Error {
  override readonly name = 'SsrfBlocked';
}

const RESOLVE_TIMEOUT_MS = 5000;

// node:http and node:https through require, not `import`: building the ESM namespace of node:http reads all its
// exports, and its lazy WebSocket/CloseEvent/MessageEvent getters then load Node's bundled undici (measured:
// +13 MB RSS in a bare process), which nothing here uses. fastify requires node:http the same way.
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof Http;
const https = require('node:https') as typeof Https;

/** Resolves a hostname the way the request will; every address must be public. MLflow's create-time check. */
export async function assertResolvesToPublic(host: string, field = 'Webhook URL'): Promise<void> {
  if (isIpLiteral(host)) {
    if (!isPublicIp(host)) {
      throw invalidParam(
        `${field} must not resolve to a non-public IP address. '${host}' resolves to ${host}.`,
      );
    }
    return;
  }
  const addrs = await new Promise<LookupAddress[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${RESOLVE_TIMEOUT_MS / 1000} seconds`)),
      RESOLVE_TIMEOUT_MS,
    );
    dnsLookup(host, { all: true }, (err, list) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(list);
    });
  }).catch((e: unknown) => {
    throw invalidParam(
      `Cannot resolve ${field} hostname '${host}': ${e instanceof Error ? e.message : String(e)}`,
    );
  });
  for (const a of addrs) {
    if (!isPublicIp(a.address)) {
      throw invalidParam(
        `${field} must not resolve to a non-public IP address. '${host}' resolves to ${a.address}.`,
      );
    }
  }
}

/** A `lookup` that only hands public addresses to the socket. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, list) => {
    if (err) return callback(err, '', 4);
    const bad = list.find((a) => !isPublicIp(a.address));
    if (bad !== undefined || list.length === 0) {
      return callback(
        new SsrfBlocked(
          `Webhook connection blocked: ${bad?.address ?? hostname} is not a public IP address. This may indicate a DNS rebinding attempt.`,
        ),
        '',
        4,
      );
    }
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, l: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export interface PostResult {
  status: number;
  body: string;
  retryAfterS?: number;
}

const RESPONSE_BODY_MAX = 64 * 1024;

/** One POST; resolves with the status and (truncated) body, rejects on network errors, timeouts and SSRF blocks. */
export function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivateIps: boolean },
): Promise<PostResult> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!opts.allowPrivateIps && isIpLiteral(host) && !isPublicIp(host)) {
    return Promise.reject(new SsrfBlocked(`Webhook connection blocked: ${host} is not a public IP address.`));
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
        timeout: opts.timeoutMs,
        ...(opts.allowPrivateIps ? {} : { lookup: publicOnlyLookup }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < RESPONSE_BODY_MAX) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const ra = Number(res.headers['retry-after']);
          const out: PostResult = {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_MAX).toString('utf8'),
          };
          if (Number.isFinite(ra) && ra >= 0) out.retryAfterS = ra;
          resolve(out);
        });
        res.on('error', reject);
      },
    );
    req.on('socket', (sock) => {
      sock.once('connect', () => {
        const peer = sock.remoteAddress;
        if (!opts.allowPrivateIps && (peer === undefined || !isPublicIp(peer))) {
          req.destroy(
            new SsrfBlocked(
              `Webhook connection blocked: ${peer ?? 'unknown peer'} is not a public IP address.`,
            ),
          );
        }
      });
    });
    req.on('timeout', () =>
      req.destroy(new Error(`Read timed out. (read timeout=${opts.timeoutMs / 1000})`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}
