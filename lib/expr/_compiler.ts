/**
 * Turns a syntax tree into a tree of JavaScript closures, folding every
 * subexpression whose value cannot change (and the dead branch of a constant
 * condition) at compile time.
 *
 * @module
 */

import type { ArithmeticOperator, ComparisonOperator, Expr } from "./_ast.ts";
import { BUILTINS } from "./builtins.ts";
import type { EvaluationScope } from "./expression.ts";
import {
  add,
  composeValues,
  divide,
  equal,
  floorDivide,
  greaterOrEqual,
  greaterThan,
  indexValue,
  lessOrEqual,
  lessThan,
  modulo,
  multiply,
  negate,
  notEqual,
  positive,
  power,
  rangeValue,
  subtract,
} from "./operators.ts";
import { isTruthy, type Value } from "./values.ts";
import { getLogger } from "../log/logger.ts";

const log = getLogger("expr");

/** Evaluates one compiled node. */
export type Evaluator = (scope: EvaluationScope) => Value;

/** A compiled node: a closure, and its value when it is constant. */
interface Compiled {
  readonly evaluate: Evaluator;
  readonly constant: boolean;
  readonly value: Value;
}

/** What a whole expression reads, gathered while compiling. */
export interface CompiledTree {
  readonly evaluate: Evaluator;
  readonly constant: boolean;
  readonly names: Set<string>;
  readonly usesState: boolean;
  readonly readsFiles: boolean;
}

type BinaryOperation = (a: Value, b: Value) => Value;

const ARITHMETIC: Record<ArithmeticOperator, BinaryOperation> = {
  "+": add,
  "-": subtract,
  "*": multiply,
  "/": divide,
  "//": floorDivide,
  "%": modulo,
  "**": power,
};

const COMPARISON: Record<ComparisonOperator, BinaryOperation> = {
  "==": equal,
  "!=": notEqual,
  "<": lessThan,
  ">": greaterThan,
  "<=": lessOrEqual,
  ">=": greaterOrEqual,
};

/** A scope for folding constants: they never consult it. */
const NO_SCOPE: EvaluationScope = {
  lookup: () => undefined,
  state: () => null,
  readText: () => null,
};

function constant(value: Value): Compiled {
  return { evaluate: () => value, constant: true, value };
}

function dynamic(evaluate: Evaluator): Compiled {
  return { evaluate, constant: false, value: null };
}

/** Restores the invariant that one item is bare and none is null. */
function normalize(value: Value | undefined): Value {
  if (value === undefined) return null;
  if (Array.isArray(value) && value.length < 2) {
    return value.length === 0 ? null : value[0];
  }
  return value;
}

/** Compiles a syntax tree for `source` (used in warnings). */
export function compileTree(tree: Expr, source: string): CompiledTree {
  const compiler = new Compiler(source);
  const root = compiler.compile(tree);
  return {
    evaluate: root.evaluate,
    constant: root.constant,
    names: compiler.names,
    usesState: compiler.usesState,
    readsFiles: compiler.readsFiles,
  };
}

class Compiler {
  readonly names = new Set<string>();
  usesState = false;
  readsFiles = false;

  constructor(readonly source: string) {}

  compile(expr: Expr): Compiled {
    switch (expr.kind) {
      case "literal":
        return constant(expr.value);
      case "name": {
        const name = expr.name;
        this.names.add(name);
        return dynamic((scope) => normalize(scope.lookup(name)));
      }
      case "state":
        return this.#state(expr.key);
      case "compose":
        return this.#compose(expr.parts);
      case "if":
        return this.#conditional(expr.condition, expr.then, expr.otherwise);
      case "and":
      case "or":
        return this.#logical(expr.kind, expr.left, expr.right);
      case "xor":
        return this.#fold(
          [this.compile(expr.left), this.compile(expr.right)],
          (x, y) => !isTruthy(x) ? y : !isTruthy(y) ? x : 0,
        );
      case "not":
        return this.#fold(
          [this.compile(expr.operand)],
          (x) => isTruthy(x) ? 0 : 1,
        );
      case "compare":
        return this.#fold(
          [this.compile(expr.left), this.compile(expr.right)],
          COMPARISON[expr.operator],
        );
      case "arithmetic":
        return this.#fold(
          [this.compile(expr.left), this.compile(expr.right)],
          ARITHMETIC[expr.operator],
        );
      case "negate":
        return this.#fold([this.compile(expr.operand)], negate);
      case "positive":
        return this.#fold([this.compile(expr.operand)], positive);
      case "range":
        return this.#fold(
          [
            expr.start === null ? constant(null) : this.compile(expr.start),
            this.compile(expr.stop),
            expr.step === null ? constant(null) : this.compile(expr.step),
          ],
          rangeValue,
        );
      case "index":
        return this.#fold(
          [this.compile(expr.target), this.compile(expr.index)],
          indexValue,
        );
      case "call":
        return this.#call(expr.name, expr.args, expr.column);
    }
  }

  /**
   * Applies a pure operation to compiled operands: folded when all are
   * constant, otherwise a closure specialised for 1–3 operands.
   */
  #fold(
    operands: Compiled[],
    operation: (...values: Value[]) => Value,
  ): Compiled {
    if (operands.every((operand) => operand.constant)) {
      return constant(operation(...operands.map((operand) => operand.value)));
    }
    if (operands.length === 1) {
      const f = operation as (x: Value) => Value;
      const a = operands[0].evaluate;
      return dynamic((scope) => f(a(scope)));
    }
    if (operands.length === 2) {
      const f = operation as (x: Value, y: Value) => Value;
      const [left, right] = operands;
      if (right.constant) {
        const b = right.value;
        const a = left.evaluate;
        return dynamic((scope) => f(a(scope), b));
      }
      if (left.constant) {
        const a = left.value;
        const b = right.evaluate;
        return dynamic((scope) => f(a, b(scope)));
      }
      const a = left.evaluate;
      const b = right.evaluate;
      return dynamic((scope) => f(a(scope), b(scope)));
    }
    const f = operation as (x: Value, y: Value, z: Value) => Value;
    const [a, b, c] = operands.map((operand) => operand.evaluate);
    return dynamic((scope) => f(a(scope), b(scope), c(scope)));
  }

  #state(keyExpr: Expr): Compiled {
    const key = this.compile(keyExpr);
    if (key.constant && key.value === null) return constant(null);
    this.usesState = true;
    if (key.constant) {
      const k = key.value;
      return dynamic((scope) => normalize(scope.state(k)));
    }
    const evaluateKey = key.evaluate;
    return dynamic((scope) => {
      const k = evaluateKey(scope);
      return k === null ? null : normalize(scope.state(k));
    });
  }

  #compose(parts: Expr[]): Compiled {
    const compiled = parts.map((part) => this.compile(part));
    if (compiled.every((part) => part.constant)) {
      return constant(composeValues(compiled.map((part) => part.value)));
    }
    const evaluators = compiled.map((part) => part.evaluate);
    const n = evaluators.length;
    const values = new Array<Value>(n);
    return dynamic((scope) => {
      for (let i = 0; i < n; i++) values[i] = evaluators[i](scope);
      return composeValues(values);
    });
  }

  #conditional(
    conditionExpr: Expr,
    thenExpr: Expr,
    otherwiseExpr: Expr | null,
  ): Compiled {
    const condition = this.compile(conditionExpr);
    if (condition.constant) {
      if (isTruthy(condition.value)) return this.compile(thenExpr);
      return otherwiseExpr === null
        ? constant(null)
        : this.compile(otherwiseExpr);
    }
    const test = condition.evaluate;
    const then = this.compile(thenExpr).evaluate;
    const otherwise = otherwiseExpr === null
      ? () => null
      : this.compile(otherwiseExpr).evaluate;
    return dynamic((scope) =>
      isTruthy(test(scope)) ? then(scope) : otherwise(scope)
    );
  }

  #logical(kind: "and" | "or", leftExpr: Expr, rightExpr: Expr): Compiled {
    const left = this.compile(leftExpr);
    if (left.constant) {
      // `and` keeps a false left side; `or` keeps a true one.
      if (isTruthy(left.value) === (kind === "or")) return left;
      return this.compile(rightExpr);
    }
    const a = left.evaluate;
    const b = this.compile(rightExpr).evaluate;
    if (kind === "and") {
      return dynamic((scope) => {
        const x = a(scope);
        return isTruthy(x) ? b(scope) : x;
      });
    }
    return dynamic((scope) => {
      const x = a(scope);
      return isTruthy(x) ? x : b(scope);
    });
  }

  #call(name: string, argExprs: Expr[], column: number): Compiled {
    const builtin = BUILTINS.get(name);
    if (builtin === undefined) {
      log.warn(
        `Unknown function "${name}" at column ${column} of "${this.source}": its value is null`,
      );
      return constant(null);
    }
    if (
      argExprs.length < builtin.minArgs || argExprs.length > builtin.maxArgs
    ) {
      const expected = builtin.minArgs === builtin.maxArgs
        ? `${builtin.minArgs}`
        : builtin.maxArgs === Infinity
        ? `at least ${builtin.minArgs}`
        : `${builtin.minArgs} to ${builtin.maxArgs}`;
      log.warn(
        `${name}() at column ${column} of "${this.source}" takes ${expected} argument(s), got ${argExprs.length}: its value is null`,
      );
      return constant(null);
    }
    if (!builtin.pure) this.readsFiles = true;
    const args = argExprs.map((arg) => this.compile(arg));
    if (builtin.pure && args.every((arg) => arg.constant)) {
      return constant(
        normalize(builtin.call(args.map((arg) => arg.value), NO_SCOPE)),
      );
    }
    if (builtin.unary !== undefined && args.length === 1) {
      const f = builtin.unary;
      const a = args[0].evaluate;
      return dynamic((scope) => f(a(scope)));
    }
    const evaluators = args.map((arg) => arg.evaluate);
    const n = evaluators.length;
    const values = new Array<Value>(n);
    return dynamic((scope) => {
      for (let i = 0; i < n; i++) values[i] = evaluators[i](scope);
      return normalize(builtin.call(values, scope));
    });
  }
}
