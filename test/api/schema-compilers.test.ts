import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySchemaCompilers } from '../../src/api/schema-compilers.js';

describe('lazySchemaCompilers', () => {
  it('load fastify’s ajv and fast-json-stringify compilers on first use: a route schema still validates and serializes', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
    app.post(
      '/x',
      {
        schema: {
          body: { type: 'object', required: ['a'], properties: { a: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { b: { type: 'string' } } } },
        },
      },
      async (req) => ({ b: String((req.body as { a: number }).a), dropped: 1 }),
    );
    const ok = await app.inject({ method: 'POST', url: '/x', payload: { a: '5' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ b: '5' });
    const bad = await app.inject({ method: 'POST', url: '/x', payload: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain("must have required property 'a'");
    await app.close();
  });
});
