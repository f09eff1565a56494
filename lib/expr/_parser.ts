/**
 * A recursive-descent parser for Flitter's expression grammar.
 *
 * Precedence, lowest first (as in Flitter's `grammar.lark`):
 *
 * 1. `a;b;c` vector composition
 * 2. `body for x in xs` and `body where x=1 y=2` (local names)
 * 3. `x if c else y` (the `else` part is optional: null)
 * 4. `or`, `xor`
 * 5. `and`
 * 6. `not`
 * 7. `==` `!=` `<` `>` `<=` `>=` (left-associative)
 * 8. `start..stop|step` ranges (`start` and `|step` optional)
 * 9. `+` `-`
 * 10. `*` `/` `//` `%`
 * 11. unary `-` `+`
 * 12. `**` (left-associative, like Flitter; its right side may be unary)
 * 13. calls `f(a, b)` and indexing `v[i]`
 * 14. literals, names, `$key` state look-ups, `( … )`
 *
 * @module
 */

import type {
  ArithmeticOperator,
  Binding,
  ComparisonOperator,
  Expr,
} from "./_ast.ts";
import { type Token, tokenize } from "./_lexer.ts";
import { ExpressionSyntaxError } from "./syntax_error.ts";
import { FlitterSymbol } from "./values.ts";

const KEYWORDS = new Set([
  "if",
  "else",
  "or",
  "xor",
  "and",
  "not",
  "for",
  "in",
  "where",
]);
const COMPARISONS = new Set(["==", "!=", "<", ">", "<=", ">="]);
const PRODUCTS = new Set(["*", "/", "//", "%"]);

/** Parses `source` into a syntax tree; throws {@linkcode ExpressionSyntaxError}. */
export function parse(source: string): Expr {
  return new Parser(source).parseAll();
}

class Parser {
  readonly #source: string;
  readonly #tokens: Token[];
  #position = 0;

  constructor(source: string) {
    this.#source = source;
    this.#tokens = tokenize(source);
  }

  parseAll(): Expr {
    const expr = this.#composition();
    if (this.#peek().kind !== "end") this.#unexpected(this.#peek());
    return expr;
  }

  #peek(): Token {
    return this.#tokens[this.#position];
  }

  #next(): Token {
    return this.#tokens[this.#position++];
  }

  #isOp(text: string): boolean {
    const token = this.#peek();
    return token.kind === "op" && token.text === text;
  }

  #isKeyword(text: string): boolean {
    const token = this.#peek();
    return token.kind === "name" && token.text === text;
  }

  #unexpected(token: Token): never {
    const detail = token.kind === "end"
      ? "Unexpected end of expression"
      : token.kind === "string"
      ? `Unexpected string ${token.raw}`
      : `Unexpected "${token.raw}"`;
    throw new ExpressionSyntaxError(this.#source, token.column, detail);
  }

  /** `a;b;c` */
  #composition(): Expr {
    const first = this.#comprehension();
    if (!this.#isOp(";")) return first;
    const parts = [first];
    while (this.#isOp(";")) {
      this.#next();
      parts.push(this.#comprehension());
    }
    return { kind: "compose", parts, column: first.column };
  }

  /** `body for x;y in xs`, `body where x=1 y;z=v` */
  #comprehension(): Expr {
    let body = this.#conditional();
    for (;;) {
      if (this.#isKeyword("for")) {
        const column = this.#next().column;
        const names = this.#nameList();
        if (!this.#isKeyword("in")) this.#unexpected(this.#peek());
        this.#next();
        const source = this.#conditional();
        body = { kind: "for", body, names, source, column };
      } else if (this.#isKeyword("where")) {
        const column = this.#next().column;
        const bindings: Binding[] = [];
        do {
          const names = this.#nameList();
          if (!this.#isOp("=")) this.#unexpected(this.#peek());
          this.#next();
          bindings.push({ names, value: this.#conditional() });
        } while (this.#startsBinding());
        body = { kind: "where", body, bindings, column };
      } else {
        return body;
      }
    }
  }

  /** `name` or `name;name…` */
  #nameList(): string[] {
    const names = [this.#name()];
    while (this.#isOp(";") && this.#isName(this.#tokens[this.#position + 1])) {
      this.#next();
      names.push(this.#name());
    }
    return names;
  }

  #name(): string {
    const token = this.#peek();
    if (!this.#isName(token)) this.#unexpected(token);
    this.#next();
    return token.text;
  }

  #isName(token: Token | undefined): boolean {
    return token !== undefined && token.kind === "name" &&
      !KEYWORDS.has(token.text);
  }

  /** Whether the next tokens are `name(;name)* =`. */
  #startsBinding(): boolean {
    let i = this.#position;
    if (!this.#isName(this.#tokens[i])) return false;
    i++;
    for (;;) {
      const token = this.#tokens[i];
      if (token.kind !== "op") return false;
      if (token.text === "=") return true;
      if (token.text !== ";" || !this.#isName(this.#tokens[i + 1])) {
        return false;
      }
      i += 2;
    }
  }

  /** `x if c else y` */
  #conditional(): Expr {
    const then = this.#or();
    if (!this.#isKeyword("if")) return then;
    const column = this.#next().column;
    const condition = this.#or();
    let otherwise: Expr | null = null;
    if (this.#isKeyword("else")) {
      this.#next();
      otherwise = this.#conditional();
    }
    return { kind: "if", condition, then, otherwise, column };
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#isKeyword("or") || this.#isKeyword("xor")) {
      const token = this.#next();
      const right = this.#and();
      left = {
        kind: token.text === "or" ? "or" : "xor",
        left,
        right,
        column: token.column,
      };
    }
    return left;
  }

  #and(): Expr {
    let left = this.#not();
    while (this.#isKeyword("and")) {
      const column = this.#next().column;
      left = { kind: "and", left, right: this.#not(), column };
    }
    return left;
  }

  #not(): Expr {
    if (this.#isKeyword("not")) {
      const column = this.#next().column;
      return { kind: "not", operand: this.#not(), column };
    }
    return this.#comparison();
  }

  #comparison(): Expr {
    let left = this.#range();
    for (;;) {
      const token = this.#peek();
      if (token.kind !== "op" || !COMPARISONS.has(token.text)) return left;
      this.#next();
      left = {
        kind: "compare",
        operator: token.text as ComparisonOperator,
        left,
        right: this.#range(),
        column: token.column,
      };
    }
  }

  /** `start..stop|step`, `..stop` */
  #range(): Expr {
    let start: Expr | null = null;
    let column: number;
    if (this.#isOp("..")) {
      column = this.#peek().column;
    } else {
      start = this.#sum();
      if (!this.#isOp("..")) return start;
      column = start.column;
    }
    this.#next();
    const stop = this.#sum();
    let step: Expr | null = null;
    if (this.#isOp("|")) {
      this.#next();
      step = this.#sum();
    }
    return { kind: "range", start, stop, step, column };
  }

  #sum(): Expr {
    let left = this.#product();
    while (this.#isOp("+") || this.#isOp("-")) {
      const token = this.#next();
      left = {
        kind: "arithmetic",
        operator: token.text as ArithmeticOperator,
        left,
        right: this.#product(),
        column: token.column,
      };
    }
    return left;
  }

  #product(): Expr {
    let left = this.#unary();
    for (;;) {
      const token = this.#peek();
      if (token.kind !== "op" || !PRODUCTS.has(token.text)) return left;
      this.#next();
      left = {
        kind: "arithmetic",
        operator: token.text as ArithmeticOperator,
        left,
        right: this.#unary(),
        column: token.column,
      };
    }
  }

  #unary(): Expr {
    if (this.#isOp("-") || this.#isOp("+")) {
      const token = this.#next();
      return {
        kind: token.text === "-" ? "negate" : "positive",
        operand: this.#unary(),
        column: token.column,
      };
    }
    return this.#power();
  }

  #power(): Expr {
    let left = this.#postfix();
    while (this.#isOp("**")) {
      const column = this.#next().column;
      // Flitter only allows a call here; a sign (`2 ** -1`) is a harmless extension.
      const right = this.#isOp("-") || this.#isOp("+")
        ? this.#unary()
        : this.#postfix();
      left = { kind: "arithmetic", operator: "**", left, right, column };
    }
    return left;
  }

  #postfix(): Expr {
    const bare = !this.#isOp("(");
    let expr = this.#atom();
    for (;;) {
      if (this.#isOp("(")) {
        const open = this.#peek();
        if (expr.kind !== "name" || !bare) {
          throw new ExpressionSyntaxError(
            this.#source,
            open.column,
            `Expected a function name before "("`,
          );
        }
        this.#next();
        const args: Expr[] = [];
        if (!this.#isOp(")")) {
          args.push(this.#composition());
          while (this.#isOp(",")) {
            this.#next();
            args.push(this.#composition());
          }
        }
        if (!this.#isOp(")")) this.#unexpected(this.#peek());
        this.#next();
        expr = { kind: "call", name: expr.name, args, column: expr.column };
      } else if (this.#isOp("[")) {
        const column = this.#next().column;
        const index = this.#composition();
        if (!this.#isOp("]")) this.#unexpected(this.#peek());
        this.#next();
        expr = { kind: "index", target: expr, index, column };
      } else {
        return expr;
      }
    }
  }

  #atom(): Expr {
    const token = this.#peek();
    switch (token.kind) {
      case "number":
        this.#next();
        return { kind: "literal", value: token.number, column: token.column };
      case "string":
        this.#next();
        return { kind: "literal", value: token.text, column: token.column };
      case "symbol":
        this.#next();
        return {
          kind: "literal",
          value: FlitterSymbol.for(token.text),
          column: token.column,
        };
      case "name": {
        if (KEYWORDS.has(token.text)) this.#unexpected(token);
        this.#next();
        if (token.text === "true") {
          return { kind: "literal", value: 1, column: token.column };
        }
        if (token.text === "false") {
          return { kind: "literal", value: 0, column: token.column };
        }
        if (token.text === "null") {
          return { kind: "literal", value: null, column: token.column };
        }
        return { kind: "name", name: token.text, column: token.column };
      }
      case "op":
        if (token.text === "(") {
          this.#next();
          const inner = this.#composition();
          if (!this.#isOp(")")) this.#unexpected(this.#peek());
          this.#next();
          return inner;
        }
        if (token.text === "$") {
          this.#next();
          return { kind: "state", key: this.#atom(), column: token.column };
        }
        return this.#unexpected(token);
      default:
        return this.#unexpected(token);
    }
  }
}
