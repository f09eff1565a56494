import { assert, assertEquals, assertNear, pixelAt } from "../_assert.ts";
import { DEFAULT_VERTEX_SOURCE, GLContext } from "../../lib/gl/context.ts";
import { ShaderProgram } from "../../lib/gl/shader.ts";
import { RenderTarget, Texture } from "../../lib/gl/texture.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import type { FrameInfo } from "../../lib/scene/node.ts";
import type { Value } from "../../lib/expr/values.ts";
import { PassInputs, UniformPlan } from "../../lib/render/uniform_plan.ts";

const FRAME: FrameInfo = {
  time: 0,
  clock: 0,
  frame: 0,
  fps: 30,
  beat: 0,
  tempo: 60,
  delta: 0,
  startedAt: 0,
};

/** Draws `program` with `plan` into a 1x1 raw target; its RGBA bytes. */
function drawPixel(
  gl: GLContext,
  program: ShaderProgram,
  plan: UniformPlan,
  inputs: PassInputs,
): number[] {
  const target = new RenderTarget(gl, 1, 1, "rgba8");
  try {
    program.use();
    gl.setBlend(false);
    inputs.width = target.width;
    inputs.height = target.height;
    plan.write(gl, program, inputs);
    target.bind();
    gl.drawQuad();
    return pixelAt(gl.readTarget(target), 1, 0, 0);
  } finally {
    target.destroy();
  }
}

function attributes(values: Record<string, Value>): Attributes {
  return new Attributes("test", new Map(Object.entries(values)));
}

Deno.test("a plan gives attribute, default, node and standard uniforms their values", () => {
  const gl = GLContext.create();
  const program = ShaderProgram.compile(
    gl,
    DEFAULT_VERTEX_SOURCE,
    `#version 330
out vec4 color;
uniform float side;
uniform vec2 spin;
uniform float missing;
uniform float computed;
uniform float pass;
uniform vec2 size;
void main() {
    color = vec4(side, spin.y, computed, missing * pass / 4.0 + size.x / 16.0);
}
`,
    "plan",
  );
  try {
    const written: string[] = [];
    const plan = new UniformPlan(
      program,
      new Set(["computed"]),
      { missing: [2] },
    );
    assert(!plan.usesLast && !plan.usesFirst, "samples neither last nor first");
    const inputs = new PassInputs((name, out) => {
      written.push(name);
      out[0] = 0.2;
    });
    inputs.frame = FRAME;
    // `computed` is the node's even though an attribute has that name.
    inputs.attrs = attributes({ side: 0.5, spin: [0.25, 0.75], computed: 1 });
    inputs.pass = 1;
    const pixel = drawPixel(gl, program, plan, inputs);
    // missing → its default 2: 2 * 1 / 4 + 1 / 16 = 0.5625
    assertNear(pixel, [128, 191, 51, 143], 1);
    assertEquals(written, ["computed"]);
  } finally {
    program.destroy();
    gl.destroy();
  }
});

Deno.test("a plan binds children, last and first, and zero for what is missing", () => {
  const gl = GLContext.create();
  const program = ShaderProgram.compile(
    gl,
    DEFAULT_VERTEX_SOURCE,
    `#version 330
in vec2 coord;
out vec4 color;
uniform sampler2D texture0;
uniform sampler2D texture1;
uniform sampler2D last;
uniform sampler2D first;
uniform sampler2D unknown;
void main() {
    color = vec4(texture(texture0, coord).r, texture(texture1, coord).g,
        texture(last, coord).b + texture(unknown, coord).b,
        texture(first, coord).a);
}
`,
    "samplers",
  );
  const solid = (rgba: number[]) => {
    const texture = new Texture(gl, 1, 1, "rgba8");
    texture.upload(new Uint8Array(rgba));
    return texture;
  };
  const child = solid([255, 0, 0, 255]);
  const previous = solid([0, 0, 255, 255]);
  const firstPass = solid([0, 0, 0, 128]);
  try {
    const plan = new UniformPlan(program, new Set(), {});
    assert(plan.usesLast && plan.usesFirst, "samples last and first");
    const inputs = new PassInputs(() => {});
    inputs.frame = FRAME;
    inputs.attrs = attributes({});
    inputs.textures.push(child); // texture1: no second child
    assertNear(drawPixel(gl, program, plan, inputs), [255, 0, 0, 0], 1);
    inputs.last = previous;
    inputs.first = firstPass;
    assertNear(drawPixel(gl, program, plan, inputs), [255, 0, 255, 128], 1);
  } finally {
    for (const texture of [child, previous, firstPass]) texture.destroy();
    program.destroy();
    gl.destroy();
  }
});

Deno.test("input sampling reads border=, repeat= and nearest=, else the node's default", () => {
  const inputs = new PassInputs(() => {});
  const sampling = inputs.sampling;
  let asked = 0;
  const fallback = () => {
    asked++;
    return {
      border: null,
      repeat: [false, false] as [boolean, boolean],
    };
  };
  sampling.read(attributes({ border: [1, 0, 0, 1], nearest: 1 }), fallback);
  assertEquals(sampling.border, [1, 0, 0, 1]);
  assertEquals(sampling.repeat, [false, false]);
  assertEquals(sampling.nearest, true);
  sampling.read(attributes({ repeat: [1, 0] }), fallback);
  assertEquals(sampling.border, null);
  assertEquals(sampling.repeat, [true, false]);
  assertEquals(sampling.nearest, false);
  sampling.read(attributes({ repeat: 1 }), fallback);
  assertEquals(sampling.repeat, [true, true]);
  assertEquals(asked, 0);
  sampling.read(attributes({}), fallback);
  assertEquals(asked, 1);
  assertEquals(sampling.border, null);
  assertEquals(sampling.repeat, [false, false]);
});
