/**
 * The built-in functions of expressions, following Flitter's: angles are in
 * *turns* (`sin(0.25)` is 1), functions of one vector work item by item, and
 * a wrong type gives `null` instead of an error.
 *
 * Extensions beyond Flitter: `atan`, `atan2(y, x)`, `clamp`, `mix`, `sign`
 * and `str`. `uniform`, `normal` and `beta` give numbers only when indexed
 * directly (`uniform(:x;i)[beat]`, see `random.ts`); alone they are null.
 *
 * @module
 */

import { compareValues, mapNumbers } from "./operators.ts";
import { asString, type Scalar, type Value } from "./values.ts";

const TAU = 2 * Math.PI;

/** Where `read()` gets file text; the expression's evaluation scope. */
export interface FileReader {
  /** Text of a file relative to the scene, or null if unreadable. */
  readText(path: string): string | null;
}

/** One built-in function. */
export interface BuiltinFunction {
  /** Fewest arguments accepted. */
  readonly minArgs: number;
  /** Most arguments accepted (`Infinity` for any number). */
  readonly maxArgs: number;
  /** Whether the result depends only on the arguments (so it may be folded). */
  readonly pure: boolean;
  /** Computes the result; must not keep `args`, which is reused. */
  call(args: readonly Value[], files: FileReader): Value;
  /** The same for exactly one argument, without an arguments array. */
  readonly unary?: (x: Value) => Value;
}

const table = new Map<string, BuiltinFunction>();

/** The built-in functions by name. */
export const BUILTINS: ReadonlyMap<string, BuiltinFunction> = table;

function define(
  name: string,
  minArgs: number,
  maxArgs: number,
  call: (args: readonly Value[], files: FileReader) => Value,
  pure = true,
): void {
  table.set(name, { minArgs, maxArgs, pure, call });
}

function defineItemwise(name: string, f: (x: number) => number): void {
  const unary = (x: Value): Value => mapNumbers(x, f);
  table.set(name, {
    minArgs: 1,
    maxArgs: 1,
    pure: true,
    call: (args) => unary(args[0]),
    unary,
  });
}

/** All items as numbers if non-empty and all numbers, else null. */
function numbersOf(value: Value): readonly number[] | null {
  if (typeof value === "number") return [value];
  if (!Array.isArray(value) || value.length === 0) return null;
  for (const item of value as readonly Scalar[]) {
    if (typeof item !== "number") return null;
  }
  return value as readonly number[];
}

function itemsOf(value: Value): readonly Scalar[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value as readonly Scalar[];
  return [value as Scalar];
}

/** Builds a value from numbers: null, a bare number or the array. */
function fromNumbers(values: number[]): Value {
  if (values.length === 0) return null;
  if (values.length === 1) return values[0];
  return values;
}

/** Calls `f` item-wise over several numeric arguments, broadcast cyclically. */
function broadcast(
  args: readonly Value[],
  f: (xs: number[]) => number,
): Value {
  const lists: (readonly number[])[] = [];
  let length = 0;
  for (const arg of args) {
    const list = numbersOf(arg);
    if (list === null) return null;
    lists.push(list);
    if (list.length > length) length = list.length;
  }
  const out = new Array<number>(length);
  const xs = new Array<number>(lists.length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < lists.length; j++) {
      xs[j] = lists[j][i % lists[j].length];
    }
    out[i] = f(xs);
  }
  return fromNumbers(out);
}

// Trigonometry in turns

defineItemwise("sin", (x) => Math.sin(x * TAU));
defineItemwise("cos", (x) => Math.cos(x * TAU));
defineItemwise("tan", (x) => Math.tan(x * TAU));
defineItemwise("asin", (y) => Math.asin(y) / TAU);
defineItemwise("acos", (y) => Math.acos(y) / TAU);
defineItemwise("atan", (y) => Math.atan(y) / TAU);

define("angle", 1, 2, (args) => {
  if (args.length === 2) {
    return broadcast(args, ([x, y]) => Math.atan2(y, x) / TAU);
  }
  const xy = numbersOf(args[0]);
  if (xy === null) return null;
  const out: number[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) {
    out.push(Math.atan2(xy[i + 1], xy[i]) / TAU);
  }
  return fromNumbers(out);
});

define(
  "atan2",
  2,
  2,
  (args) => broadcast(args, ([y, x]) => Math.atan2(y, x) / TAU),
);

define("polar", 1, 1, ([theta]) => {
  const th = numbersOf(theta);
  if (th === null) return null;
  const out = new Array<number>(th.length * 2);
  for (let i = 0; i < th.length; i++) {
    out[i * 2] = Math.cos(th[i] * TAU);
    out[i * 2 + 1] = Math.sin(th[i] * TAU);
  }
  return out;
});

// Other item-wise maths

defineItemwise("abs", Math.abs);
defineItemwise("ceil", Math.ceil);
defineItemwise("floor", Math.floor);
defineItemwise("fract", (x) => x - Math.floor(x));
defineItemwise("exp", Math.exp);
defineItemwise("log", Math.log);
defineItemwise("log2", Math.log2);
defineItemwise("log10", Math.log10);
defineItemwise("sqrt", Math.sqrt);
// C's round(): halves away from zero.
defineItemwise("round", (x) => x < 0 ? -Math.round(-x) : Math.round(x));
defineItemwise("sign", Math.sign);

define("hypot", 1, Infinity, (args) => {
  if (args.length === 1) {
    const xs = numbersOf(args[0]);
    if (xs === null) return null;
    let total = 0;
    for (const x of xs) total += x * x;
    return Math.sqrt(total);
  }
  return broadcast(args, (xs) => {
    let total = 0;
    for (const x of xs) total += x * x;
    return Math.sqrt(total);
  });
});

define("normalize", 1, 1, ([value]) => {
  const xs = numbersOf(value);
  if (xs === null) return null;
  let total = 0;
  for (const x of xs) total += x * x;
  if (total === 0) return null;
  const length = Math.sqrt(total);
  return fromNumbers(xs.map((x) => x / length));
});

/** `map(x, a, b)`: `a` at x=0 to `b` at x=1. */
const mapFunction = ([x, a, b]: number[]) => (1 - x) * a + x * b;
define("map", 3, 3, (args) => broadcast(args, mapFunction));
define("mix", 3, 3, ([a, b, x]) => broadcast([x, a, b], mapFunction));

define(
  "clamp",
  3,
  3,
  (args) => broadcast(args, ([x, lo, hi]) => Math.min(Math.max(lo, x), hi)),
);

// Vector utilities

define("len", 1, 1, ([value]) => itemsOf(value).length);

function stride(value: Value | undefined): number | null {
  if (value === undefined) return 1;
  if (typeof value !== "number") return null;
  const m = Math.trunc(value);
  return m >= 1 ? m : null;
}

define("sum", 1, 2, ([value, by]) => {
  const xs = numbersOf(value);
  const m = stride(by);
  if (xs === null || m === null) return null;
  const out = new Array<number>(m).fill(0);
  for (let i = 0; i < xs.length; i++) out[i % m] += xs[i];
  return fromNumbers(out);
});

define("accumulate", 1, 2, ([value, by]) => {
  const xs = numbersOf(value);
  const m = stride(by);
  if (xs === null || m === null) return null;
  const out = xs.slice();
  for (let i = m; i < out.length; i++) out[i] += out[i - m];
  return fromNumbers(out);
});

/** The extreme item of one vector (numbers, or strings), else null. */
function extremeItem(value: Value, sign: 1 | -1): Value {
  const items = itemsOf(value);
  if (items.length === 0) return null;
  let best = items[0];
  for (let i = 1; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== typeof best || typeof item === "object") return null;
    if (sign > 0 ? item > best : item < best) best = item;
  }
  return typeof best === "object" ? null : best;
}

function extremeIndex(args: readonly Value[], sign: 1 | -1): number {
  if (args.length === 1) {
    const items = itemsOf(args[0]);
    let best = 0;
    for (let i = 1; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== typeof items[best] || typeof item === "object") {
        continue;
      }
      if (sign > 0 ? item > items[best] : item < items[best]) best = i;
    }
    return best;
  }
  let best = 0;
  for (let i = 1; i < args.length; i++) {
    if (compareValues(args[i], args[best]) === sign) best = i;
  }
  return best;
}

define("min", 1, Infinity, (args) => {
  if (args.length === 1) return extremeItem(args[0], -1);
  return args[extremeIndex(args, -1)];
});
define("max", 1, Infinity, (args) => {
  if (args.length === 1) return extremeItem(args[0], 1);
  return args[extremeIndex(args, 1)];
});
define("minindex", 1, Infinity, (args) => extremeIndex(args, -1));
define("maxindex", 1, Infinity, (args) => extremeIndex(args, 1));

define("zip", 1, Infinity, (args) => {
  const lists = args.map(itemsOf).filter((list) => list.length > 0);
  if (lists.length === 0) return null;
  if (lists.length === 1) return args.find((arg) => arg !== null) ?? null;
  const n = Math.max(...lists.map((list) => list.length));
  const out: Scalar[] = [];
  for (let i = 0; i < n; i++) {
    for (const list of lists) out.push(list[i % list.length]);
  }
  return out;
});

// Waveforms: one wave per unit, in [0, 1]

defineItemwise("sine", (x) => (1 - Math.cos(TAU * x)) / 2);
defineItemwise("bounce", (x) => Math.sin(Math.PI * (x - Math.floor(x))));
defineItemwise("sawtooth", (x) => x - Math.floor(x));
defineItemwise("triangle", (x) => 1 - Math.abs(x - Math.floor(x) - 0.5) * 2);
defineItemwise("square", (x) => x - Math.floor(x) < 0.5 ? 0 : 1);
defineItemwise("sharkfin", (x) => {
  const f = x - Math.floor(x);
  return f < 0.5 ? Math.sin(Math.PI * f) : 1 - Math.sin(Math.PI * (f - 0.5));
});

define("impulse", 1, 2, ([xs, cs]) => {
  const x = numbersOf(xs);
  const c = cs === undefined ? [0.25] : numbersOf(cs);
  if (x === null || c === null) return null;
  return fromNumbers(x.map((value, i) => {
    const f = value - Math.floor(value);
    const k = c[i % c.length];
    if (f < k) {
      const y = 1 - f / k;
      return 1 - y * y * y;
    }
    const y = 1 - (f - k) / (1 - k);
    return y * y * y;
  }));
});

// Easings: [0, 1] to [0, 1], clamped

const clamp01 = (x: number) => x < 0 ? 0 : x > 1 ? 1 : x;
defineItemwise("linear", clamp01);
defineItemwise("quad", (value) => {
  const x = clamp01(value);
  return x < 0.5 ? (x * 2) ** 2 / 2 : 1 - ((1 - x) * 2) ** 2 / 2;
});
defineItemwise("snap", (value) => {
  const x = clamp01(value);
  return x < 0.5 ? Math.sqrt(x * 2) / 2 : 1 - Math.sqrt((1 - x) * 2) / 2;
});

// Colours

function hueToRgb(m1: number, m2: number, h: number): number {
  h = h - Math.floor(h / 6) * 6;
  if (h < 1) return m1 + (m2 - m1) * h;
  if (h < 3) return m2;
  if (h < 4) return m1 + (m2 - m1) * (4 - h);
  return m1;
}

function hslToRgb(h: number, s: number, l: number): number[] {
  const m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s;
  const m1 = l * 2 - m2;
  h *= 6;
  return [
    hueToRgb(m1, m2, h + 2),
    hueToRgb(m1, m2, h),
    hueToRgb(m1, m2, h - 2),
  ];
}

define("hsl", 1, 1, ([color]) => {
  const c = numbersOf(color);
  if (c === null || c.length !== 3) return null;
  return hslToRgb(c[0], clamp01(c[1]), clamp01(c[2]));
});

define("hsv", 1, 1, ([color]) => {
  const c = numbersOf(color);
  if (c === null || c.length > 3) return null;
  const saturation = clamp01(c.length > 1 ? c[1] : 1);
  const value = clamp01(c.length > 2 ? c[2] : 1);
  const lightness = value * (1 - saturation / 2);
  const s = lightness === 0 || lightness === 1
    ? 0
    : (value - lightness) / Math.min(lightness, 1 - lightness);
  return hslToRgb(c[0], s, lightness);
});

// Text

define("chr", 1, 1, ([ordinals]) => {
  const codes = numbersOf(ordinals);
  if (codes === null) return null;
  try {
    return String.fromCodePoint(...codes.map(Math.trunc));
  } catch {
    return null;
  }
});

define("ord", 1, 1, ([text]) => {
  const string = asString(text);
  if (string === null) return null;
  return fromNumbers(Array.from(string, (ch) => ch.codePointAt(0)!));
});

define("split", 1, 1, ([text]) => {
  const string = asString(text);
  if (string === null) return null;
  const lines = string.replace(/\n+$/, "").split("\n");
  return lines.length === 1 ? lines[0] : lines;
});

define("str", 1, 1, ([value]) => asString(value));

// Pseudo-random sources: only meaningful indexed, `uniform(seed)[i]`, which
// the compiler handles (see random.ts); on their own they are null.

for (const name of ["uniform", "normal", "beta"]) {
  define(name, 1, 1, () => null);
}

// Files

define("read", 1, 1, ([path], files) => {
  const name = asString(path);
  if (name === null || name === "") return null;
  return files.readText(name);
}, false);
