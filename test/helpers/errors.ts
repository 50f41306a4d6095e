/** Catching the error a call must throw (or a promise must reject with), of the class it must be. */
import { expect } from 'vitest';
import { DriverError } from '../../src/core/errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** The error of class `cls` that `fn` throws (fails the test if it throws nothing or something else). */
export function thrown<E>(cls: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error(`expected a ${cls.name}, and nothing was thrown`);
}

/** The error of class `cls` that the promise `fn` returns rejects with. */
export async function rejected<E>(cls: ErrorClass<E>, fn: () => Promise<unknown>): Promise<E> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error(`expected a ${cls.name}, and nothing was thrown`);
}

/** The DriverError a call throws (fails the test if it throws nothing or something else). */
export function driverError(fn: () => void): DriverError {
  return thrown(DriverError, fn);
}
