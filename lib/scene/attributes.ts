/**
 * The evaluated attributes of one scene node for one frame, with typed
 * getters that warn (once per node and attribute) about values of the wrong
 * shape instead of failing the frame.
 *
 * @module
 */

import {
  asNumber,
  asString,
  asSymbolName,
  asVector,
  formatValue,
  isTruthy,
  type Value,
} from "../expr/values.ts";
import { getLogger } from "../log/logger.ts";
import { LogOnce } from "../log/log_once.ts";
import { formatProblem, type SceneLocation } from "./errors.ts";

const log = getLogger("scene");

/** Attribute values of one node in one frame, addressed by the node's tree path. */
export class Attributes {
  readonly #values: Map<string, Value>;
  /** Shape warnings given, one per attribute name. */
  readonly #warned = new LogOnce();

  /**
   * Wraps `values` (the map is used, not copied) for the node at `path`.
   *
   * @param path where the node is in its scene (`nodes[0].children[1]`), for messages
   * @param values attribute name → value
   * @param file the scene file, for messages
   */
  constructor(
    readonly path: string,
    values: Map<string, Value> = new Map(),
    readonly file = "",
  ) {
    this.#values = values;
  }

  /**
   * Where this node (or its attribute `name`) is, for messages written with
   * {@linkcode formatProblem}: `formatProblem(attrs.location("size"), …)`.
   */
  location(name?: string): SceneLocation {
    return {
      file: this.file,
      path: name === undefined ? this.path : `${this.path}.${name}`,
    };
  }

  /** The raw value of `name` (`null` when absent). */
  get(name: string): Value {
    return this.#values.get(name) ?? null;
  }

  /** Sets `name` for this frame (the engine calls this). */
  set(name: string, value: Value): void {
    this.#values.set(name, value);
  }

  /** Removes `name` (the engine calls this when a reload drops it). */
  delete(name: string): void {
    this.#values.delete(name);
  }

  /** Whether `name` is present with a non-null value. */
  has(name: string): boolean {
    return (this.#values.get(name) ?? null) !== null;
  }

  /** All attribute names present. */
  names(): IterableIterator<string> {
    return this.#values.keys();
  }

  /** All entries. */
  entries(): IterableIterator<[string, Value]> {
    return this.#values.entries();
  }

  /** Number of attributes. */
  get size(): number {
    return this.#values.size;
  }

  /** A single number, or `fallback` when absent or not a number. */
  number(name: string, fallback: number): number;
  /** A single number, or `fallback` (which may be `null`) when absent or not a number. */
  number(name: string, fallback: number | null): number | null;
  number(name: string, fallback: number | null): number | null {
    return this.#converted(name, fallback, asNumber, "a number");
  }

  /** `length` numbers (a single number is repeated), or `fallback`. */
  vector(name: string, length: number, fallback: number[]): number[];
  /** `length` numbers (a single number is repeated), or `fallback` (which may be `null`). */
  vector(
    name: string,
    length: number,
    fallback: number[] | null,
  ): number[] | null;
  vector(
    name: string,
    length: number,
    fallback: number[] | null,
  ): number[] | null {
    return this.#converted(
      name,
      fallback,
      (value) => asVector(value, length),
      `${length} numbers`,
    );
  }

  /** Text of the value (symbols by name, numbers formatted), or `fallback`. */
  string(name: string, fallback: string): string;
  /** Text of the value (symbols by name, numbers formatted), or `fallback` (which may be `null`). */
  string(name: string, fallback: string | null): string | null;
  string(name: string, fallback: string | null): string | null {
    const value = this.get(name);
    if (value === null) return fallback;
    return asString(value) ?? fallback;
  }

  /** Flitter truth of the value, or `fallback` when absent. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.#values.get(name);
    if (value === undefined || value === null) return fallback;
    return isTruthy(value);
  }

  /** Name of a symbol (`:over` → `"over"`) or plain string, or `fallback`. */
  symbol(name: string, fallback: string): string;
  /** Name of a symbol (`:over` → `"over"`) or plain string, or `fallback` (which may be `null`). */
  symbol(name: string, fallback: string | null): string | null;
  symbol(name: string, fallback: string | null): string | null {
    return this.#converted(name, fallback, asSymbolName, "a symbol");
  }

  /**
   * `convert` of the value of `name`; `fallback` when absent, or (with a
   * warning, once) when `convert` gives `null`: not the `expected` shape.
   */
  #converted<T>(
    name: string,
    fallback: T | null,
    convert: (value: Value) => T | null,
    expected: string,
  ): T | null {
    const value = this.get(name);
    if (value === null) return fallback;
    const converted = convert(value);
    if (converted === null) {
      this.warnShape(name, value, expected);
      return fallback;
    }
    return converted;
  }

  /** Logs (once) that `name` has a value of the wrong shape. */
  warnShape(name: string, value: Value, expected: string): void {
    this.#warned.warn(
      log,
      formatProblem(
        this.location(name),
        `expected ${expected}, got ${formatValue(value)}`,
      ),
      name,
    );
  }

  /** Whether both hold the same names with equal values. */
  equals(
    other: Attributes,
    valuesEqual: (a: Value, b: Value) => boolean,
  ): boolean {
    if (other.#values.size !== this.#values.size) return false;
    for (const [name, value] of this.#values) {
      if (!other.#values.has(name)) return false;
      if (!valuesEqual(value, other.#values.get(name)!)) return false;
    }
    return true;
  }
}
