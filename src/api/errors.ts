import type { ErrorCode } from '../domain/errors.js';

/** THE ErrorCode → HTTP status map (MLflow's ERROR_CODE_TO_HTTP_STATUS). Nothing else knows statuses. */
const STATUS: Record<ErrorCode, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_STATE: 500,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_EXHAUSTED: 429,
  REQUEST_LIMIT_EXCEEDED: 429,
  NOT_IMPLEMENTED: 501,
};

export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}

export function errorBody(code: ErrorCode, message: string): { error_code: ErrorCode; message: string } {
  return { error_code: code, message };
}
