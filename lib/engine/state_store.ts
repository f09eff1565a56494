/**
 * The scene state (`$KEY` in expressions, written by nodes such as
 * `!webrtc state=`), keyed by value.
 *
 * @module
 */

import { formatValue, type Value, valuesEqual } from "../expr/values.ts";
import type { StateStore } from "../scene/node.ts";

/** A state store in a `Map`, keyed by the written form of the key value. */
export class MapStateStore implements StateStore {
  readonly #entries = new Map<string, Value>();
  #version = 0;

  /** The value under `key`, or `null`. */
  get(key: Value): Value {
    return this.#entries.get(keyOf(key)) ?? null;
  }

  /** Sets `key` (or clears it with `null`); counts changes. */
  set(key: Value, value: Value): void {
    const name = keyOf(key);
    const previous = this.#entries.get(name) ?? null;
    if (valuesEqual(previous, value)) return;
    if (value === null) this.#entries.delete(name);
    else this.#entries.set(name, value);
    this.#version++;
  }

  /** Increases whenever a value changes. */
  get version(): number {
    return this.#version;
  }

  /** All keys (written form) and values. */
  entries(): IterableIterator<[string, Value]> {
    return this.#entries.entries();
  }
}

function keyOf(key: Value): string {
  return typeof key === "string" ? JSON.stringify(key) : formatValue(key);
}
