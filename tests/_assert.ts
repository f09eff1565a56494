/**
 * The assertions the tests use (JSR's `@std/assert` cannot be fetched here),
 * built on `node:assert`.
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
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** `value` is an instance of `type`. */
export function assertInstanceOf<T>(
  value: unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => T,
  message?: string,
): asserts value is T {
  if (!(value instanceof type)) {
    throw new Error(
      message ?? `Expected an instance of ${type.name}, got ${String(value)}`,
    );
  }
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
): E;
/** Runs `body`, which must throw (anything); returns what it threw. */
export function assertThrows(body: () => unknown, message?: string): unknown;
export function assertThrows<E extends Error>(
  body: () => unknown,
  errorClassOrMessage?: ErrorClass<E> | string,
  includes?: string,
): unknown {
  try {
    body();
  } catch (error) {
    return typeof errorClassOrMessage === "function"
      ? checkError(error, errorClassOrMessage, includes)
      : error;
  }
  throw new Error(
    typeof errorClassOrMessage === "function"
      ? `Expected ${errorClassOrMessage.name} to be thrown`
      : errorClassOrMessage ?? "Expected a throw",
  );
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

/** Each channel of `actual` is within `tolerance` of `expected`. */
export function assertNear(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance = 2,
  message = "",
): void {
  const ok = expected.length === actual.length &&
    expected.every((value, i) => Math.abs(actual[i] - value) <= tolerance);
  if (!ok) {
    throw new Error(
      `${
        message ? message + ": " : ""
      }expected [${expected}] ± ${tolerance}, got [${Array.from(actual)}]`,
    );
  }
}

/** The RGBA bytes at `x`,`y` of a `width`-wide image. */
export function pixelAt(
  data: Uint8Array,
  width: number,
  x: number,
  y: number,
): number[] {
  const at = (y * width + x) * 4;
  return [...data.subarray(at, at + 4)];
}
