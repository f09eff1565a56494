/**
 * The expression language of shader templates (`${…}` substitutions and
 * the tests of `% for`/`% if` lines): Python-like expressions read into
 * {@linkcode Expr} trees, evaluated by `template_evaluate.ts`.
 *
 * Expressions are names, numbers, strings, `True`/`False`/`None`, lists
 * `[…]`, `x.attr`, `x[i]`, calls of named functions, arithmetic
 * (`+ - * / // % **`), comparisons (`in` and `not in` included), `not`,
 * `and`, `or`, and `a if c else b`, with Python's precedence.
 *
 * @module
 */

/** A template value: what expressions compute. */
export type TemplateValue =
  | number
  | string
  | boolean
  | null
  | readonly TemplateValue[]
  | { readonly [name: string]: TemplateValue };

/** A shader template could not be read or rendered. */
export class TemplateError extends Error {
  /**
   * @param line 1-based line of the template
   * @param problem what is wrong
   */
  constructor(readonly line: number, problem: string) {
    super(`Shader template line ${line}: ${problem}`);
    this.name = "TemplateError";
  }
}

/** A parsed expression. */
export type Expr =
  | { kind: "literal"; value: TemplateValue }
  | { kind: "name"; name: string }
  | { kind: "attr"; target: Expr; name: string }
  | { kind: "index"; target: Expr; index: Expr }
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "unary"; op: string; operand: Expr }
  | { kind: "binary"; op: string; left: Expr; right: Expr }
  | { kind: "conditional"; test: Expr; then: Expr; otherwise: Expr };

const TOKEN =
  /\s*(?:(\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_]\w*)|(==|!=|<=|>=|\/\/|\*\*|[-+*/%<>()[\],.]))/y;

function tokenize(text: string, line: number): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (match === null) {
      throw new TemplateError(
        line,
        `cannot read "${text.slice(position).trim()}"`,
      );
    }
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4]);
    position = TOKEN.lastIndex;
  }
  return tokens;
}

class ExpressionParser {
  #at = 0;
  constructor(readonly tokens: string[], readonly line: number) {}

  parse(): Expr {
    const expr = this.#conditional();
    if (this.#at < this.tokens.length) {
      this.#fail(`unexpected "${this.tokens[this.#at]}"`);
    }
    return expr;
  }

  #fail(problem: string): never {
    throw new TemplateError(this.line, problem);
  }

  #peek(): string | undefined {
    return this.tokens[this.#at];
  }

  #take(expected?: string): string {
    const token = this.tokens[this.#at];
    if (token === undefined) this.#fail("expression ends early");
    if (expected !== undefined && token !== expected) {
      this.#fail(`expected "${expected}", got "${token}"`);
    }
    this.#at++;
    return token;
  }

  #conditional(): Expr {
    const then = this.#or();
    if (this.#peek() === "if") {
      this.#take();
      const test = this.#or();
      this.#take("else");
      return {
        kind: "conditional",
        test,
        then,
        otherwise: this.#conditional(),
      };
    }
    return then;
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#peek() === "or") {
      this.#take();
      left = { kind: "binary", op: "or", left, right: this.#and() };
    }
    return left;
  }

  #and(): Expr {
    let left = this.#not();
    while (this.#peek() === "and") {
      this.#take();
      left = { kind: "binary", op: "and", left, right: this.#not() };
    }
    return left;
  }

  #not(): Expr {
    if (this.#peek() === "not") {
      this.#take();
      return { kind: "unary", op: "not", operand: this.#not() };
    }
    return this.#comparison();
  }

  #comparison(): Expr {
    let left = this.#sum();
    for (;;) {
      let op = this.#peek();
      if (op === "not" && this.tokens[this.#at + 1] === "in") {
        this.#take();
        op = "not in";
      } else if (
        op === undefined ||
        !["==", "!=", "<", ">", "<=", ">=", "in"].includes(op)
      ) return left;
      this.#take();
      left = { kind: "binary", op, left, right: this.#sum() };
    }
  }

  #sum(): Expr {
    let left = this.#product();
    while (this.#peek() === "+" || this.#peek() === "-") {
      const op = this.#take();
      left = { kind: "binary", op, left, right: this.#product() };
    }
    return left;
  }

  #product(): Expr {
    let left = this.#unary();
    while (["*", "/", "//", "%"].includes(this.#peek() ?? "")) {
      const op = this.#take();
      left = { kind: "binary", op, left, right: this.#unary() };
    }
    return left;
  }

  #unary(): Expr {
    if (this.#peek() === "-" || this.#peek() === "+") {
      const op = this.#take();
      return { kind: "unary", op, operand: this.#unary() };
    }
    return this.#power();
  }

  #power(): Expr {
    const base = this.#postfix();
    if (this.#peek() === "**") {
      this.#take();
      return { kind: "binary", op: "**", left: base, right: this.#unary() };
    }
    return base;
  }

  #postfix(): Expr {
    let expr = this.#primary();
    for (;;) {
      const token = this.#peek();
      if (token === ".") {
        this.#take();
        expr = { kind: "attr", target: expr, name: this.#take() };
      } else if (token === "[") {
        this.#take();
        const index = this.#conditional();
        this.#take("]");
        expr = { kind: "index", target: expr, index };
      } else if (token === "(" && expr.kind === "name") {
        this.#take();
        const args: Expr[] = [];
        while (this.#peek() !== ")") {
          args.push(this.#conditional());
          if (this.#peek() === ",") this.#take();
          else break;
        }
        this.#take(")");
        expr = { kind: "call", name: expr.name, args };
      } else return expr;
    }
  }

  #primary(): Expr {
    const token = this.#take();
    if (token === "(") {
      const inner = this.#conditional();
      this.#take(")");
      return inner;
    }
    if (token === "[") {
      const items: Expr[] = [];
      while (this.#peek() !== "]") {
        items.push(this.#conditional());
        if (this.#peek() === ",") this.#take();
        else break;
      }
      this.#take("]");
      return { kind: "call", name: "__list__", args: items };
    }
    if (/^[\d.]/.test(token)) return { kind: "literal", value: Number(token) };
    if (token[0] === "'" || token[0] === '"') {
      return {
        kind: "literal",
        value: token.slice(1, -1).replace(/\\(.)/g, "$1"),
      };
    }
    if (token === "True") return { kind: "literal", value: true };
    if (token === "False") return { kind: "literal", value: false };
    if (token === "None") return { kind: "literal", value: null };
    if (/^[A-Za-z_]/.test(token)) return { kind: "name", name: token };
    this.#fail(`unexpected "${token}"`);
  }
}

/** `text` (on template line `line`) read as an expression. */
export function parseExpression(text: string, line: number): Expr {
  return new ExpressionParser(tokenize(text, line), line).parse();
}
