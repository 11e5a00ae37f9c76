import { expect } from 'vitest';
import { type ErrorCode, MlflowError } from '../../src/domain/errors.js';

/**
 * Awaits `action` and asserts it rejects with an MlflowError of `code` (and, optionally, a message containing or
 * matching `message`). Returns the error for further checks.
 */
export async function expectMlflowError(
  action: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  message?: string | RegExp,
): Promise<MlflowError> {
  let thrown: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an MlflowError ${code}`).toBeInstanceOf(MlflowError);
  const err = thrown as MlflowError;
  expect(err.code, err.message).toBe(code);
  if (typeof message === 'string') expect(err.message).toContain(message);
  else if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}
