/**
 * A small subset of the Mako templates that Flitter runs shader sources
 * through, so Flitter's own templated shaders work unchanged:
 *
 * - `${expression}` substitutions,
 * - control lines `% for NAME in EXPR:` / `% endfor`,
 *   `% if EXPR:` / `% elif EXPR:` / `% else:` / `% endif`,
 * - `<%include file="composite_functions.glsl"/>`, and `##` comments.
 *
 * Expressions: names (`child_textures`, `composite`, `HEADER`, the node's
 * attributes and standard values), numbers, strings, `x.attr`, `x[i]`,
 * calls of `len range int float str round abs min max`, arithmetic, comparisons,
 * `not`, `and`, `or`, and `a if c else b`. Inside a `for`, `loop.index`,
 * `loop.first` and `loop.last` are defined as in Mako. `${HEADER}` is left
 * for the GLSL translation.
 *
 * @module
 */

import { isTruthy } from "../expr/values.ts";
import { COMPOSITE_FUNCTIONS } from "./glsl_library.ts";

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

/** Files `<%include file="…"/>` may name. */
const INCLUDES: Record<string, string> = {
  "composite_functions.glsl": COMPOSITE_FUNCTIONS,
};

/** Whether `source` uses template syntax beyond a `${HEADER}` line. */
export function isTemplate(source: string): boolean {
  if (/^[ \t]*%(?!%)/m.test(source) || source.includes("<%")) return true;
  const substitutions = source.match(/\$\{[^}]*\}/g);
  return substitutions !== null &&
    substitutions.some((text) => text !== "${HEADER}");
}

// ---------------------------------------------------------------------------
// Expressions.

type Expr =
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

function parseExpression(text: string, line: number): Expr {
  return new ExpressionParser(tokenize(text, line), line).parse();
}

type Scope = Map<string, TemplateValue>;

/**
 * Truth in a template: Flitter's ({@linkcode isTruthy}) for null, numbers,
 * strings and lists (a scene vector becomes a list: `0;0` is false, as a
 * Flitter vector is in Flitter's own Mako templates); `True`/`False` as they
 * are; a mapping (`loop`) when it has entries.
 */
function truthy(value: TemplateValue): boolean {
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

function evaluate(expr: Expr, scope: Scope, line: number): TemplateValue {
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

function output(value: TemplateValue): string {
  if (typeof value === "string" && value.startsWith(FLOAT_MARK)) {
    return value.slice(FLOAT_MARK.length);
  }
  return formatTemplateValue(value);
}

// ---------------------------------------------------------------------------
// Template structure.

type Node =
  | { kind: "text"; parts: (string | { expr: Expr; line: number })[] }
  | { kind: "for"; name: string; iterable: Expr; body: Node[]; line: number }
  | {
    kind: "if";
    branches: { test: Expr | null; body: Node[] }[];
    line: number;
  };

/** A parsed template; render it with {@linkcode ShaderTemplate.render}. */
export class ShaderTemplate {
  readonly #nodes: Node[];

  /** @throws {TemplateError} for malformed control lines or expressions */
  constructor(readonly source: string) {
    this.#nodes = parseTemplate(source);
  }

  /**
   * The GLSL text for `values` (names → values; `HEADER` is predefined and
   * stays `${HEADER}`).
   *
   * @throws {TemplateError} naming the template line
   */
  render(values: ReadonlyMap<string, TemplateValue>): string {
    const scope: Scope = new Map(values);
    if (!scope.has("HEADER")) scope.set("HEADER", "${HEADER}");
    const out: string[] = [];
    renderNodes(this.#nodes, scope, out);
    return out.join("");
  }
}

function parseTemplate(source: string): Node[] {
  const root: Node[] = [];
  const stack: { nodes: Node[]; block: Node | null; line: number }[] = [{
    nodes: root,
    block: null,
    line: 0,
  }];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const text = lines[i];
    const newline = i < lines.length - 1 ? "\n" : "";
    const top = stack[stack.length - 1];
    const control = /^\s*%(?!%)\s*(.*?)\s*$/.exec(text);
    if (control !== null) {
      const statement = control[1];
      let match: RegExpExecArray | null;
      if ((match = /^for\s+([A-Za-z_]\w*)\s+in\s+(.+):$/.exec(statement))) {
        const node: Node = {
          kind: "for",
          name: match[1],
          iterable: parseExpression(match[2], line),
          body: [],
          line,
        };
        top.nodes.push(node);
        stack.push({ nodes: node.body, block: node, line });
      } else if ((match = /^if\s+(.+):$/.exec(statement))) {
        const node: Node = {
          kind: "if",
          branches: [{ test: parseExpression(match[1], line), body: [] }],
          line,
        };
        top.nodes.push(node);
        stack.push({ nodes: node.branches[0].body, block: node, line });
      } else if (
        (match = /^elif\s+(.+):$/.exec(statement)) ||
        /^else\s*:$/.test(statement)
      ) {
        if (top.block === null || top.block.kind !== "if") {
          throw new TemplateError(line, `"${statement}" without "% if"`);
        }
        const branch = {
          test: match ? parseExpression(match[1], line) : null,
          body: [] as Node[],
        };
        top.block.branches.push(branch);
        top.nodes = branch.body;
      } else if (/^endfor$/.test(statement) || /^endif$/.test(statement)) {
        const kind = statement === "endfor" ? "for" : "if";
        if (top.block === null || top.block.kind !== kind) {
          throw new TemplateError(
            line,
            `"% ${statement}" does not close a "% ${kind}"`,
          );
        }
        stack.pop();
      } else {throw new TemplateError(
          line,
          `unsupported control line "% ${statement}"`,
        );}
      continue;
    }
    if (/^\s*##/.test(text)) continue;
    const include = /^\s*<%include\s+file\s*=\s*["']([^"']+)["']\s*\/>\s*$/
      .exec(text);
    if (include !== null) {
      const included = INCLUDES[include[1]];
      if (included === undefined) {
        throw new TemplateError(line, `cannot include "${include[1]}"`);
      }
      top.nodes.push({ kind: "text", parts: [included + newline] });
      continue;
    }
    if (text.includes("<%")) {
      throw new TemplateError(line, "unsupported template tag");
    }
    top.nodes.push({
      kind: "text",
      parts: parseSubstitutions(text + newline, line),
    });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1];
    throw new TemplateError(
      open.line,
      `"% ${open.block!.kind}" is never closed`,
    );
  }
  return root;
}

function parseSubstitutions(
  text: string,
  line: number,
): (string | { expr: Expr; line: number })[] {
  const parts: (string | { expr: Expr; line: number })[] = [];
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf("${", position);
    if (start < 0) {
      parts.push(text.slice(position));
      break;
    }
    const end = text.indexOf("}", start);
    if (end < 0) throw new TemplateError(line, `"\${" without "}"`);
    parts.push(text.slice(position, start));
    parts.push({
      expr: parseExpression(text.slice(start + 2, end), line),
      line,
    });
    position = end + 1;
  }
  return parts;
}

function renderNodes(nodes: Node[], scope: Scope, out: string[]): void {
  for (const node of nodes) {
    if (node.kind === "text") {
      for (const part of node.parts) {
        out.push(
          typeof part === "string"
            ? part
            : output(evaluate(part.expr, scope, part.line)),
        );
      }
    } else if (node.kind === "for") {
      const iterable = evaluate(node.iterable, scope, node.line);
      const items: TemplateValue[] = Array.isArray(iterable)
        ? [...iterable]
        : typeof iterable === "number"
        ? []
        : iterable === null
        ? []
        : [iterable];
      const savedName = scope.get(node.name);
      const hadName = scope.has(node.name);
      const savedLoop = scope.get("loop");
      const hadLoop = scope.has("loop");
      items.forEach((item, index) => {
        scope.set(node.name, item);
        scope.set("loop", {
          index,
          first: index === 0,
          last: index === items.length - 1,
        });
        renderNodes(node.body, scope, out);
      });
      if (hadName) scope.set(node.name, savedName!);
      else scope.delete(node.name);
      if (hadLoop) scope.set("loop", savedLoop!);
      else scope.delete("loop");
    } else {
      for (const branch of node.branches) {
        if (
          branch.test === null ||
          truthy(evaluate(branch.test, scope, node.line))
        ) {
          renderNodes(branch.body, scope, out);
          break;
        }
      }
    }
  }
}
