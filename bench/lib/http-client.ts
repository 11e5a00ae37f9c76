import http from 'node:http';

export interface HttpResult {
  status: number;
  /** Response body size in bytes. */
  bytes: number;
  /** Wall time from request start to the last response byte, ms. */
  ms: number;
  /** The body, only when the caller asked to keep it. */
  body?: Buffer;
}

/**
 * Minimal keep-alive HTTP/1.1 client on node:http (no extra dependency). One agent per client, with as many
 * sockets as the workload's concurrency, so connections are reused and never opened inside a timed loop.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: string, path: string, body?: Buffer | string, keepBody = false): Promise<HttpResult> {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = http.request(
        { host: this.host, port: this.port, method, path, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (keepBody) chunks.push(c);
          });
          res.on('end', () => {
            const out: HttpResult = { status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 };
            if (keepBody) out.body = Buffer.concat(chunks);
            resolve(out);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST a JSON body and parse the JSON answer; throws on a non-2xx status. */
  async json<T>(path: string, body: unknown): Promise<T> {
    const r = await this.request('POST', path, JSON.stringify(body), true);
    const text = r.body?.toString('utf8') ?? '';
    if (r.status < 200 || r.status >= 300)
      throw new Error(`POST ${path} → ${r.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Runs `total` jobs with `concurrency` workers pulling from a shared counter; `job(i, worker)` gets the global
 * index and the worker number. Returns the wall time in ms.
 */
export async function runPool(
  total: number,
  concurrency: number,
  job: (i: number, worker: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (w: number) => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      await job(i, w);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return performance.now() - t0;
}
