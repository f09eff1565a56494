/**
 * What program nodes share per {@linkcode GLContext}: their compiled shader
 * programs and a 1x1 transparent texture for samplers with nothing to
 * sample.
 *
 * Nodes whose vertex and fragment sources are equal use one compiled
 * {@linkcode ShaderProgram}: {@linkcode acquireProgram} compiles it for the
 * first and counts the others in, {@linkcode releaseProgram} destroys it when
 * the last lets go. {@linkcode ProgramHolder} is one node's hold on the
 * program it draws with: it swaps programs as the node's sources change, and
 * while a new source fails to compile it keeps the last one that did.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { Texture } from "../gl/texture.ts";

/** A compiled program in a context's cache, with the number of its users. */
export interface SharedProgram {
  /** The sources it was compiled from, as one key. */
  readonly key: string;
  /** The compiled program. */
  readonly program: ShaderProgram;
  /** Holders that acquired it and have not released it yet. */
  users: number;
}

interface ContextShared {
  programs: Map<string, SharedProgram>;
  zero: Texture | null;
}

const shared = new WeakMap<GLContext, ContextShared>();

function sharedOf(gl: GLContext): ContextShared {
  let state = shared.get(gl);
  if (state === undefined) {
    state = { programs: new Map(), zero: null };
    shared.set(gl, state);
  }
  return state;
}

/** The cache key of a program from `vertex` and `fragment`. */
function programKey(vertex: string, fragment: string): string {
  return `${vertex}\u0000${fragment}`;
}

/**
 * The program for `vertex` and `fragment` in `gl`'s cache, compiled (and
 * named `name` in compile errors) when no other user holds it; counts one
 * more user. Pair every call with {@linkcode releaseProgram}.
 *
 * @throws {import("../gl/shader.ts").ShaderError} when it does not compile
 */
export function acquireProgram(
  gl: GLContext,
  vertex: string,
  fragment: string,
  name: string,
): SharedProgram {
  const programs = sharedOf(gl).programs;
  const key = programKey(vertex, fragment);
  let entry = programs.get(key);
  if (entry === undefined) {
    entry = {
      key,
      program: ShaderProgram.compile(gl, vertex, fragment, name),
      users: 0,
    };
    programs.set(key, entry);
  }
  entry.users++;
  return entry;
}

/** Counts one user of `entry` out; the last one destroys the program. */
export function releaseProgram(gl: GLContext, entry: SharedProgram): void {
  entry.users--;
  if (entry.users <= 0) {
    sharedOf(gl).programs.delete(entry.key);
    entry.program.destroy();
  }
}

/** Number of programs compiled and alive in `gl`'s cache (for tests). */
export function cachedProgramCount(gl: GLContext): number {
  return sharedOf(gl).programs.size;
}

/** A 1x1 transparent texture for samplers with nothing to sample. */
export function zeroTexture(gl: GLContext): Texture {
  const state = sharedOf(gl);
  if (state.zero === null) {
    state.zero = new Texture(gl, 1, 1, "rgba8");
    state.zero.upload(new Uint8Array(4));
  }
  return state.zero;
}

/**
 * One user's hold on the cached program it draws with. Selecting other
 * sources acquires their program and releases the old one; when the new
 * sources fail to compile, the old program stays held and the error is
 * returned (again, without compiling again, while those sources stay).
 */
export class ProgramHolder {
  #entry: SharedProgram | null = null;
  #failedKey: string | null = null;
  #failure: unknown = null;

  /** The program held, or `null` before any compiled. */
  get program(): ShaderProgram | null {
    return this.#entry?.program ?? null;
  }

  /** Whether the sources selected last failed to compile. */
  get failing(): boolean {
    return this.#failedKey !== null;
  }

  /**
   * Holds the program of `vertex` and `fragment` (`name` names it in
   * compile errors). Returns `null` when it is held now, or the compile
   * error when it failed and an older program is still held.
   *
   * @throws the compile error when it failed and no program is held
   */
  select(
    gl: GLContext,
    vertex: string,
    fragment: string,
    name: string,
  ): unknown {
    const key = programKey(vertex, fragment);
    const held = this.#entry;
    if (held !== null && held.key === key) {
      this.#failedKey = null;
      this.#failure = null;
      return null;
    }
    let failure: unknown = null;
    if (this.#failedKey === key) failure = this.#failure;
    else {
      try {
        const entry = acquireProgram(gl, vertex, fragment, name);
        if (held !== null) releaseProgram(gl, held);
        this.#entry = entry;
        this.#failedKey = null;
        this.#failure = null;
        return null;
      } catch (error) {
        this.#failedKey = key;
        this.#failure = failure = error;
      }
    }
    if (this.#entry === null) throw failure;
    return failure;
  }

  /** Lets go of the program held (destroyed if nobody else holds it). */
  release(gl: GLContext): void {
    if (this.#entry !== null) releaseProgram(gl, this.#entry);
    this.#entry = null;
    this.#failedKey = null;
    this.#failure = null;
  }
}
