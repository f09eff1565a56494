/**
 * The values of Flitter-like expressions and scene attributes.
 *
 * As in Flitter, every value is a vector: `null` is the empty vector, a number
 * or string on its own is a vector of one, and booleans are the numbers 1 and
 * 0. A vector of one item is always stored as the bare item and an empty
 * vector as `null`, so `===` works for scalars.
 *
 * @module
 */

/** A Flitter symbol such as `:connected`; interned, so compare with `===`. */
export class FlitterSymbol {
  static #table = new Map<string, FlitterSymbol>();

  private constructor(readonly name: string) {}

  /** The one symbol called `name` (without the leading colon). */
  static for(name: string): FlitterSymbol {
    let symbol = FlitterSymbol.#table.get(name);
    if (symbol === undefined) {
      symbol = new FlitterSymbol(name);
      FlitterSymbol.#table.set(name, symbol);
    }
    return symbol;
  }

  /** `:name`, as written in scenes. */
  toString(): string {
    return `:${this.name}`;
  }
}

/** One item of a vector. */
export type Scalar = number | string | FlitterSymbol;

/** Any value: empty (`null`), one item, or a vector of two or more items. */
export type Value = null | Scalar | readonly Scalar[];

/** Shorthand for {@linkcode FlitterSymbol.for}. */
export function sym(name: string): FlitterSymbol {
  return FlitterSymbol.for(name);
}

/** The items of `value` as an array (empty for `null`). */
export function items(value: Value): readonly Scalar[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value as readonly Scalar[];
  return [value as Scalar];
}

/** Builds a value from items: `null` when empty, the bare item when one. */
export function vectorOf(values: readonly Scalar[]): Value {
  if (values.length === 0) return null;
  if (values.length === 1) return values[0];
  return values;
}

/** Flitter truth: false for null, 0, "" and vectors with no true item. */
export function isTruthy(value: Value): boolean {
  for (const item of items(value)) {
    if (typeof item === "number") {
      if (item !== 0 && !Number.isNaN(item)) return true;
    } else if (typeof item === "string") {
      if (item !== "") return true;
    } else return true;
  }
  return false;
}

/** Converts a boolean to Flitter's 1 or 0. */
export function fromBoolean(flag: boolean): number {
  return flag ? 1 : 0;
}

/** The single number in `value`, or `null` if it is not exactly one number. */
export function asNumber(value: Value): number | null {
  return typeof value === "number" ? value : null;
}

/** All items as numbers, or `null` if any item is not a number (or empty). */
export function asNumbers(value: Value): number[] | null {
  const list = items(value);
  if (list.length === 0) return null;
  const numbers: number[] = [];
  for (const item of list) {
    if (typeof item !== "number") return null;
    numbers.push(item);
  }
  return numbers;
}

/**
 * A vector of exactly `length` numbers: a single number is repeated (so
 * `size=512` means 512x512), a vector of that length is taken as is; anything
 * else gives `null`.
 */
export function asVector(value: Value, length: number): number[] | null {
  const numbers = asNumbers(value);
  if (numbers === null) return null;
  if (numbers.length === length) return numbers;
  if (numbers.length === 1) return new Array(length).fill(numbers[0]);
  return null;
}

/** Formats one number as Flitter does: integers without a decimal point. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(9)));
}

/**
 * The text of a value: strings as they are, symbols by name, numbers
 * formatted, items concatenated (Flitter's string conversion). `null` gives
 * `null`.
 */
export function asString(value: Value): string | null {
  if (value === null) return null;
  return items(value).map((item) =>
    typeof item === "string"
      ? item
      : typeof item === "number"
      ? formatNumber(item)
      : item.name
  ).join("");
}

/** The name of a symbol (or a plain string) value, else `null`. */
export function asSymbolName(value: Value): string | null {
  if (value instanceof FlitterSymbol) return value.name;
  if (typeof value === "string") return value;
  return null;
}

/** Item-wise equality of two values. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  const left = items(a);
  const right = items(b);
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    if (left[i] !== right[i]) {
      if (
        typeof left[i] === "number" && typeof right[i] === "number" &&
        Number.isNaN(left[i]) && Number.isNaN(right[i])
      ) continue;
      return false;
    }
  }
  return true;
}

/** A value written the way a scene author would write it, for messages. */
export function formatValue(value: Value): string {
  if (value === null) return "null";
  return items(value).map((item) =>
    typeof item === "string"
      ? JSON.stringify(item)
      : typeof item === "number"
      ? formatNumber(item)
      : item.toString()
  ).join(";");
}
