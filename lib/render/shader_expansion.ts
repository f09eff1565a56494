/**
 * Expansion of a program node's custom `fragment=`/`vertex=` source through
 * Flitter's (Mako) templating ({@linkcode ShaderTemplate}): the values such
 * a template sees, a small cache of parsed templates, and when a node's
 * sources need building again ({@linkcode SourceInputs}).
 *
 * A template sees the node's attributes (symbols by name, vectors as
 * lists; not `fragment` and `vertex`), the frame's `time clock beat tempo
 * fps` where no attribute has the name, the node's `size` and `delta`
 * (beats since its previous frame), `alpha`, `gamma` and `passes` (1 when
 * absent), `composite` (the node's mode, by name) and `child_textures` (the
 * sampler names `texture0…N`).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { Value } from "../expr/values.ts";
import type { FrameInfo } from "../scene/node.ts";
import type { CompositeMode } from "./glsl_library.ts";
import { ShaderTemplate, type TemplateValue } from "./shader_template.ts";

/** What a node gives its templates besides its attributes. */
export interface ExpansionContext {
  /** The frame being rendered, or `null` before the first. */
  readonly frame: FrameInfo | null;
  /** The node's output width. */
  readonly width: number;
  /** The node's output height. */
  readonly height: number;
  /** Beats since the node's previous frame. */
  readonly beatDelta: number;
  /** The node's composite mode. */
  readonly composite: CompositeMode;
  /** Images the node samples (`child_textures` lists that many). */
  readonly childCount: number;
}

/**
 * `source` with its template expanded for `attrs` and `context`.
 *
 * @throws {import("./shader_template.ts").TemplateError} naming the line
 */
export function expandShaderSource(
  source: string,
  attrs: Attributes,
  context: ExpansionContext,
): string {
  const values = new Map<string, TemplateValue>();
  for (const [name, value] of attrs.entries()) {
    if (name === "fragment" || name === "vertex") continue;
    values.set(name, templateValue(value));
  }
  const frame = context.frame;
  if (frame !== null) {
    for (const name of ["time", "clock", "beat", "tempo", "fps"] as const) {
      if (!values.has(name)) values.set(name, frame[name]);
    }
  }
  values.set("size", [context.width, context.height]);
  values.set("delta", context.beatDelta);
  if (!values.has("alpha")) values.set("alpha", 1);
  if (!values.has("gamma")) values.set("gamma", 1);
  if (!values.has("passes")) values.set("passes", 1);
  values.set("composite", context.composite);
  values.set(
    "child_textures",
    Array.from({ length: context.childCount }, (_, i) => `texture${i}`),
  );
  return templateFor(source).render(values);
}

const templates = new Map<string, ShaderTemplate>();

/** The parsed template of `source` (a few are kept). */
function templateFor(source: string): ShaderTemplate {
  let template = templates.get(source);
  if (template === undefined) {
    template = new ShaderTemplate(source);
    templates.set(source, template);
    while (templates.size > 32) {
      templates.delete(templates.keys().next().value!);
    }
  }
  return template;
}

/** A scene value as a template value (symbols by name, vectors as lists). */
function templateValue(value: Value): TemplateValue {
  const convert = (item: Value): TemplateValue =>
    typeof item === "number" || typeof item === "string" || item === null
      ? item
      : Array.isArray(item)
      ? item.map((inner) => convert(inner as Value))
      : (item as { name: string }).name;
  return convert(value);
}

/**
 * The attribute values a node's program sources were built from:
 * `fragment=`, `vertex=`, `composite=` (or `blend=`) and the number of
 * inputs. Constant strings are the same objects every frame, so comparing
 * values tells whether the sources need building again; templated sources
 * may use any attribute, so those are {@linkcode forget}ed after each build.
 */
export class SourceInputs {
  #fragment: Value | undefined = undefined;
  #vertex: Value | undefined = undefined;
  #composite: Value | undefined = undefined;
  #children = -1;

  /**
   * Whether `attrs` and `childCount` are what the sources were built from;
   * remembers them either way.
   */
  update(attrs: Attributes, childCount: number): boolean {
    const fragment = attrs.get("fragment");
    const vertex = attrs.get("vertex");
    const composite = attrs.get("composite") ?? attrs.get("blend");
    if (
      this.#fragment === fragment && this.#vertex === vertex &&
      this.#composite === composite && this.#children === childCount
    ) return true;
    this.#fragment = fragment;
    this.#vertex = vertex;
    this.#composite = composite;
    this.#children = childCount;
    return false;
  }

  /** Makes the next {@linkcode update} say the sources need building. */
  forget(): void {
    this.#children = -1;
  }
}
