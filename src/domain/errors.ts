/**
 * The closed set of MLflow error codes mltrack raises. Names are MLflow's (databricks.proto); the HTTP status
 * each maps to lives only in api/errors.ts.
 */
export type ErrorCode =
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETER_VALUE'
  | 'ENDPOINT_NOT_FOUND'
  | 'INVALID_STATE'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_EXHAUSTED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'NOT_IMPLEMENTED';

export class MlflowError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'MlflowError';
  }
}

export const invalidParam = (message: string): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string): MlflowError =>
  new MlflowError('RESOURCE_ALREADY_EXISTS', message);
