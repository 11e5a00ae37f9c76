import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installSecurity } from '../../src/api/security.js';

function app(opts: Partial<Parameters<typeof installSecurity>[1]> = {}) {
  const a = Fastify();
  installSecurity(a, { allowedHosts: [], corsAllowedOrigins: [], disabled: false, ...opts });
  a.all('/*', async () => ({}));
  return a;
}

describe('security middleware', () => {
  it('accepts loopback and private-range Host headers', async () => {
    for (const host of [
      'localhost:5000',
      '127.0.0.1:5000',
      '[::1]:5000',
      '10.1.2.3',
      '192.168.0.5:80',
      '172.20.0.1',
    ]) {
      const r = await app().inject({
        method: 'GET',
        url: '/api/2.0/mlflow/experiments/get',
        headers: { host },
      });
      expect(r.statusCode, host).toBe(200);
    }
  });

  it('rejects other Host headers, including look-alike names MLflow patterns accept', async () => {
    for (const host of ['evil.example', '10.evil.example', '192.168.evil.example:80', '172.32.0.1']) {
      const r = await app().inject({
        method: 'GET',
        url: '/api/2.0/mlflow/experiments/get',
        headers: { host },
      });
      expect(r.statusCode, host).toBe(403);
    }
  });

  it('exempts /health and honours --allowed-hosts', async () => {
    expect(
      (await app().inject({ method: 'GET', url: '/health', headers: { host: 'x.example' } })).statusCode,
    ).toBe(200);
    const r = await app({ allowedHosts: ['mlflow.example.com'] }).inject({
      method: 'GET',
      url: '/api/2.0/x',
      headers: { host: 'mlflow.example.com:443' },
    });
    expect(r.statusCode).toBe(200);
  });

  it('blocks state-changing cross-origin API calls from non-local origins', async () => {
    const post = (origin: string, a = app()) =>
      a.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/create',
        headers: { host: 'localhost', origin },
        payload: {},
      });
    expect((await post('https://evil.example')).statusCode).toBe(403);
    expect((await post('http://localhost:3000')).statusCode).toBe(200);
    expect(
      (await post('https://ui.example', app({ corsAllowedOrigins: ['https://ui.example'] }))).statusCode,
    ).toBe(200);
  });

  it('can be disabled', async () => {
    const r = await app({ disabled: true }).inject({
      method: 'GET',
      url: '/api/2.0/x',
      headers: { host: 'evil.example' },
    });
    expect(r.statusCode).toBe(200);
  });
});
