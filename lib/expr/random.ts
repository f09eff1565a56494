/**
 * Flitter's pseudo-random sources, `uniform(seed)`, `normal(seed)` and
 * `beta(seed)`: reproducible, unbounded streams that are only useful indexed,
 * as in `uniform(:x;i)[beat]` or `normal(:jitter)[..10]`.
 *
 * The streams are counter-based (any index costs the same) and stable for a
 * given seed, but they are not bit-identical to Flitter's. Numbers in the
 * seed and the index are floored first, so `uniform(:x;beat)[0]` changes
 * once per beat.
 *
 * @module
 */

import { FlitterSymbol, type Scalar, type Value } from "./values.ts";

/** The kinds of pseudo-random source. */
export type RandomSource = "uniform" | "normal" | "beta";

/** Names of the random-source functions. */
export const RANDOM_SOURCES: ReadonlySet<string> = new Set<RandomSource>([
  "uniform",
  "normal",
  "beta",
]);

const TWO_32 = 4294967296;
const bits = new DataView(new ArrayBuffer(8));

/** MurmurHash3's 32-bit finaliser. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function combine(h: number, x: number): number {
  return mix(Math.imul(h ^ x, 0x9e3779b1) + 0x7f4a7c15);
}

function hashString(text: string, h: number): number {
  let f = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    f = Math.imul(f ^ text.charCodeAt(i), 0x01000193);
  }
  return combine(h, f >>> 0);
}

/** A 32-bit hash of a seed vector (numbers floored), or null if empty. */
export function seedHash(seed: Value): number | null {
  if (seed === null) return null;
  const list: readonly Scalar[] = Array.isArray(seed)
    ? seed as readonly Scalar[]
    : [seed as Scalar];
  let h = 0x2545f491;
  for (const item of list) {
    if (typeof item === "number") {
      bits.setFloat64(0, Math.floor(item));
      h = combine(combine(h, bits.getUint32(0)), bits.getUint32(4));
    } else if (typeof item === "string") {
      h = hashString(item, h);
    } else if (item instanceof FlitterSymbol) {
      h = hashString(":" + item.name, h);
    }
  }
  return h;
}

/** The `index`-th uniform number in [0, 1) of the stream `hash`. */
function uniformAt(hash: number, index: number): number {
  const high = Math.floor(index / TWO_32);
  const low = index - high * TWO_32;
  const h = combine(combine(hash, low >>> 0), high >>> 0);
  return mix(h ^ 0x5bd1e995) / TWO_32;
}

function betaAt(hash: number, index: number): number {
  const u1 = uniformAt(hash, index * 3);
  const u2 = uniformAt(hash, index * 3 + 1);
  const u3 = uniformAt(hash, index * 3 + 2);
  // The median of three uniforms has the Beta(2,2) distribution.
  return Math.max(Math.min(u1, u2), Math.min(Math.max(u1, u2), u3));
}

function normalAt(hash: number, index: number): number {
  // Box-Muller: each pair of indices shares one pair of uniforms.
  const pair = Math.floor(index / 2) * 2;
  let u1 = uniformAt(hash, pair);
  const u2 = uniformAt(hash, pair + 1);
  if (u1 === 0) u1 = 1 / TWO_32;
  const radius = Math.sqrt(-2 * Math.log(u1));
  const theta = 2 * Math.PI * u2;
  return index === pair ? radius * Math.cos(theta) : radius * Math.sin(theta);
}

const DRAW: Record<RandomSource, (hash: number, index: number) => number> = {
  uniform: uniformAt,
  normal: normalAt,
  beta: betaAt,
};

/**
 * `source(seed)[index]`: one number per index item (floored); null when the
 * seed is empty or an index item is not a finite number.
 */
export function randomItems(
  source: RandomSource,
  seed: Value,
  index: Value,
): Value {
  const hash = seedHash(seed);
  if (hash === null || index === null) return null;
  const draw = DRAW[source];
  if (typeof index === "number") {
    return Number.isFinite(index) ? draw(hash, Math.floor(index)) : null;
  }
  if (!Array.isArray(index)) return null;
  const indices = index as readonly Scalar[];
  const out = new Array<number>(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (typeof j !== "number" || !Number.isFinite(j)) return null;
    out[i] = draw(hash, Math.floor(j));
  }
  return out;
}
