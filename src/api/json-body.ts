import { invalidParam } from '../domain/errors.js';
import type { Fields } from './request-fields.js';

/** MLflow's body rules: empty = {}, a JSON string holding JSON is decoded a second time, an object is required. */
export function parseJsonBody(body: Buffer | undefined): Fields {
  if (body === undefined || body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    throw invalidParam('Malformed JSON request body.');
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParam('Request body must be a JSON object.');
  return value as Fields;
}
