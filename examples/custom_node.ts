/**
 * A render node kind added from a script: `!stripes` fills its image with
 * stripes (`count=` stripes across, `color=` and `background=` in linear RGB,
 * `angle=` in turns). It shows the whole node contract on the public API: a
 * kind is registered, scenes then use it like a built-in node (inside a
 * `!window`, under a `!transform`, recorded, sent through `!webrtc`), and the
 * script runs the usual command line.
 *
 *   deno run -A examples/custom_node.ts run examples/stripes.toml
 *
 * How a node lives (see `lib/scene/node.ts`): the engine creates it once
 * with {@linkcode RenderContext}, then every frame calls `prepare` with this
 * frame's attributes and what its parent passes down (returning what its
 * own children inherit), renders its children, then calls `render`; its
 * `output` texture is what the parent composites. `destroy` frees GL
 * objects when the node leaves the scene (work that must go on after it,
 * such as finishing a file, goes to `ctx.track`).
 *
 * @module
 */

import {
  type Attributes,
  DEFAULT_VERTEX_SOURCE,
  type Inherited,
  PassedDown,
  registerNodeKind,
  type RenderContext,
  RenderTarget,
  SceneNode,
  ShaderProgram,
  type Texture,
} from "../mod.ts";
import { main } from "../cli.ts";

const STRIPES_FRAGMENT = `#version 330
in vec2 coord;
out vec4 color;
uniform vec2 size;
uniform float count;
uniform float angle;
uniform vec3 stripe;
uniform vec3 background;
void main() {
    // Distance along the stripes' normal, in stripe widths.
    float turn = angle * 6.283185307179586;
    vec2 normal = vec2(cos(turn), sin(turn));
    float along = dot((coord - 0.5) * size, normal) / size.x * count;
    float inside = step(0.5, fract(along));
    color = vec4(mix(background, stripe, inside), 1.0);
}
`;

/** A `!stripes` node. */
export class StripesNode extends SceneNode {
  #target: RenderTarget | null = null;
  #program: ShaderProgram | null = null;
  readonly #passedDown = new PassedDown();
  #width = 1;
  #height = 1;
  #count = 8;
  #angle = 0;
  #stripe: number[] = [1, 1, 1];
  #background: number[] = [0, 0, 0];

  /** The stripes, once rendered. */
  override get output(): Texture | null {
    return this.#target?.texture ?? null;
  }

  /** Reads this frame's attributes; children (if any) inherit the node's size. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    const [width, height] = attrs.vector("size", 2, null) ?? inherited.size;
    this.#width = Math.max(1, Math.round(width));
    this.#height = Math.max(1, Math.round(height));
    this.#count = attrs.number("count", 8);
    this.#angle = attrs.number("angle", 0);
    this.#stripe = attrs.vector("color", 3, [1, 1, 1]);
    this.#background = attrs.vector("background", 3, [0, 0, 0]);
    return this.#passedDown.set(this.#width, this.#height, inherited.colorbits);
  }

  /** Draws the stripes into the node's image (16-bit float, like Flitter's default). */
  render(ctx: RenderContext): void {
    const gl = ctx.gl;
    if (this.#target === null) {
      this.#target = new RenderTarget(gl, this.#width, this.#height, "rgba16f");
    } else this.#target.resize(this.#width, this.#height);
    this.#program ??= ShaderProgram.compile(
      gl,
      DEFAULT_VERTEX_SOURCE,
      STRIPES_FRAGMENT,
      "!stripes",
    );
    const program = this.#program;
    program.use();
    program.set("size", [this.#width, this.#height]);
    program.set("count", this.#count);
    program.set("angle", this.#angle);
    program.set("stripe", this.#stripe);
    program.set("background", this.#background);
    gl.drawFullscreen(program, this.#target);
  }

  /** Frees the image and the program. */
  override destroy(): void {
    this.#target?.destroy();
    this.#program?.destroy();
    this.#target = null;
    this.#program = null;
  }
}

registerNodeKind({
  name: "stripes", // `!stripes` in scenes
  // Other attributes get the usual "unknown attribute" warning, with a hint.
  attributes: ["id", "hidden", "size", "count", "angle", "color", "background"],
  create: () => new StripesNode(),
});

if (import.meta.main) Deno.exit(await main(Deno.args));
