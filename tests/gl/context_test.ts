import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
  pixelAt,
} from "../_assert.ts";
import {
  DEFAULT_VERTEX_SOURCE,
  GLContext,
  RenderTarget,
  ShaderError,
  ShaderProgram,
  Texture,
  translateShaderSource,
} from "../../lib/gl/mod.ts";

const SOLID = `#version 330
in vec2 coord;
out vec4 color;
uniform vec4 fill;
void main() {
    color = fill;
}
`;

function near(
  actual: ArrayLike<number>,
  expected: number[],
  tolerance = 2,
): boolean {
  return expected.every((value, i) => Math.abs(actual[i] - value) <= tolerance);
}

Deno.test("a solid colour drawn into each target format reads back as sRGB bytes", () => {
  const ctx = GLContext.create();
  try {
    const program = ShaderProgram.compile(
      ctx,
      DEFAULT_VERTEX_SOURCE,
      SOLID,
      "solid",
    );
    for (const format of ["srgb8", "rgba16f", "rgba32f"] as const) {
      const target = new RenderTarget(ctx, 8, 8, format);
      program.use();
      program.set("fill", [0.5, 0.25, 1, 1]);
      ctx.drawFullscreen(program, target);
      const rgba = ctx.readTarget(target);
      // Linear 0.5 and 0.25 are sRGB 188 and 137.
      assert(
        near(pixelAt(rgba, 8, 3, 3), [188, 137, 255, 255]),
        `${format}: ${pixelAt(rgba, 8, 3, 3)}`,
      );
      target.destroy();
    }
    const raw = new RenderTarget(ctx, 8, 8, "rgba8");
    program.use();
    program.set("fill", [0.5, 0.25, 1, 1]);
    ctx.drawFullscreen(program, raw);
    assert(near(pixelAt(ctx.readTarget(raw), 8, 0, 0), [128, 64, 255, 255]));
    assertEquals(ctx.checkError(), null);
  } finally {
    ctx.destroy();
  }
});

Deno.test("read-back puts the top row first unless asked for GL order", () => {
  const ctx = GLContext.create();
  try {
    const program = ShaderProgram.compile(
      ctx,
      DEFAULT_VERTEX_SOURCE,
      "${HEADER}\nin vec2 coord;\nout vec4 color;\nvoid main() { color = coord.y > 0.5 ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 0.0, 1.0, 1.0); }\n",
    );
    const target = new RenderTarget(ctx, 4, 4, "srgb8");
    ctx.drawFullscreen(program, target);
    const upright = ctx.readTarget(target, new Uint8Array(64));
    assertEquals(pixelAt(upright, 4, 0, 0), [255, 0, 0, 255]);
    assertEquals(pixelAt(upright, 4, 0, 3), [0, 0, 255, 255]);
    const glOrder = ctx.readTarget(target, undefined, { flip: false });
    assertEquals(pixelAt(glOrder, 4, 0, 0), [0, 0, 255, 255]);
  } finally {
    ctx.destroy();
  }
});

Deno.test("three R8 planes of odd width upload and combine in a shader", () => {
  const ctx = GLContext.create();
  try {
    const width = 5, height = 3;
    const planes = [10, 128, 250].map((value) => {
      const texture = new Texture(ctx, width, height, "r8");
      texture.upload(new Uint8Array(width * height).fill(value));
      return texture;
    });
    const program = ShaderProgram.compile(
      ctx,
      DEFAULT_VERTEX_SOURCE,
      `#version 330
in vec2 coord;
out vec4 color;
uniform sampler2D y;
uniform sampler2D u;
uniform sampler2D v;
void main() { color = vec4(texture(y, coord).r, texture(u, coord).r, texture(v, coord).r, 1.0); }
`,
    );
    const target = new RenderTarget(ctx, width, height, "rgba8");
    program.use();
    ["y", "u", "v"].forEach((name, unit) => {
      program.set(name, unit);
      ctx.bindTexture(unit, planes[unit].id);
    });
    ctx.drawFullscreen(program, target);
    const rgba = ctx.readTarget(target);
    assert(
      near(pixelAt(rgba, width, 4, 2), [10, 128, 250, 255], 1),
      `${pixelAt(rgba, width, 4, 2)}`,
    );
    assertEquals(ctx.checkError(), null);
  } finally {
    ctx.destroy();
  }
});

Deno.test("a shader error names the stage and the line of the user's source", () => {
  const ctx = GLContext.create();
  try {
    const source =
      "// a comment before the header\n${HEADER}\n\nin vec2 coord;\nout vec4 color;\nvoid main() {\n    color = vec4(undefined_name);\n}\n";
    const error = assertThrows(() =>
      ShaderProgram.compile(ctx, DEFAULT_VERTEX_SOURCE, source, "test.frag")
    );
    assertInstanceOf(error, ShaderError);
    assertEquals(error.stage, "fragment");
    assertEquals(error.line, 7);
    assert(error.message.includes("test.frag"), error.message);
    assert(error.log.includes("undefined_name"), error.log);
    const vertexError = assertThrows(() =>
      ShaderProgram.compile(
        ctx,
        "#version 330\nvoid main() {\n  gl_Position = nope;\n}\n",
        SOLID,
      )
    );
    assertInstanceOf(vertexError, ShaderError);
    assertEquals(vertexError.stage, "vertex");
    assertEquals(vertexError.line, 3);
    // Each stage compiles, but they disagree: the link fails, with its log.
    const linkError = assertThrows(() =>
      ShaderProgram.compile(
        ctx,
        "#version 330\nin vec2 position;\nout float v;\nvoid main() {\n  v = 1.0;\n  gl_Position = vec4(position, 0.0, 1.0);\n}\n",
        "#version 330\nin vec2 v;\nout vec4 color;\nvoid main() {\n  color = vec4(v, 0.0, 1.0);\n}\n",
        "test.link",
      )
    );
    assertInstanceOf(linkError, ShaderError);
    assertEquals(linkError.stage, "link");
    assert(linkError.log.length > 0, "no link log");
    assert(linkError.message.includes("test.link"), linkError.message);
  } finally {
    ctx.destroy();
  }
});

Deno.test("desktop GLSL headers become GLSL ES and uniform initialisers become defaults", () => {
  const translated = translateShaderSource(
    "#version 330 core\nuniform float alpha = 1;\nuniform vec2 offset = vec2(0.5, 2.0);\n",
  );
  assert(/^#version 3[01]0 es\n/.test(translated.source), translated.source);
  assert(translated.source.includes("precision highp float;"));
  assert(
    translated.source.includes("#line 2\nuniform float alpha;"),
    translated.source,
  );
  assertEquals(translated.defaults.get("alpha"), [1]);
  assertEquals(translated.defaults.get("offset"), [0.5, 2]);
  const bare = translateShaderSource("void main() {}\n");
  assert(bare.source.includes("#line 1\nvoid main"), bare.source);
});

Deno.test("two contexts live side by side and each draws after makeCurrent", () => {
  const first = GLContext.create();
  const second = GLContext.create();
  try {
    const draw = (ctx: GLContext, fill: number[]) => {
      ctx.makeCurrent();
      const program = ShaderProgram.compile(ctx, DEFAULT_VERTEX_SOURCE, SOLID);
      const target = new RenderTarget(ctx, 2, 2, "rgba8");
      program.use();
      program.set("fill", fill);
      ctx.drawFullscreen(program, target);
      return pixelAt(ctx.readTarget(target), 2, 0, 0);
    };
    assertEquals(draw(first, [1, 0, 0, 1]), [255, 0, 0, 255]);
    assertEquals(draw(second, [0, 1, 0, 1]), [0, 255, 0, 255]);
    second.destroy();
    // Destroying the second context must leave the first usable.
    assertEquals(draw(first, [0, 0, 1, 1]), [0, 0, 255, 255]);
  } finally {
    second.destroy();
    first.destroy();
  }
});

Deno.test("the EGL device platform gives a working context when asked for", () => {
  Deno.env.set("FLITTER_EGL_PLATFORM", "device");
  let ctx: GLContext;
  try {
    ctx = GLContext.create();
  } finally {
    Deno.env.delete("FLITTER_EGL_PLATFORM");
  }
  try {
    assertEquals(ctx.platform, "device");
    const program = ShaderProgram.compile(ctx, DEFAULT_VERTEX_SOURCE, SOLID);
    const target = new RenderTarget(ctx, 2, 2, "srgb8");
    program.use();
    program.set("fill", [1, 1, 0, 1]);
    ctx.drawFullscreen(program, target);
    assertEquals(pixelAt(ctx.readTarget(target), 2, 1, 1), [255, 255, 0, 255]);
  } finally {
    ctx.destroy();
  }
});

Deno.test("an upload reaches its own texture even when another unit is active", () => {
  const ctx = GLContext.create();
  try {
    const size = 4;
    const fill = (value: number) => new Uint8Array(size * size * 4).fill(value);
    const edited = new Texture(ctx, size, size, "rgba8");
    const bystander = new Texture(ctx, size, size, "rgba8");
    bystander.upload(fill(200));
    edited.upload(fill(10));
    // Draw-style binding moves the active unit; `edited` stays bound on the
    // scratch unit, so the next upload finds it bound already.
    ctx.bindTexture(3, bystander.id);
    edited.upload(fill(90));
    const editedPixels = ctx.readTarget(edited, undefined, { flip: false });
    const bystanderPixels = ctx.readTarget(bystander, undefined, {
      flip: false,
    });
    assertEquals([...editedPixels.subarray(0, 4)], [90, 90, 90, 90]);
    assertEquals([...bystanderPixels.subarray(0, 4)], [200, 200, 200, 200]);
    edited.destroy();
    bystander.destroy();
  } finally {
    ctx.destroy();
  }
});

const BUSY = `#version 330
in vec2 coord;
out vec4 color;
uniform vec4 fill;
void main() {
    float x = coord.x;
    for (int i = 0; i < 100; i++) x = fract(sin(x * 12.9898 + float(i)) * 43758.5453);
    color = fill + vec4(x * 0.0001);
}
`;

/** `glClientWaitSync`'s answer while the fence is not signalled yet. */
const TIMEOUT_EXPIRED = 0x911b;

Deno.test("gpuIdle lets timers run while the GPU works and resolves once the drawing is done", async () => {
  const ctx = GLContext.create();
  const gl = ctx.gl;
  try {
    const program = ShaderProgram.compile(
      ctx,
      DEFAULT_VERTEX_SOURCE,
      BUSY,
      "busy",
    );
    const target = new RenderTarget(ctx, 512, 512, "srgb8");
    program.use();
    program.set("fill", [0.5, 0.25, 1, 1]);
    ctx.drawFullscreen(program, target);
    // Each poll of the fence: what the GPU answered, and how many timers
    // had run by then. However fast the GPU, the first poll is answered
    // "not yet" (the real answer is kept for the record): the test sees a
    // busy GPU on any machine, and that a timer queued before the wait
    // runs before the next poll.
    const polls: { status: number; timersRan: number }[] = [];
    let timersRan = 0;
    const realWait = gl.glClientWaitSync;
    (ctx as { gl: typeof gl }).gl = new Proxy(gl, {
      get(target, name, receiver) {
        if (name !== "glClientWaitSync") {
          return Reflect.get(target, name, receiver);
        }
        return (...args: Parameters<typeof realWait>) => {
          const status = realWait(...args);
          polls.push({ status, timersRan });
          return polls.length === 1 ? TIMEOUT_EXPIRED : status;
        };
      },
    });
    setTimeout(() => timersRan++, 0);
    const finished = await ctx.gpuIdle(60_000);
    assert(finished, "the fence was signalled");
    assert(polls.length >= 2, `polled ${polls.length} time(s)`);
    assertEquals(polls[0].timersRan, 0);
    // The thread was free while the GPU worked: the timer ran in between.
    assertEquals(polls[1].timersRan, 1);
    // It resolved on the GPU's own "done", and only then.
    assert(polls.at(-1)!.status !== TIMEOUT_EXPIRED);
    assert(
      polls.slice(1, -1).every((poll) => poll.status === TIMEOUT_EXPIRED),
      JSON.stringify(polls),
    );
    (ctx as { gl: typeof gl }).gl = gl;
    const rgba = ctx.readTarget(target);
    assert(near(pixelAt(rgba, 512, 256, 256), [188, 137, 255, 255]));
    assertEquals(ctx.checkError(), null);
    target.destroy();
  } finally {
    (ctx as { gl: typeof gl }).gl = gl;
    ctx.destroy();
  }
});
