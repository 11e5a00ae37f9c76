import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type ValidatorFactory = NonNullable<Compilers['buildValidator']>;
type SerializerFactory = NonNullable<Compilers['buildSerializer']>;

// Resolved from fastify's own location: the compilers are fastify's dependencies, not mltrack's.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** A factory that requires fastify's `module` (whose export builds the real factory) on its first call. */
function lazyFactory<F>(module: string): F {
  let real: ((...args: unknown[]) => unknown) | undefined;
  return ((...args: unknown[]) => {
    real ??= (fromFastify(module) as () => (...a: unknown[]) => unknown)();
    return real(...args);
  }) as F;
}

/**
 * fastify's default schema compilers (ajv with ajv-formats; fast-json-stringify), loaded when a schema is first
 * compiled instead of when the app is built. mltrack's routes declare no schemas (they parse and check bodies
 * themselves), so these are never needed, yet fastify requires them eagerly: about 100 modules and 4 MB of idle
 * RSS (measured). Should a route ever declare a schema, it compiles as before, except that fastify counts these
 * as custom compilers and so leaves a `headers` schema's keys as written (it lower-cases them for its default).
 */
export const lazySchemaCompilers: Compilers = {
  buildValidator: lazyFactory<ValidatorFactory>('@fastify/ajv-compiler'),
  buildSerializer: lazyFactory<SerializerFactory>('@fastify/fast-json-stringify-compiler'),
};
