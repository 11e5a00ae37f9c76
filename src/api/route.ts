import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/config.js';
import type { TrackingStore } from '../store/types.js';
import type { WebhookService } from '../webhooks/service.js';
import type { Fields } from './request-fields.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface AppDeps {
  readonly config: ServerConfig;
  readonly store: TrackingStore;
}

/** What a handler sees: the merged request fields (query or JSON body, plus path params) and the deps. */
export interface HandlerContext extends AppDeps {
  readonly webhooks: WebhookService;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/**
 * One protobuf-style JSON endpoint. `path` is relative to the API version root, e.g. `/mlflow/runs/create`;
 * it is mounted under `/api/<v>.0` and `/ajax-api/<v>.0` for each listed major version.
 */
/** A handler result that is already JSON (text or UTF-8 bytes), sent as is. */
export class RawJson {
  constructor(readonly json: string | Buffer) {}
}

/**
 * A handler result written as it is produced: `chunks` are consecutive pieces of one JSON document. Anything that
 * can fail for the client's fault must fail before the result is returned (the status is sent with the first piece);
 * a failure mid-stream can only cut the response short.
 */
export class JsonStream {
  constructor(readonly chunks: AsyncIterable<string>) {}
}

export interface JsonRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly versions?: readonly (2 | 3)[];
  /** Mounted only under /ajax-api (UI-only endpoints). */
  readonly ajaxOnly?: boolean;
  readonly handler: (fields: Fields, ctx: HandlerContext) => unknown | Promise<unknown>;
}
