/**
 * A small subset of the Mako templates that Flitter runs shader sources
 * through, so Flitter's own templated shaders work unchanged:
 *
 * - `${expression}` substitutions,
 * - control lines `% for NAME in EXPR:` / `% endfor`,
 *   `% if EXPR:` / `% elif EXPR:` / `% else:` / `% endif`,
 * - `<%include file="composite_functions.glsl"/>` (the GLSL library's
 *   compositing functions), and `##` comments.
 *
 * This module reads the template's lines into blocks and renders them;
 * expressions are read by `template_expression.ts` and evaluated by
 * `template_evaluate.ts`. Inside a `for`, `loop.index`, `loop.first` and
 * `loop.last` are defined as in Mako. `${HEADER}` is left for the GLSL
 * translation.
 *
 * @module
 */

import { COMPOSITE_FUNCTIONS } from "./glsl_library.ts";
import {
  type Expr,
  parseExpression,
  TemplateError,
  type TemplateValue,
} from "./template_expression.ts";
import { evaluate, output, type Scope, truthy } from "./template_evaluate.ts";

export { TemplateError, type TemplateValue } from "./template_expression.ts";
export { formatTemplateValue } from "./template_evaluate.ts";

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
