import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveArtifactUri } from '../../src/artifacts/uri.js';
import { parseServerConfig } from '../../src/config/config.js';

const cwd = '/srv/mltrack';
const served = parseServerConfig({ artifactsDestination: '/data/artifacts' }, {}, cwd);
const local = parseServerConfig({ serveArtifacts: false, defaultArtifactRoot: './mlruns' }, {}, cwd);

describe('resolveArtifactUri', () => {
  it('maps mlflow-artifacts URIs to the artifacts destination', () => {
    expect(resolveArtifactUri('mlflow-artifacts:/1/abc/artifacts', served)).toEqual({
      root: '/data/artifacts',
      prefix: '1/abc/artifacts',
    });
    expect(resolveArtifactUri('mlflow-artifacts://host:5000/1/abc/artifacts', served).prefix).toBe(
      '1/abc/artifacts',
    );
    expect(resolveArtifactUri('mlflow-artifacts:/', served).prefix).toBe('');
  });

  it('maps http(s) proxy URLs by the part after the artifacts anchor', () => {
    const loc = resolveArtifactUri(
      'https://tracking.example:443/api/2.0/mlflow-artifacts/artifacts/2/run/artifacts',
      served,
    );
    expect(loc).toEqual({ root: '/data/artifacts', prefix: '2/run/artifacts' });
    expect(() => resolveArtifactUri('http://host/some/other/path', served)).toThrow(/must contain/);
  });

  it('refuses proxied URIs when artifacts are not served', () => {
    expect(() => resolveArtifactUri('mlflow-artifacts:/1/x', local)).toThrow(/--serve-artifacts/);
  });

  it('maps local paths inside the server artifact roots', () => {
    expect(resolveArtifactUri('/data/artifacts/1/r/artifacts', served)).toEqual({
      root: '/data/artifacts',
      prefix: '1/r/artifacts',
    });
    expect(resolveArtifactUri('file:///srv/mltrack/mlruns/0/r/artifacts', local)).toEqual({
      root: path.resolve(cwd, 'mlruns'),
      prefix: '0/r/artifacts',
    });
  });

  it('refuses local paths outside the roots, and traversal in stored URIs', () => {
    expect(() => resolveArtifactUri('/etc', served)).toThrow(/outside the server's artifact roots/);
    expect(() => resolveArtifactUri('file:///etc/passwd', local)).toThrow(/outside/);
    expect(() => resolveArtifactUri('/data/artifacts/../secrets', served)).toThrow(/outside/);
    expect(() => resolveArtifactUri('mlflow-artifacts:/../../etc', served)).toThrow(/not safe/);
    expect(() => resolveArtifactUri('mlflow-artifacts:/1/%2e%2e/%2e%2e/x', served)).toThrow(/not safe/);
    expect(() => resolveArtifactUri('mlflow-artifacts:/1/x#frag', served)).toThrow();
    expect(() => resolveArtifactUri('file://remote-host/share', served)).toThrow(/not a local file URI/);
  });

  it('answers INVALID_PARAMETER_VALUE for unsupported schemes', () => {
    for (const uri of ['s3://bucket/1/r/artifacts', 'gs://b/x', 'hdfs://nn/x', 'dbfs:/x']) {
      let err: unknown;
      try {
        resolveArtifactUri(uri, served);
      } catch (e) {
        err = e;
      }
      expect((err as { code: string }).code).toBe('INVALID_PARAMETER_VALUE');
      expect((err as Error).message).toMatch(/not supported by this server yet/);
    }
  });
});
