/**
 * The error thrown when the text of an expression cannot be parsed.
 *
 * @module
 */

/**
 * An expression that is not valid Flitter-like syntax.
 *
 * The message names the problem and the 1-based column where it was found,
 * e.g. `Unexpected ")" at column 7`.
 *
 * @example
 * ```ts
 * import { compileExpression, ExpressionSyntaxError } from "./expression.ts";
 * try {
 *   compileExpression("(1 + 2))");
 * } catch (error) {
 *   if (error instanceof ExpressionSyntaxError) console.log(error.column); // 8
 * }
 * ```
 */
export class ExpressionSyntaxError extends Error {
  /** The whole expression text. */
  readonly source: string;
  /** 1-based column (in UTF-16 code units) where the problem starts. */
  readonly column: number;
  /** The problem without its place, e.g. `Unexpected ")"`. */
  readonly detail: string;

  /**
   * Creates the error for `detail` at `column` of `source`.
   *
   * @param source the whole expression text
   * @param column 1-based column of the problem
   * @param detail the problem, starting with a capital
   */
  constructor(source: string, column: number, detail: string) {
    super(`${detail} at column ${column}`);
    this.name = "ExpressionSyntaxError";
    this.source = source;
    this.column = column;
    this.detail = detail;
  }
}
