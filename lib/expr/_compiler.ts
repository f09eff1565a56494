/**
 * Turns a syntax tree into a tree of JavaScript closures, folding every
 * subexpression whose value cannot change (and the dead branch of a constant
 * condition) at compile time.
 *
 * @module
 */

import type {
  ArithmeticOperator,
  Binding,
  ComparisonOperator,
  Expr,
} from "./_ast.ts";
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
import { RANDOM_SOURCES, randomItems, type RandomSource } from "./random.ts";
import { isTruthy, items, type Value } from "./values.ts";
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
  /** Values of local (`for`/`where`) names at run time, one slot each. */
  readonly #locals: Value[] = [];
  /** Local names in scope while compiling, innermost last. */
  readonly #environment: Map<string, number>[] = [];
  /** How many compiled nodes read the scope (names, state, files). */
  #scopeReads = 0;
  /** The lowest local slot read since this was last reset. */
  #lowestSlotRead = Infinity;

  constructor(readonly source: string) {}

  #localSlot(name: string): number | undefined {
    for (let i = this.#environment.length - 1; i >= 0; i--) {
      const slot = this.#environment[i].get(name);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  #newSlot(): number {
    return this.#locals.push(null) - 1;
  }

  compile(expr: Expr): Compiled {
    switch (expr.kind) {
      case "literal":
        return constant(expr.value);
      case "name": {
        const name = expr.name;
        const slot = this.#localSlot(name);
        if (slot !== undefined) {
          if (slot < this.#lowestSlotRead) this.#lowestSlotRead = slot;
          const locals = this.#locals;
          return dynamic(() => locals[slot]);
        }
        this.names.add(name);
        this.#scopeReads++;
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
        if (
          expr.target.kind === "call" && RANDOM_SOURCES.has(expr.target.name) &&
          expr.target.args.length === 1
        ) {
          const source = expr.target.name as RandomSource;
          return this.#fold(
            [this.compile(expr.target.args[0]), this.compile(expr.index)],
            (seed, index) => randomItems(source, seed, index),
          );
        }
        return this.#fold(
          [this.compile(expr.target), this.compile(expr.index)],
          indexValue,
        );
      case "call":
        return this.#call(expr.name, expr.args, expr.column);
      case "for":
        return this.#loop(expr.body, expr.names, expr.source);
      case "where":
        return this.#where(expr.body, expr.bindings);
    }
  }

  /** `body for a;b in source`: the body's values for each group of items, composed. */
  #loop(bodyExpr: Expr, names: string[], sourceExpr: Expr): Compiled {
    const source = this.compile(sourceExpr);
    const slots = names.map(() => this.#newSlot());
    const readsBefore = this.#scopeReads;
    const lowestBefore = this.#lowestSlotRead;
    this.#lowestSlotRead = Infinity;
    this.#environment.push(new Map(names.map((name, i) => [name, slots[i]])));
    const body = this.compile(bodyExpr).evaluate;
    this.#environment.pop();
    const readsOuterLocals = this.#lowestSlotRead < slots[0];
    this.#lowestSlotRead = Math.min(lowestBefore, this.#lowestSlotRead);
    const locals = this.#locals;
    const evaluateSource = source.evaluate;
    const k = slots.length;
    const run = (scope: EvaluationScope): Value => {
      const list = items(evaluateSource(scope));
      const n = list.length;
      if (n === 0) return null;
      const parts = new Array<Value>(Math.ceil(n / k));
      for (let i = 0, p = 0; i < n; i += k, p++) {
        for (let j = 0; j < k; j++) {
          locals[slots[j]] = i + j < n ? list[i + j] : null;
        }
        parts[p] = body(scope);
      }
      return composeValues(parts);
    };
    if (
      source.constant && this.#scopeReads === readsBefore && !readsOuterLocals
    ) {
      return constant(run(NO_SCOPE));
    }
    return dynamic(run);
  }

  /** `body where a=1 b;c=v`: bindings in order, each seeing the ones before. */
  #where(bodyExpr: Expr, bindings: Binding[]): Compiled {
    const readsBefore = this.#scopeReads;
    const lowestBefore = this.#lowestSlotRead;
    const firstSlot = this.#locals.length;
    this.#lowestSlotRead = Infinity;
    const frame = new Map<string, number>();
    this.#environment.push(frame);
    const steps = bindings.map((binding) => {
      const value = this.compile(binding.value).evaluate;
      const slots = binding.names.map(() => this.#newSlot());
      binding.names.forEach((name, i) => frame.set(name, slots[i]));
      return { value, slots };
    });
    const body = this.compile(bodyExpr).evaluate;
    this.#environment.pop();
    const readsOuterLocals = this.#lowestSlotRead < firstSlot;
    this.#lowestSlotRead = Math.min(lowestBefore, this.#lowestSlotRead);
    const locals = this.#locals;
    const run = (scope: EvaluationScope): Value => {
      for (const { value, slots } of steps) {
        const bound = value(scope);
        if (slots.length === 1) {
          locals[slots[0]] = bound;
        } else {
          // Unpacking follows indexing: items wrap around; null binds null.
          const list = items(bound);
          for (let j = 0; j < slots.length; j++) {
            locals[slots[j]] = list.length === 0 ? null : list[j % list.length];
          }
        }
      }
      return body(scope);
    };
    if (this.#scopeReads === readsBefore && !readsOuterLocals) {
      return constant(run(NO_SCOPE));
    }
    return dynamic(run);
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
    this.#scopeReads++;
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
    if (!builtin.pure) {
      this.readsFiles = true;
      this.#scopeReads++;
    }
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
