/**
 * Flitter-like expressions and their values.
 *
 * ```ts
 * import { compileExpression, formatValue } from "./mod.ts";
 * const expression = compileExpression("(1;2;3;4) + (10;20)");
 * console.log(expression.isConstant); // true
 * console.log(formatValue(expression.evaluate({
 *   lookup: () => undefined,
 *   state: () => null,
 *   readText: () => null,
 * }))); // 11;22;13;24
 * ```
 *
 * @module
 */

export {
  type CompiledExpression,
  compileExpression,
  type EvaluationScope,
} from "./expression.ts";
export { ExpressionSyntaxError } from "./syntax_error.ts";
export { type BuiltinFunction, BUILTINS, type FileReader } from "./builtins.ts";
export { randomItems, type RandomSource } from "./random.ts";
export {
  add,
  compareValues,
  composeValues,
  divide,
  equal,
  floorDivide,
  indexValue,
  modulo,
  multiply,
  negate,
  type NumberOperation,
  type Ordering,
  power,
  rangeValue,
  subtract,
  valuesIdentical,
} from "./operators.ts";
export {
  asNumber,
  asNumbers,
  asString,
  asSymbolName,
  asVector,
  FlitterSymbol,
  formatNumber,
  formatValue,
  fromBoolean,
  isTruthy,
  items,
  type Scalar,
  sym,
  type Value,
  valuesEqual,
  vectorOf,
} from "./values.ts";
