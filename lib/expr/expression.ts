/**
 * Flitter-like expressions: compile the text once, then evaluate it every
 * frame against a scope of names, state and files.
 *
 * ```ts
 * import { compileExpression } from "./expression.ts";
 * const color = compileExpression("sin(time*0.1)*0.5+0.5;0;1");
 * const value = color.evaluate({
 *   lookup: (name) => name === "time" ? 2.5 : undefined,
 *   state: () => null,
 *   readText: () => null,
 * });
 * console.log(value); // [1, 0, 1]
 * ```
 *
 * The language is Flitter's expression syntax: every value is a vector
 * (`1;2;3`), arithmetic works item by item with the shorter operand
 * repeated, comparisons give 1 or 0, `and`/`or` return an operand, trig
 * functions take turns, `$key` reads state, `x*2 for x in ..5` and
 * `x*x where x=3` bind local names, and anything ill-typed or unbound is
 * `null` rather than an error.
 *
 * @module
 */

import { compileTree } from "./_compiler.ts";
import { parse } from "./_parser.ts";
import type { Value } from "./values.ts";
import { getLogger } from "../log/logger.ts";

export { ExpressionSyntaxError } from "./syntax_error.ts";

const log = getLogger("expr");

/** What an expression can read while it is evaluated. */
export interface EvaluationScope {
  /** Value of a free name (time, clock, frame, let names, --define names, …); undefined → the name is unbound → null. */
  lookup(name: string): Value | undefined;
  /** `$KEY` state look-up. */
  state(key: Value): Value;
  /** `read(path)`: text of a file relative to the scene (the engine records it as a dependency); null if unreadable. */
  readText(path: string): string | null;
}

/** An expression compiled to closures, ready to evaluate many times. */
export interface CompiledExpression {
  /** The expression text it was compiled from. */
  readonly source: string;
  /** Free names the expression reads (not counting built-in function names that are called). */
  readonly names: ReadonlySet<string>;
  /** Whether it uses `$` state look-ups. */
  readonly usesState: boolean;
  /** Whether it calls read(). */
  readonly readsFiles: boolean;
  /** true when it has no free names, no state and no read(): its value never changes. */
  readonly isConstant: boolean;
  /**
   * The value for this scope. Never throws: a failure inside the scope's own
   * callbacks is logged and gives `null`. The result may be shared between
   * calls; do not mutate it.
   */
  evaluate(scope: EvaluationScope): Value;
}

/**
 * Parses and compiles `source`.
 *
 * Sub-expressions that cannot change are computed here, once; the dead
 * branch of a constant condition is dropped (and so are the names it reads).
 *
 * @throws {ExpressionSyntaxError} when `source` is not a valid expression
 *
 * @example
 * ```ts
 * import { compileExpression } from "./expression.ts";
 * const connected = compileExpression("$:webrtc == :connected");
 * console.log(connected.usesState, connected.isConstant); // true false
 * ```
 */
export function compileExpression(source: string): CompiledExpression {
  const tree = compileTree(parse(source), source);
  const names: ReadonlySet<string> = tree.names;
  const isConstant = tree.constant && names.size === 0 && !tree.usesState &&
    !tree.readsFiles;
  const run = tree.evaluate;
  let warned = false;
  const evaluate = (scope: EvaluationScope): Value => {
    try {
      return run(scope);
    } catch (error) {
      if (!warned) {
        warned = true;
        log.warn(`Evaluating "${source}" failed, giving null: ${error}`);
      }
      return null;
    }
  };
  return {
    source,
    names,
    usesState: tree.usesState,
    readsFiles: tree.readsFiles,
    isConstant,
    evaluate,
  };
}
