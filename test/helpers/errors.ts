/** Catching the error a driver call must throw. */
import { expect } from 'vitest';
import { DriverError } from '../../src/core/errors.js';

/** The DriverError a call throws (fails the test if it throws nothing or something else). */
export function driverError(fn: () => void): DriverError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DriverError);
    return e as DriverError;
  }
  throw new Error('expected a DriverError, and nothing was thrown');
}
