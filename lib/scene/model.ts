/**
 * The scene model: a validated tree of nodes whose attributes are constants
 * or compiled expressions. It is built once per load of a scene file and
 * evaluated every frame by the engine.
 *
 * Document shape (TOML or JSON): either an array of nodes, or a table with
 * `nodes` (array) and an optional `let` (names bound for expressions). A node
 * is a table with `kind` (`"shader"` or `"!shader"`), optional `children`,
 * optional `if`, and attributes. A string value starting with `:` is a
 * symbol, one starting with `=` an expression (`==` escapes a literal `=`).
 *
 * Kinds are looked up in the global registry, and below a kind with
 * `childKinds` in that registry (see `KindRegistry` in `node.ts`).
 *
 * @module
 */

import {
  type CompiledExpression,
  compileExpression,
  ExpressionSyntaxError,
} from "../expr/expression.ts";
import {
  FlitterSymbol,
  type Scalar,
  type Value,
  vectorOf,
} from "../expr/values.ts";
import {
  COMMON_ATTRIBUTES,
  type KindRegistry,
  NODE_KINDS,
  type NodeKind,
  ownersOfKind,
} from "./node.ts";
import { formatProblem, SceneError } from "./errors.ts";
import { didYouMean } from "./_suggest.ts";

/** An attribute's source: a constant, or an expression evaluated each frame. */
export type AttributeSource =
  | { readonly constant: true; readonly value: Value }
  | { readonly constant: false; readonly expression: CompiledExpression };

/** One node of a scene model. */
export interface NodeModel {
  /** Node kind without `!`. */
  readonly kind: string;
  /** The kind's registration (from the registry in force at the node's place). */
  readonly nodeKind: NodeKind;
  /** Tree path, e.g. `nodes[0].children[1]`. */
  readonly path: string;
  /** Attribute name → source (without `kind`, `children` and `if`). */
  readonly attributes: ReadonlyMap<string, AttributeSource>;
  /** Names of attributes that are expressions (re-evaluated each frame). */
  readonly dynamic: readonly string[];
  /** The `if` condition, or `null` when the node always exists. */
  readonly condition: AttributeSource | null;
  /** Child nodes, in order. */
  readonly children: readonly NodeModel[];
}

/** A loaded scene. */
export interface SceneModel {
  /** The scene file. */
  readonly file: string;
  /** Top-level nodes. */
  readonly nodes: readonly NodeModel[];
  /** `let` bindings, in order (later ones may use earlier ones). */
  readonly lets: ReadonlyArray<readonly [string, AttributeSource]>;
  /** Warnings found while loading (unknown attributes…), already formatted. */
  readonly warnings: readonly string[];
}

const RESERVED_KEYS = new Set(["kind", "children", "if"]);
const SYMBOL_PATTERN = /^:[A-Za-z_][A-Za-z0-9_]*$/;

/** Converts a `--define NAME=VALUE` value: a number if numeric, a symbol for `:name`, else text. */
export function parseDefineValue(text: string): Value {
  const trimmed = text.trim();
  if (trimmed !== "" && Number.isFinite(Number(trimmed))) {
    return Number(trimmed);
  }
  if (SYMBOL_PATTERN.test(trimmed)) return FlitterSymbol.for(trimmed.slice(1));
  return text;
}

/** Builds a scene model from parsed scene data; throws {@linkcode SceneError}. */
export function buildSceneModel(data: unknown, file: string): SceneModel {
  const warnings: string[] = [];
  let nodesData: unknown;
  let letData: unknown = undefined;
  if (Array.isArray(data)) {
    nodesData = data;
  } else if (isTable(data)) {
    for (const key of Object.keys(data)) {
      if (key !== "nodes" && key !== "let") {
        throw new SceneError(
          { file, path: key },
          `Unexpected top-level key "${key}"${
            didYouMean(key, ["nodes", "let"])
          } (a scene is an array of nodes, or a table with "nodes" and "let")`,
        );
      }
    }
    nodesData = data.nodes ?? [];
    letData = data.let;
  } else {
    throw new SceneError(
      { file },
      'A scene must be an array of nodes, or a table with "nodes" and optional "let"',
    );
  }
  if (!Array.isArray(nodesData)) {
    throw new SceneError({ file, path: "nodes" }, "Expected an array of nodes");
  }
  const lets: Array<readonly [string, AttributeSource]> = [];
  if (letData !== undefined) {
    if (!isTable(letData)) {
      throw new SceneError({ file, path: "let" }, "Expected a table of names");
    }
    for (const [name, raw] of Object.entries(letData)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new SceneError(
          { file, path: `let.${name}` },
          `"${name}" is not a valid name`,
        );
      }
      lets.push([name, attributeSource(raw, file, `let.${name}`)]);
    }
  }
  const nodes = buildNodes(nodesData, file, "nodes", warnings, NODE_KINDS);
  return { file, nodes, lets, warnings };
}

/** The nodes of `list` (at `path`), their kinds taken from `registry`. */
function buildNodes(
  list: readonly unknown[],
  file: string,
  path: string,
  warnings: string[],
  registry: KindRegistry,
): NodeModel[] {
  const nodes: NodeModel[] = [];
  list.forEach((data, index) => {
    const node = buildNode(data, file, `${path}[${index}]`, warnings, registry);
    if (node !== null) nodes.push(node);
  });
  return nodes;
}

/** One node, or `null` when its kind is unknown and that is only a warning. */
function buildNode(
  data: unknown,
  file: string,
  path: string,
  warnings: string[],
  registry: KindRegistry,
): NodeModel | null {
  if (!isTable(data)) {
    throw new SceneError(
      { file, path },
      'Expected a node (a table with "kind")',
    );
  }
  const rawKind = data.kind;
  if (typeof rawKind !== "string" || rawKind.replace(/^!/, "") === "") {
    throw new SceneError(
      { file, path: `${path}.kind` },
      rawKind === undefined
        ? 'Missing "kind" (e.g. kind = "!shader")'
        : `Expected the node kind as a string, got ${JSON.stringify(rawKind)}`,
    );
  }
  const kind = rawKind.replace(/^!/, "");
  const nodeKind = registry.get(kind);
  if (nodeKind === undefined) {
    const known = registry.names().map((name) => `!${name}`);
    const inside = registry.owner === null ? "" : ` inside !${registry.owner}`;
    // A near name here first; else where a kind of this name does exist.
    const owners = ownersOfKind(kind, registry);
    const hint = didYouMean(`!${kind}`, known) ||
      (owners.length > 0
        ? ` (it exists only inside ${
          owners.map((owner) => `!${owner}`).join(", ")
        })`
        : "");
    const problem = `Unknown node kind "!${kind}"${inside}${hint}`;
    if (!registry.unknownIsWarning) {
      throw new SceneError({ file, path: `${path}.kind` }, problem);
    }
    warnings.push(
      formatProblem({ file, path: `${path}.kind` }, `${problem} (left out)`),
    );
    return null;
  }
  const attributes = new Map<string, AttributeSource>();
  const dynamic: string[] = [];
  const known = [...COMMON_ATTRIBUTES, ...nodeKind.attributes];
  const open = nodeKind.openAttributes === true ||
    (nodeKind.openWith ?? []).some((name) => Object.hasOwn(data, name));
  for (const [name, raw] of Object.entries(data)) {
    if (RESERVED_KEYS.has(name)) continue;
    const source = attributeSource(raw, file, `${path}.${name}`);
    attributes.set(name, source);
    if (!source.constant) dynamic.push(name);
    if (!open && !known.includes(name)) {
      warnings.push(
        formatProblem(
          { file, path: `${path}.${name}` },
          `unknown attribute "${name}" of !${kind}${
            didYouMean(name, [...known, "children", "if"])
          }`,
        ),
      );
    }
  }
  const condition = data.if === undefined
    ? null
    : attributeSource(data.if, file, `${path}.if`);
  let children: NodeModel[] = [];
  if (data.children !== undefined) {
    if (!Array.isArray(data.children)) {
      throw new SceneError(
        { file, path: `${path}.children` },
        "Expected an array of nodes",
      );
    }
    children = buildNodes(
      data.children,
      file,
      `${path}.children`,
      warnings,
      nodeKind.childKinds ?? registry,
    );
  }
  return { kind, nodeKind, path, attributes, dynamic, condition, children };
}

/** Converts one raw attribute value (or `let` binding) to its source. */
export function attributeSource(
  raw: unknown,
  file: string,
  path: string,
): AttributeSource {
  if (typeof raw === "string" && raw.startsWith("=") && !raw.startsWith("==")) {
    try {
      const expression = compileExpression(raw.slice(1));
      if (expression.isConstant) {
        return { constant: true, value: expression.evaluate(EMPTY_SCOPE) };
      }
      return { constant: false, expression };
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) {
        throw new SceneError(
          { file, path, column: error.column + 1 },
          `Bad expression ${JSON.stringify(raw)}: ${error.detail}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  return { constant: true, value: constantValue(raw, file, path) };
}

const EMPTY_SCOPE = {
  lookup: () => undefined,
  state: () => null,
  readText: () => null,
};

function constantValue(raw: unknown, file: string, path: string): Value {
  if (raw === null) return null;
  if (Array.isArray(raw)) {
    const items: Scalar[] = raw.map((item, index) => {
      const value = scalarValue(item);
      if (value === undefined) {
        throw new SceneError(
          { file, path: `${path}[${index}]` },
          `Expected a number, string or boolean in a vector, got ${
            describe(item)
          }`,
        );
      }
      return value;
    });
    return vectorOf(items);
  }
  const value = scalarValue(raw);
  if (value === undefined) {
    throw new SceneError(
      { file, path },
      `Expected a number, string, boolean, null or vector, got ${
        describe(raw)
      }`,
    );
  }
  return value;
}

function scalarValue(raw: unknown): Scalar | undefined {
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") return Number(raw);
  if (typeof raw === "boolean") return raw ? 1 : 0;
  if (typeof raw === "string") {
    if (raw.startsWith("==")) return raw.slice(1);
    if (SYMBOL_PATTERN.test(raw)) return FlitterSymbol.for(raw.slice(1));
    return raw;
  }
  return undefined;
}

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return "a nested array";
  if (isTable(raw)) return "a table";
  return JSON.stringify(raw) ?? String(raw);
}

function isTable(data: unknown): data is Record<string, unknown> {
  return typeof data === "object" && data !== null && !Array.isArray(data) &&
    !(data instanceof Date);
}
