import { Readable } from 'node:stream';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { MlflowError } from '../domain/errors.js';
import { limits } from '../domain/limits.js';
import { VERSION } from '../version.js';
import { WebhookService } from '../webhooks/service.js';
import { errorBody, httpStatus } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { type Fields, RAW_BODY } from './request-fields.js';
import { type AppDeps, type JsonRoute, JsonStream, RawJson } from './route.js';
import { registerArtifactRoutes } from './routes/artifacts.js';
import { routeTable } from './routes/index.js';
import { lazySchemaCompilers } from './schema-compilers.js';
import { installSecurity } from './security.js';

/** No per-request log lines: at thousands of requests per second they cost more than the work. Errors still log. */
class QuietRequests extends LogController {
  override isLogDisabled(): boolean {
    return true;
  }
}

export interface BuildAppOptions {
  /** A pino logger config or false (tests). */
  logger?: boolean | object;
}

/** Builds the HTTP app from its dependencies without listening, so tests can `inject` requests. */
export async function buildApp(deps: AppDeps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.requestBodyMax,
    return503OnClosing: true,
    schemaController: { compilersFactory: lazySchemaCompilers },
    logController: new QuietRequests(),
    forceCloseConnections: false,
    // `//api/2.0/...` reaches the same route, as with MLflow's server.
    routerOptions: { maxParamLength: 2048, ignoreDuplicateSlashes: true },
    // Malformed URLs (e.g. a bad percent escape) are client mistakes: MLflow's JSON error, never a bare 400/500.
    frameworkErrors: (err, _req, reply) => {
      (reply as FastifyReply)
        .code(400)
        .type('application/json')
        .send(errorBody('INVALID_PARAMETER_VALUE', err.message));
    },
  });

  // Every body arrives raw; JSON routes parse it themselves (MLflow's rules: empty body = {}, a JSON string
  // holding JSON is decoded twice), artifact routes stream it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'SAMEORIGIN');
    return payload;
  });

  const webhooks = new WebhookService(deps.store, deps.config.webhooks, app.log);
  app.addHook('onClose', () => webhooks.close());

  installSecurity(app, {
    allowedHosts: deps.config.allowedHosts,
    corsAllowedOrigins: deps.config.corsAllowedOrigins,
    disabled: deps.config.disableSecurityMiddleware,
    prefix: deps.config.staticPrefix,
  });
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .type('application/json')
      .send(
        errorBody('ENDPOINT_NOT_FOUND', `No API endpoint found for ${req.method} ${req.url.split('?')[0]}`),
      );
  });

  // Everything is served at the root and, with --static-prefix, under the prefix too (MLflow moved more routes under
  // the prefix release by release: UI and ajax first, then /health and /version, then /api).
  const mountAll = async (scope: FastifyInstance) => {
    scope.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
    scope.get('/version', async (_req, reply) => reply.type('text/plain').send(VERSION));
    scope.post('/v1/traces', async (_req, reply) =>
      reply
        .code(501)
        .type('application/json')
        .send(errorBody('NOT_IMPLEMENTED', 'REST OTLP span logging is not supported by mltrack yet.')),
    );
    for (const route of routeTable) mountJsonRoute(scope, route, deps, webhooks);
    await registerArtifactRoutes(scope, deps);
  };
  await app.register(mountAll);
  if (deps.config.staticPrefix) await app.register(mountAll, { prefix: deps.config.staticPrefix });
  return app;
}

function mountJsonRoute(
  app: FastifyInstance,
  route: JsonRoute,
  deps: AppDeps,
  webhooks: WebhookService,
): void {
  const versions = route.versions ?? [2];
  const prefixes = route.ajaxOnly ? ['/ajax-api'] : ['/api', '/ajax-api'];
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (deps.config.artifactsOnly) {
      return reply
        .code(503)
        .type('text/plain')
        .send(
          `Endpoint: ${route.path} disabled due to the mlflow server running in \`--artifacts-only\` mode.`,
        );
    }
    const fields = requestFields(request);
    const result = await route.handler(fields, { ...deps, webhooks, request, reply });
    if (reply.sent) return reply;
    if (result instanceof JsonStream) {
      return reply.type('application/json').send(Readable.from(result.chunks, { objectMode: false }));
    }
    const body = result instanceof RawJson ? result.json : JSON.stringify(result ?? {});
    return reply.type('application/json').send(body);
  };
  for (const v of versions) {
    for (const prefix of prefixes) {
      app.route({ method: route.method, url: `${prefix}/${v}.0${route.path}`, handler });
    }
  }
}

function requestFields(request: FastifyRequest): Fields {
  let fields: Fields;
  if (request.method === 'GET') {
    fields = { ...(request.query as Fields), __query: true };
  } else {
    const ct = request.headers['content-type'];
    if (request.method === 'POST' || request.method === 'PUT') {
      if (ct === undefined || ct === '') {
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
      }
      if (!/^application\/json\s*(;|$)/i.test(ct)) {
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `Bad Request. Content-Type must be 'application/json', got '${ct}'.`,
        );
      }
    }
    const raw = request.body as Buffer | undefined;
    fields = parseJsonBody(raw);
    if (raw !== undefined) Object.defineProperty(fields, RAW_BODY, { value: raw, enumerable: false });
  }
  const params = request.params as Record<string, string> | undefined;
  if (params) for (const [k, v] of Object.entries(params)) fields[k] = v;
  return fields;
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof MlflowError) {
    const status = httpStatus(err.code);
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (err.code === 'TEMPORARILY_UNAVAILABLE') reply.header('Retry-After', '1');
    return reply.code(status).type('application/json').send(errorBody(err.code, err.message));
  }
  const fe = err as { statusCode?: number; code?: string; message?: string };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply
      .code(400)
      .type('application/json')
      .send(errorBody('INVALID_PARAMETER_VALUE', `Request body exceeds ${limits.requestBodyMax} bytes.`));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply
      .code(400)
      .type('application/json')
      .send(errorBody('BAD_REQUEST', fe.message ?? 'Bad request'));
  }
  req.log.error({ err }, 'unhandled error');
  return reply.code(500).type('application/json').send(errorBody('INTERNAL_ERROR', 'Internal server error'));
}
