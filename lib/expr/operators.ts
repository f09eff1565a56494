/**
 * Flitter's operators on {@linkcode Value}s: item-wise arithmetic with
 * cyclic broadcasting, whole-vector comparison, indexing, ranges and vector
 * composition. None of them throws: a type problem gives `null`.
 *
 * Each function has a fast path for two plain numbers that allocates nothing.
 *
 * @module
 */

import { FlitterSymbol, type Scalar, type Value } from "./values.ts";

/** A function of two numbers applied item by item. */
export type NumberOperation = (x: number, y: number) => number;

/** The largest vector a range may build (more gives `null`). */
export const MAX_RANGE_LENGTH = 1 << 24;

/**
 * Applies `operation` item by item. Both values must be non-empty and all
 * numbers (else `null`); the shorter is repeated cyclically to the longer's
 * length, so `(1;2;3;4) + (10;20)` is `11;22;13;24`.
 */
export function arithmetic(
  a: Value,
  b: Value,
  operation: NumberOperation,
): Value {
  if (typeof a === "number") {
    if (typeof b === "number") return operation(a, b);
    if (!Array.isArray(b)) return null;
    const list = b as readonly Scalar[];
    const out = new Array<number>(list.length);
    for (let i = 0; i < list.length; i++) {
      const y = list[i];
      if (typeof y !== "number") return null;
      out[i] = operation(a, y);
    }
    return out;
  }
  if (!Array.isArray(a)) return null;
  const left = a as readonly Scalar[];
  if (typeof b === "number") {
    const out = new Array<number>(left.length);
    for (let i = 0; i < left.length; i++) {
      const x = left[i];
      if (typeof x !== "number") return null;
      out[i] = operation(x, b);
    }
    return out;
  }
  if (!Array.isArray(b)) return null;
  const right = b as readonly Scalar[];
  const n = left.length;
  const m = right.length;
  const length = n > m ? n : m;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const x = left[i % n];
    const y = right[i % m];
    if (typeof x !== "number" || typeof y !== "number") return null;
    out[i] = operation(x, y);
  }
  return out;
}

const ADD: NumberOperation = (x, y) => x + y;
const SUBTRACT: NumberOperation = (x, y) => x - y;
const MULTIPLY: NumberOperation = (x, y) => x * y;
const DIVIDE: NumberOperation = (x, y) => x / y;
const FLOOR_DIVIDE: NumberOperation = (x, y) => Math.floor(x / y);
const MODULO: NumberOperation = (x, y) => x - Math.floor(x / y) * y;
const POWER: NumberOperation = (x, y) => x ** y;

/** `a + b` */
export function add(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a + b
    : arithmetic(a, b, ADD);
}

/** `a - b` */
export function subtract(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a - b
    : arithmetic(a, b, SUBTRACT);
}

/** `a * b` */
export function multiply(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a * b
    : arithmetic(a, b, MULTIPLY);
}

/** `a / b`; dividing by zero gives ±Infinity or NaN, as in Flitter. */
export function divide(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a / b
    : arithmetic(a, b, DIVIDE);
}

/** `a // b`: floor division. */
export function floorDivide(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? Math.floor(a / b)
    : arithmetic(a, b, FLOOR_DIVIDE);
}

/** `a % b`: floor modulo, as in Python (`-1 % 5` is 4). */
export function modulo(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a - Math.floor(a / b) * b
    : arithmetic(a, b, MODULO);
}

/** `a ** b` */
export function power(a: Value, b: Value): Value {
  return typeof a === "number" && typeof b === "number"
    ? a ** b
    : arithmetic(a, b, POWER);
}

/** Unary `-`: null unless all numbers. */
export function negate(a: Value): Value {
  if (typeof a === "number") return -a;
  return mapNumbers(a, (x) => -x);
}

/** Unary `+`: the value itself if all numbers, else null. */
export function positive(a: Value): Value {
  if (typeof a === "number") return a;
  return mapNumbers(a, (x) => x);
}

/** Applies `f` to every item; null unless `a` is non-empty and all numbers. */
export function mapNumbers(a: Value, f: (x: number) => number): Value {
  if (typeof a === "number") return f(a);
  if (!Array.isArray(a)) return null;
  const list = a as readonly Scalar[];
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== "number") return null;
    out[i] = f(x);
  }
  return out;
}

/**
 * Whole-vector equality as Flitter's `==`: same length and identical items
 * (a number never equals a string or a symbol; NaN equals nothing).
 */
export function valuesIdentical(a: Value, b: Value): boolean {
  if (a === b) return !(typeof a === "number" && a !== a);
  if (!Array.isArray(a) || !Array.isArray(b)) return false;
  const left = a as readonly Scalar[];
  const right = b as readonly Scalar[];
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    if (left[i] !== right[i]) return false;
  }
  return true;
}

/** The result of comparing two values; -2 when they cannot be compared. */
export type Ordering = -2 | -1 | 0 | 1;

/**
 * Compares vectors item by item until one differs; when one runs out first,
 * the shorter is lesser. Numbers compare with numbers, strings with strings,
 * symbols with symbols (by name); any other pair gives -2.
 */
export function compareValues(a: Value, b: Value): Ordering {
  if (typeof a === "number" && typeof b === "number") {
    return a === b ? 0 : a < b ? -1 : 1;
  }
  const left = toList(a);
  const right = toList(b);
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const x = left[i];
    const y = right[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x < y ? -1 : 1;
    if (typeof x === "string" && typeof y === "string") return x < y ? -1 : 1;
    if (x instanceof FlitterSymbol && y instanceof FlitterSymbol) {
      if (x.name === y.name) continue;
      return x.name < y.name ? -1 : 1;
    }
    return -2;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
}

/** `==` as 1 or 0. */
export function equal(a: Value, b: Value): Value {
  return valuesIdentical(a, b) ? 1 : 0;
}

/** `!=` as 1 or 0. */
export function notEqual(a: Value, b: Value): Value {
  return valuesIdentical(a, b) ? 0 : 1;
}

/** `<` as 1 or 0, null when not comparable. */
export function lessThan(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return a < b ? 1 : 0;
  const c = compareValues(a, b);
  return c === -2 ? null : c === -1 ? 1 : 0;
}

/** `>` as 1 or 0, null when not comparable. */
export function greaterThan(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return a > b ? 1 : 0;
  const c = compareValues(a, b);
  return c === -2 ? null : c === 1 ? 1 : 0;
}

/** `<=` as 1 or 0, null when not comparable. */
export function lessOrEqual(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return a <= b ? 1 : 0;
  const c = compareValues(a, b);
  return c === -2 ? null : c !== 1 ? 1 : 0;
}

/** `>=` as 1 or 0, null when not comparable. */
export function greaterOrEqual(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return a >= b ? 1 : 0;
  const c = compareValues(a, b);
  return c === -2 ? null : c !== -1 ? 1 : 0;
}

/**
 * `source[index]`: each index item is floored and taken modulo the length
 * (so `-1` is the last item); null when either is empty or an index item is
 * not a number.
 */
export function indexValue(source: Value, index: Value): Value {
  if (source === null || index === null) return null;
  const list = toList(source);
  const n = list.length;
  if (typeof index === "number") {
    if (!Number.isFinite(index)) return null;
    return list[floorModulo(Math.floor(index), n)];
  }
  if (!Array.isArray(index)) return null;
  const indices = index as readonly Scalar[];
  const out = new Array<Scalar>(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (typeof j !== "number" || !Number.isFinite(j)) return null;
    out[i] = list[floorModulo(Math.floor(j), n)];
  }
  return out;
}

function floorModulo(i: number, n: number): number {
  const r = i % n;
  return r < 0 ? r + n : r;
}

/**
 * `start..stop|step`: from `start` (default 0) by `step` (default 1) up to,
 * not including, `stop`. Each part must be one number; a zero step or a
 * range longer than {@linkcode MAX_RANGE_LENGTH} gives null.
 */
export function rangeValue(start: Value, stop: Value, step: Value): Value {
  if (start !== null && typeof start !== "number") return null;
  if (typeof stop !== "number") return null;
  if (step !== null && typeof step !== "number") return null;
  const from = start ?? 0;
  const by = step ?? 1;
  if (by === 0) return null;
  const length = Math.ceil((stop - from) / by);
  if (!(length > 0)) return null;
  if (length > MAX_RANGE_LENGTH) return null;
  if (length === 1) return from;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = from + by * i;
  return out;
}

/** `a;b;…`: the items of all parts, in order. */
export function composeValues(parts: readonly Value[]): Value {
  let length = 0;
  let only: Value = null;
  for (const part of parts) {
    if (part === null) continue;
    only = part;
    length += Array.isArray(part) ? part.length : 1;
  }
  if (length === 0) return null;
  if (length === 1) return only;
  const out = new Array<Scalar>(length);
  let j = 0;
  for (const part of parts) {
    if (part === null) continue;
    if (Array.isArray(part)) {
      const list = part as readonly Scalar[];
      for (let i = 0; i < list.length; i++) out[j++] = list[i];
    } else {
      out[j++] = part as Scalar;
    }
  }
  return out;
}

function toList(value: Value): readonly Scalar[] {
  if (value === null) return EMPTY;
  if (Array.isArray(value)) return value as readonly Scalar[];
  return [value as Scalar];
}

const EMPTY: readonly Scalar[] = [];
