import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactFile } from '../../artifacts/local-repo.js';
import { attachmentDisposition, guessContentType } from '../../artifacts/mime.js';
import { checkRelativePath } from '../../artifacts/path-guard.js';
import { ArtifactAccess, type LocatedEntry } from '../../artifacts/service.js';
import { MlflowError } from '../../domain/errors.js';
import { limits } from '../../domain/limits.js';
import { parseVersion, validateModelName } from '../../domain/registry-validation.js';
import { type Fields, missingParam, optString, reqString } from '../request-fields.js';
import type { AppDeps } from '../route.js';

/**
 * Artifact routes: the artifact proxy (`/mlflow-artifacts/...`, MlflowArtifactsService) and the tracking
 * server's own artifact views (run list, legacy get-artifact and upload-artifact, logged-model artifacts).
 * They live in an encapsulated plugin whose only body parser hands the raw request stream through, so uploads
 * stream to disk instead of being buffered by the app-wide parser.
 */

const PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const;
const MPU_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository';
const NO_SERVE =
  ' disabled due to the mlflow server running with `--no-serve-artifacts`. ' +
  'To enable artifacts server functionality, run `mlflow server` with `--serve-artifacts`';
/** Downloads are attachments and may never run script on the API origin even if opened directly. */
const DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export async function registerArtifactRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const access = new ArtifactAccess(deps.config);
  const { store, config } = deps;

  /** MLflow's `_disable_unless_serve_artifacts`: 503 text naming the Flask-style rule. */
  const proxied =
    (rule: string, fn: Handler): Handler =>
    async (req, reply) => {
      if (!config.serveArtifacts) {
        return reply.code(503).type('text/plain; charset=utf-8').send(`Endpoint: ${rule}${NO_SERVE}`);
      }
      return fn(req, reply);
    };

  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    for (const prefix of PREFIXES) {
      const base = `${prefix}/mlflow-artifacts`;
      const rule = `${base}/artifacts/<path:artifact_path>`;

      // Proxy: list (basenames only; `{}` when empty, missing or a file).
      child.get(
        `${base}/artifacts`,
        proxied(`${base}/artifacts`, async (req, reply) => {
          const p = optString(queryFields(req), 'path');
          const entries = await access.proxyRepo().list(p ?? '');
          return sendJson(reply, entries.length > 0 ? { files: entries } : {});
        }),
      );
      child.get(
        `${base}/artifacts/*`,
        proxied(rule, async (req, reply) => sendFile(reply, await access.proxyRepo().read(wildcard(req)))),
      );
      child.put(
        `${base}/artifacts/*`,
        proxied(rule, async (req, reply) => {
          await access.proxyRepo().write(wildcard(req), bodyStream(req));
          return sendJson(reply, {});
        }),
      );
      child.delete(
        `${base}/artifacts/*`,
        proxied(rule, async (req, reply) => {
          await access.proxyRepo().delete(wildcard(req));
          return sendJson(reply, {});
        }),
      );
      for (const op of ['create', 'complete', 'abort']) {
        child.post(
          `${base}/mpu/${op}/*`,
          proxied(`${base}/mpu/${op}/<path:artifact_path>`, async (req) => {
            checkRelativePath(wildcard(req));
            throw new MlflowError('NOT_IMPLEMENTED', MPU_UNSUPPORTED);
          }),
        );
      }

      // Tracking side: list a run's artifacts (paths relative to the run root).
      child.get(`${prefix}/mlflow/artifacts/list`, async (req, reply) => {
        const f = queryFields(req);
        const runId = runIdOf(f);
        const p = optString(f, 'path');
        optString(f, 'page_token'); // accepted for compatibility; a local listing is a single page
        if (p !== undefined) checkRelativePath(p);
        const run = await store.getRun(runId);
        const files = await access.list(run.info.artifact_uri, p);
        return sendJson(reply, listing(run.info.artifact_uri, files));
      });

      child.get(`${prefix}/mlflow/logged-models/:model_id/artifacts/directories`, async (req, reply) => {
        const p = optString(queryFields(req), 'artifact_directory_path');
        if (p !== undefined) checkRelativePath(p);
        const model = await store.getLoggedModel(modelIdOf(req));
        const files = await access.list(model.info.artifact_uri, p);
        return sendJson(reply, listing(model.info.artifact_uri, files));
      });
    }

    // Legacy UI download of one run artifact (MLflow serves it at the root only).
    child.get('/get-artifact', async (req, reply) => {
      const f = queryFields(req);
      const runId = runIdOf(f);
      const p = reqString(f, 'path');
      checkRelativePath(p);
      const run = await store.getRun(runId);
      return sendFile(reply, await access.open(run.info.artifact_uri, p));
    });

    // UI download of one file of a registered model version (through its download URI).
    child.get('/model-versions/get-artifact', async (req, reply) => {
      const f = queryFields(req);
      const name = validateModelName(optString(f, 'name'));
      const version = parseVersion(optString(f, 'version'));
      const p = reqString(f, 'path');
      checkRelativePath(p);
      let uri = await store.getModelVersionDownloadUri(name, version);
      const lm = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(uri);
      if (lm?.[1]) uri = (await store.getLoggedModel(lm[1])).info.artifact_uri;
      return sendFile(reply, await access.open(uri, p));
    });

    child.get('/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files', async (req, reply) => {
      const p = optString(queryFields(req), 'artifact_file_path');
      if (p === undefined || p === '') {
        throw new MlflowError(
          'BAD_REQUEST',
          'Request must include the "artifact_file_path" query parameter.',
        );
      }
      checkRelativePath(p);
      const model = await store.getLoggedModel(modelIdOf(req));
      return sendFile(reply, await access.open(model.info.artifact_uri, p));
    });

    // UI upload into a run's artifacts: raw body, at most 10 MB.
    child.post('/ajax-api/2.0/mlflow/upload-artifact', async (req, reply) => {
      const f = queryFields(req);
      const runId = optString(f, 'run_uuid') || optString(f, 'run_id');
      if (!runId) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Request must specify run_uuid.');
      const p = optString(f, 'path');
      if (!p) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Request must specify path.');
      checkRelativePath(p);
      const max = limits.uploadArtifactAjaxMax;
      const tooLarge = 'Artifact size is too large. Max size is 10MB.';
      const declared = Number(req.headers['content-length'] ?? '0');
      if (Number.isFinite(declared) && declared > max)
        throw new MlflowError('INVALID_PARAMETER_VALUE', tooLarge);
      const data = await readLimited(bodyStream(req), max, tooLarge);
      if (data.byteLength === 0)
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'Request must specify data.');
      const run = await store.getRun(runId);
      await access.write(run.info.artifact_uri, p, data);
      return sendJson(reply, {});
    });
  });
}

function queryFields(req: FastifyRequest): Fields {
  return { ...((req.query ?? {}) as Fields), __query: true };
}

function runIdOf(f: Fields): string {
  const id = optString(f, 'run_id') || optString(f, 'run_uuid');
  if (!id) throw missingParam('run_id');
  return id;
}

function modelIdOf(req: FastifyRequest): string {
  const id = (req.params as { model_id?: string }).model_id;
  if (!id) throw missingParam('model_id');
  return id;
}

function wildcard(req: FastifyRequest): string {
  return (req.params as { '*'?: string })['*'] ?? '';
}

function bodyStream(req: FastifyRequest): Readable | undefined {
  const body = req.body as Readable | Buffer | undefined | null;
  if (body === undefined || body === null) return undefined;
  if (Buffer.isBuffer(body))
    throw new MlflowError('INTERNAL_ERROR', 'Artifact body was buffered unexpectedly');
  return body;
}

/** ListArtifacts.Response: protobuf JSON omits an empty repeated field. */
function listing(rootUri: string, files: LocatedEntry[]): { root_uri: string; files?: LocatedEntry[] } {
  return files.length > 0 ? { root_uri: rootUri, files } : { root_uri: rootUri };
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(body));
}

function sendFile(reply: FastifyReply, file: ArtifactFile): FastifyReply {
  return reply
    .header('Content-Disposition', attachmentDisposition(file.name))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', DOWNLOAD_CSP)
    .header('Content-Length', String(file.size))
    .type(guessContentType(file.name))
    .send(file.stream);
}

async function readLimited(source: Readable | undefined, max: number, tooLarge: string): Promise<Buffer> {
  if (source === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.byteLength;
      if (size > max) throw new MlflowError('INVALID_PARAMETER_VALUE', tooLarge);
      chunks.push(buf);
    }
  } catch (err) {
    throw err instanceof MlflowError ? err : new MlflowError('BAD_REQUEST', 'The upload was interrupted');
  }
  return Buffer.concat(chunks, size);
}
