import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/http.js';

describe('server modes', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('--static-prefix serves every route under the prefix as well as at the root', async () => {
    server = await startTestServer({ MLFLOW_STATIC_PREFIX: '/mlflow' });
    for (const url of ['/health', '/mlflow/health']) {
      expect((await server.app.inject({ method: 'GET', url })).body).toBe('OK');
    }
    for (const url of [
      '/api/2.0/mlflow/experiments/get?experiment_id=0',
      '/mlflow/ajax-api/2.0/mlflow/experiments/get?experiment_id=0',
    ]) {
      const r = await server.app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
    }
  });

  it('--artifacts-only answers 503 on tracking endpoints and keeps the proxy', async () => {
    server = await startTestServer({ MLFLOW_ARTIFACTS_ONLY: 'true' });
    const r = await server.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/get?experiment_id=0',
    });
    expect(r.statusCode).toBe(503);
    expect(r.body).toMatch(/artifacts-only/);
    const put = await server.app.inject({
      method: 'PUT',
      url: '/api/2.0/mlflow-artifacts/artifacts/1/a.txt',
      payload: 'x',
    });
    expect(put.statusCode).toBe(200);
  });

  it('--no-serve-artifacts answers 503 on the proxy', async () => {
    server = await startTestServer({ MLFLOW_SERVE_ARTIFACTS: 'false' });
    const r = await server.app.inject({ method: 'GET', url: '/api/2.0/mlflow-artifacts/artifacts?path=1' });
    expect(r.statusCode).toBe(503);
  });
});
