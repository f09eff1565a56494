/**
 * Evaluation of shader-template expressions ({@linkcode Expr}) with
 * Python's meaning, as Mako gives them: truth, arithmetic on numbers (and
 * numeric strings), `+` joining strings, `==` comparing values, `in`, and
 * the functions `len range int float str round abs min max`; values print
 * as Python's `str()` does (`True`, `None`, `[1, 2]`, `float(1)` as `1.0`).
 *
 * @module
 */

import { isTruthy } from "../expr/values.ts";
import {
  type Expr,
  TemplateError,
  type TemplateValue,
} from "./template_expression.ts";

/** Names → values an expression is evaluated with. */
export type Scope = Map<string, TemplateValue>;

/**
 * Truth in a template: Flitter's ({@linkcode isTruthy}) for null, numbers,
 * strings and lists (a scene vector becomes a list: `0;0` is false, as a
 * Flitter vector is in Flitter's own Mako templates); `True`/`False` as they
 * are; a mapping (`loop`) when it has entries.
 */
export function truthy(value: TemplateValue): boolean {
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return (value as TemplateValue[]).some(truthy);
  if (value !== null && typeof value === "object") {
    return Object.keys(value).length > 0;
  }
  if (typeof value === "string" && value.startsWith(FLOAT_MARK)) {
    return isTruthy(Number(value.slice(FLOAT_MARK.length)));
  }
  return isTruthy(value as number | string | null);
}

function asNumber(value: TemplateValue, line: number): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.startsWith(FLOAT_MARK)) {
    return Number(value.slice(FLOAT_MARK.length));
  }
  if (
    typeof value === "string" && value.trim() !== "" &&
    Number.isFinite(Number(value))
  ) return Number(value);
  throw new TemplateError(
    line,
    `expected a number, got ${JSON.stringify(value)}`,
  );
}

/** Python's `str()` of a value, as Mako writes it. */
export function formatTemplateValue(value: TemplateValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    return `[${value.map(formatTemplateValue).join(", ")}]`;
  }
  return JSON.stringify(value);
}

/**
 * The value of `expr` in `scope`.
 *
 * @throws {TemplateError} naming template line `line`
 */
export function evaluate(
  expr: Expr,
  scope: Scope,
  line: number,
): TemplateValue {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "name": {
      if (!scope.has(expr.name)) {
        throw new TemplateError(line, `"${expr.name}" is not defined`);
      }
      return scope.get(expr.name)!;
    }
    case "attr": {
      const target = evaluate(expr.target, scope, line);
      if (
        target !== null && typeof target === "object" &&
        !Array.isArray(target) && expr.name in target
      ) {
        return (target as Record<string, TemplateValue>)[expr.name];
      }
      throw new TemplateError(line, `no attribute "${expr.name}"`);
    }
    case "index": {
      const target = evaluate(expr.target, scope, line);
      const index = asNumber(evaluate(expr.index, scope, line), line);
      const list = typeof target === "string"
        ? [...target]
        : Array.isArray(target)
        ? target
        : [target];
      const at = index < 0 ? list.length + index : index;
      if (!Number.isInteger(at) || at < 0 || at >= list.length) {
        throw new TemplateError(line, `index ${index} out of range`);
      }
      return list[at] as TemplateValue;
    }
    case "call": {
      const args = expr.args.map((arg) => evaluate(arg, scope, line));
      return call(expr.name, args, line);
    }
    case "unary": {
      const operand = evaluate(expr.operand, scope, line);
      if (expr.op === "not") return !truthy(operand);
      const number = asNumber(operand, line);
      return expr.op === "-" ? -number : number;
    }
    case "conditional":
      return truthy(evaluate(expr.test, scope, line))
        ? evaluate(expr.then, scope, line)
        : evaluate(expr.otherwise, scope, line);
    case "binary": {
      if (expr.op === "and") {
        const left = evaluate(expr.left, scope, line);
        return truthy(left) ? evaluate(expr.right, scope, line) : left;
      }
      if (expr.op === "or") {
        const left = evaluate(expr.left, scope, line);
        return truthy(left) ? left : evaluate(expr.right, scope, line);
      }
      const left = evaluate(expr.left, scope, line);
      const right = evaluate(expr.right, scope, line);
      switch (expr.op) {
        case "==":
          return JSON.stringify(left) === JSON.stringify(right);
        case "!=":
          return JSON.stringify(left) !== JSON.stringify(right);
        case "in":
        case "not in": {
          const found = Array.isArray(right)
            ? right.some((item) =>
              JSON.stringify(item) === JSON.stringify(left)
            )
            : typeof right === "string" && typeof left === "string" &&
              right.includes(left);
          return expr.op === "in" ? found : !found;
        }
        case "+":
          if (typeof left === "string" && typeof right === "string") {
            return left + right;
          }
          return asNumber(left, line) + asNumber(right, line);
      }
      const a = asNumber(left, line), b = asNumber(right, line);
      switch (expr.op) {
        case "<":
          return a < b;
        case ">":
          return a > b;
        case "<=":
          return a <= b;
        case ">=":
          return a >= b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          return a / b;
        case "//":
          return Math.floor(a / b);
        case "%":
          return ((a % b) + b) % b;
        case "**":
          return a ** b;
      }
      throw new TemplateError(line, `unknown operator "${expr.op}"`);
    }
  }
}

const FLOAT_MARK = "\u0000float:";

function call(
  name: string,
  args: TemplateValue[],
  line: number,
): TemplateValue {
  const one = () => {
    if (args.length !== 1) {
      throw new TemplateError(line, `${name}() takes one argument`);
    }
    return args[0];
  };
  switch (name) {
    case "__list__":
      return args;
    case "range": {
      const [from, to] = args.length >= 2
        ? [asNumber(args[0], line), asNumber(args[1], line)]
        : [0, asNumber(one(), line)];
      return Array.from(
        { length: Math.max(0, Math.floor(to - from)) },
        (_, i) => from + i,
      );
    }
    case "len": {
      const value = one();
      if (Array.isArray(value) || typeof value === "string") {
        return value.length;
      }
      return value === null ? 0 : 1;
    }
    case "int":
      return Math.trunc(asNumber(one(), line));
    case "float": {
      // Marked so that `${float(x)}` prints like Python (`1.0`).
      const number = asNumber(one(), line);
      return `${FLOAT_MARK}${
        Number.isInteger(number) ? number.toFixed(1) : String(number)
      }`;
    }
    case "str":
      return formatTemplateValue(one());
    case "round":
      return Math.round(
        asNumber(args[0], line) *
          10 ** (args[1] === undefined ? 0 : asNumber(args[1], line)),
      ) /
        10 ** (args[1] === undefined ? 0 : asNumber(args[1], line));
    case "abs":
      return Math.abs(asNumber(one(), line));
    case "min":
    case "max": {
      const list = args.length === 1 && Array.isArray(args[0])
        ? args[0] as TemplateValue[]
        : args;
      const numbers = list.map((value) => asNumber(value, line));
      return name === "min" ? Math.min(...numbers) : Math.max(...numbers);
    }
  }
  throw new TemplateError(line, `unknown function "${name}"`);
}

/** A value as a substitution writes it into the template's output. */
export function output(value: TemplateValue): string {
  if (typeof value === "string" && value.startsWith(FLOAT_MARK)) {
    return value.slice(FLOAT_MARK.length);
  }
  return formatTemplateValue(value);
}
