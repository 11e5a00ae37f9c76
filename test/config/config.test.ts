import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../src/config/config.js';

const cwd = '/srv/mltrack';

describe('server configuration (mlflow server flags and environment)', () => {
  it('defaults to MLflow 3.7+ embedded defaults', () => {
    const c = parseServerConfig({}, {}, cwd);
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(5000);
    expect(c.backendStoreUri).toBe('sqlite:///mlflow.db');
    expect(c.artifactsDestination).toBe(path.join(cwd, 'mlartifacts'));
    expect(c.defaultArtifactRoot).toBe('mlflow-artifacts:/');
    expect([c.serveArtifacts, c.artifactsOnly, c.staticPrefix, c.truncateLongValues]).toEqual([
      true,
      false,
      '',
      true,
    ]);
  });

  it('reads MLflow environment variables; flags win', () => {
    const env = {
      MLFLOW_PORT: '6000',
      MLFLOW_HOST: '0.0.0.0',
      MLFLOW_BACKEND_STORE_URI: 'sqlite:////data/x.db',
    };
    const c = parseServerConfig({ port: '7000' }, env, cwd);
    expect([c.port, c.host, c.backendStoreUri]).toEqual([7000, '0.0.0.0', 'sqlite:////data/x.db']);
  });

  it('without the proxy, the default artifact root is ./mlruns resolved on the server', () => {
    const c = parseServerConfig({ serveArtifacts: false }, {}, cwd);
    expect(c.defaultArtifactRoot).toBe(path.join(cwd, 'mlruns'));
  });

  it('validates --static-prefix, --artifacts-only and --registry-store-uri like mlflow server', () => {
    expect(parseServerConfig({ staticPrefix: '/mlflow' }, {}, cwd).staticPrefix).toBe('/mlflow');
    expect(() => parseServerConfig({ staticPrefix: 'mlflow' }, {}, cwd)).toThrow(/static-prefix/);
    expect(() => parseServerConfig({ staticPrefix: '/mlflow/' }, {}, cwd)).toThrow(/static-prefix/);
    expect(() => parseServerConfig({ artifactsOnly: true, serveArtifacts: false }, {}, cwd)).toThrow(
      /artifacts-only/,
    );
    expect(() => parseServerConfig({ registryStoreUri: 'sqlite:///other.db' }, {}, cwd)).toThrow(/registry/);
    expect(parseServerConfig({ registryStoreUri: 'sqlite:///mlflow.db' }, {}, cwd).backendStoreUri).toBe(
      'sqlite:///mlflow.db',
    );
    expect(() => parseServerConfig({ port: '70000' }, {}, cwd)).toThrow(/port/);
  });
});
