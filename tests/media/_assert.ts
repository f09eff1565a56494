/**
 * The few assertions the media tests use (JSR's `@std/assert` cannot be
 * fetched here), built on `node:assert`.
 *
 * @module
 */

import nodeAssert from "node:assert";

/** Fails with `message` unless `condition` holds. */
export function assert(
  condition: unknown,
  message = "Assertion failed",
): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep, strict equality (typed arrays compared element by element). */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  error: unknown,
  errorClass: ErrorClass<E>,
  includes?: string,
): E {
  if (!(error instanceof errorClass)) {
    throw new Error(`Expected ${errorClass.name}, got ${error}`);
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new Error(
      `Expected the message to include "${includes}", got "${error.message}"`,
    );
  }
  return error;
}

/** Runs `body`, which must throw an `errorClass` whose message includes `includes`. */
export function assertThrows<E extends Error>(
  body: () => unknown,
  errorClass: ErrorClass<E>,
  includes?: string,
): E {
  try {
    body();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  throw new Error(`Expected ${errorClass.name} to be thrown`);
}

/** Awaits `body`, which must reject with an `errorClass` whose message includes `includes`. */
export async function assertRejects<E extends Error>(
  body: () => Promise<unknown>,
  errorClass: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await body();
  } catch (error) {
    return checkError(error, errorClass, includes);
  }
  throw new Error(`Expected ${errorClass.name} to be rejected`);
}
