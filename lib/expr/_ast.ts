/**
 * The syntax tree of an expression, as the parser builds it.
 *
 * @module
 */

import type { Value } from "./values.ts";

/** Binary operators that work item by item on numbers. */
export type ArithmeticOperator = "+" | "-" | "*" | "/" | "//" | "%" | "**";

/** Comparison operators: they compare whole vectors and give 1, 0 or null. */
export type ComparisonOperator = "==" | "!=" | "<" | ">" | "<=" | ">=";

/** One node of the syntax tree; `column` is where it was written. */
export type Expr =
  | { kind: "literal"; value: Value; column: number }
  | { kind: "name"; name: string; column: number }
  | { kind: "state"; key: Expr; column: number }
  | { kind: "compose"; parts: Expr[]; column: number }
  | {
    kind: "if";
    condition: Expr;
    then: Expr;
    otherwise: Expr | null;
    column: number;
  }
  | { kind: "and" | "or" | "xor"; left: Expr; right: Expr; column: number }
  | { kind: "not"; operand: Expr; column: number }
  | {
    kind: "compare";
    operator: ComparisonOperator;
    left: Expr;
    right: Expr;
    column: number;
  }
  | {
    kind: "range";
    start: Expr | null;
    stop: Expr;
    step: Expr | null;
    column: number;
  }
  | {
    kind: "arithmetic";
    operator: ArithmeticOperator;
    left: Expr;
    right: Expr;
    column: number;
  }
  | { kind: "negate" | "positive"; operand: Expr; column: number }
  | { kind: "index"; target: Expr; index: Expr; column: number }
  | { kind: "call"; name: string; args: Expr[]; column: number }
  | {
    kind: "for";
    body: Expr;
    names: string[];
    source: Expr;
    column: number;
  }
  | { kind: "where"; body: Expr; bindings: Binding[]; column: number };

/** `name` or `name;name…` bound to a value (in `where`). */
export interface Binding {
  names: string[];
  value: Expr;
}
