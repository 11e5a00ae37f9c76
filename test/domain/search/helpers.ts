import { expect } from 'vitest';
import { MlflowError } from '../../../src/domain/errors.js';

/** Asserts that `fn` throws INVALID_PARAMETER_VALUE, optionally with a message matching `message`. */
export function expectInvalid(fn: () => unknown, message?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an error').toBeInstanceOf(MlflowError);
  const err = thrown as MlflowError;
  expect(err.code).toBe('INVALID_PARAMETER_VALUE');
  if (message !== undefined) {
    if (typeof message === 'string') expect(err.message).toContain(message);
    else expect(err.message).toMatch(message);
  }
}
