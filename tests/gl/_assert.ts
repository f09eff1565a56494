/**
 * The assertions the GL and render tests use (JSR's `@std/assert` cannot be
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

/** Deep, strict equality. */
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

/** `fn` throws; returns what it threw. */
export function assertThrows(
  fn: () => unknown,
  message = "Expected a throw",
): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error(message);
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
