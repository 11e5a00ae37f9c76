import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { entity: string; action: string; timestamp: string; data: Record<string, unknown> };
}

/** A local HTTP endpoint that records webhook deliveries; `respond` picks each reply's status. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  respond: (n: number) => number = () => 200;
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ headers: req.headers, body, json: JSON.parse(body) as Received['json'] });
        const status = this.respond(this.received.length);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`reply ${status}`);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  /** Waits until `n` deliveries arrived (or fails after `ms`). */
  async waitFor(n: number, ms = 5000): Promise<Received[]> {
    const end = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > end) throw new Error(`expected ${n} deliveries, got ${this.received.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.received;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** The signature a receiver computes, as MLflow's docs describe it. */
export function expectedSignature(secret: string, r: Received): string {
  const id = String(r.headers['x-mlflow-delivery-id']);
  const ts = String(r.headers['x-mlflow-timestamp']);
  return `v1,${createHmac('sha256', secret).update(`${id}.${ts}.${r.body}`).digest('base64')}`;
}
