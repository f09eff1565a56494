/**
 * Errors in scene files, each naming the file, the place and the problem,
 * and {@linkcode formatProblem}, the one way every message about a place in
 * a scene (errors and warnings alike) is written: `file: place: problem`.
 *
 * @module
 */

/** Where in a scene something is: a tree path and/or a line and column. */
export interface SceneLocation {
  /** Path of the scene file as the user gave it (empty: not known, left out). */
  file: string;
  /** Tree path such as `nodes[0].children[2].size`. */
  path?: string;
  /** 1-based line, for syntax errors. */
  line?: number;
  /** 1-based column, for syntax errors. */
  column?: number;
}

/** A problem in a scene file: syntax, shape, an unknown node kind, a bad expression. */
export class SceneError extends Error {
  /** The scene file. */
  readonly file: string;
  /** Tree path of the offending node or attribute, if known. */
  readonly path?: string;
  /** 1-based line, if known. */
  readonly line?: number;
  /** 1-based column, if known. */
  readonly column?: number;
  /** The problem alone, without the place. */
  readonly problem: string;

  /**
   * Creates an error whose message is the location followed by the problem
   * (`file:line:column: problem` or `file: path: problem`).
   *
   * @param location where the problem is
   * @param problem what is wrong
   * @param options standard error options (e.g. `cause`)
   */
  constructor(
    location: SceneLocation,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(formatProblem(location, problem), options);
    this.name = "SceneError";
    this.file = location.file;
    this.path = location.path;
    this.line = location.line;
    this.column = location.column;
    this.problem = problem;
  }
}

/**
 * `file:line:column`, `file: path` or `file: path (column N)`; without a
 * file (an empty `file`), the path alone.
 */
export function formatLocation(location: SceneLocation): string {
  let text = location.file;
  if (location.line !== undefined) {
    text += `:${location.line}`;
    if (location.column !== undefined) text += `:${location.column}`;
  }
  if (location.path) {
    text += text === "" ? location.path : `: ${location.path}`;
    if (location.line === undefined && location.column !== undefined) {
      text += ` (column ${location.column})`;
    }
  }
  return text;
}

/**
 * A message about a place in a scene: `file: place: problem` (see
 * {@linkcode formatLocation}). Every error and warning that names a place in
 * a scene is written with it, so they all read alike.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem } from "./errors.ts";
 * assert.equal(
 *   formatProblem({ file: "scene.toml", path: "nodes[0].size" }, "expected 2 numbers"),
 *   "scene.toml: nodes[0].size: expected 2 numbers",
 * );
 * assert.equal(formatProblem({ file: "", path: "nodes[0]" }, "bad"), "nodes[0]: bad");
 * ```
 */
export function formatProblem(
  location: SceneLocation,
  problem: string,
): string {
  const where = formatLocation(location);
  return where === "" ? problem : `${where}: ${problem}`;
}
