import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNear,
  pixelAt,
} from "../_assert.ts";
import { ShaderError } from "../../lib/gl/shader.ts";
import { cachedProgramCount } from "../../lib/render/program_cache.ts";
import { expectedBytes, FILL_SHADER, TestScene } from "./_harness.ts";

const over = (s: number[], d: number[]) =>
  s.map((v, i) => v + d[i] * (1 - s[3]));
const MODES: Record<string, (s: number[], d: number[]) => number[]> = {
  over,
  dest_over: (s, d) => s.map((v, i) => v * (1 - d[3]) + d[i]),
  lighten: (s, d) => s.map((v, i) => Math.max(v, d[i])),
  darken: (s, d) => s.map((v, i) => Math.min(v, d[i])),
  add: (
    s,
    d,
  ) => [s[0] + d[0], s[1] + d[1], s[2] + d[2], Math.min(s[3] + d[3], 1)],
  difference: (
    s,
    d,
  ) => [
    Math.abs(d[0] - s[0]),
    Math.abs(d[1] - s[1]),
    Math.abs(d[2] - s[2]),
    Math.max(s[3], d[3]),
  ],
  multiply: (s, d) => s.map((v, i) => v * d[i]),
};

Deno.test("a shader node fills its window with a colour given as a custom uniform", async () => {
  const scene = new TestScene([
    {
      kind: "window",
      attrs: { size: [16, 8] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0.5, 0.25, 1, 1] },
      }],
    },
  ]);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    const { width, height, data } = scene.read([0]);
    assertEquals([width, height], [16, 8]);
    assertNear(pixelAt(data, width, 3, 5), expectedBytes([0.5, 0.25, 1, 1]));
    assertNear(pixelAt(data, width, 15, 0), expectedBytes([0.5, 0.25, 1, 1]));
  } finally {
    await scene.destroy();
  }
});

for (const [mode, combine] of Object.entries(MODES)) {
  Deno.test(`composite=:${mode} combines two children as Flitter does`, async () => {
    const below = [0.5, 0.25, 0.0, 0.5];
    const above = [0.25, 0.125, 0.375, 0.5];
    const scene = new TestScene([
      {
        kind: "offscreen",
        attrs: { size: [4, 4], colorbits: 32, composite: mode },
        children: [
          { kind: "shader", attrs: { fragment: FILL_SHADER, fill: below } },
          { kind: "shader", attrs: { fragment: FILL_SHADER, fill: above } },
        ],
      },
    ]);
    try {
      scene.render();
      assertEquals(scene.errors, []);
      const { data } = scene.read([0]);
      assertNear(
        pixelAt(data, 4, 1, 1),
        expectedBytes(combine(above, below)),
        2,
        mode,
      );
    } finally {
      await scene.destroy();
    }
  });
}

Deno.test("alpha= scales the default composite and hidden children are left out", async () => {
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 4], alpha: 0.5 },
      children: [
        {
          kind: "shader",
          attrs: { fragment: FILL_SHADER, fill: [0, 1, 0, 1] },
        },
        {
          kind: "shader",
          attrs: { fragment: FILL_SHADER, fill: [1, 0, 0, 1], hidden: 1 },
        },
      ],
    },
  ]);
  try {
    scene.render();
    const { data } = scene.read([0]);
    assertNear(pixelAt(data, 4, 2, 2), expectedBytes([0, 0.5, 0, 0.5]));
  } finally {
    await scene.destroy();
  }
});

Deno.test("standard uniforms carry the size, beat, tempo, fps and pass count", async () => {
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform vec2 size;
uniform float beat;
uniform float tempo;
uniform int fps;
uniform int passes;
void main() {
    color = vec4(size.x / 100.0, beat / 10.0, tempo / 240.0, float(fps) / 100.0 + float(passes) / 1000.0);
}
`;
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [20, 10], colorbits: 32 },
      children: [{ kind: "shader", attrs: { fragment } }],
    },
  ]);
  try {
    scene.render();
    scene.render();
    scene.render(); // beat 2 during this frame
    const { data } = scene.read([0]);
    assertNear(
      pixelAt(data, 20, 0, 0),
      expectedBytes([0.2, 0.2, 0.25, 0.301]),
      2,
    );
  } finally {
    await scene.destroy();
  }
});

Deno.test("custom uniforms of every shape are set from attributes, missing ones are zero", async () => {
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float gain;
uniform vec2 pair;
uniform int count;
uniform bool on;
uniform float weights[3];
uniform mat2 mixing;
uniform float missing;
void main() {
    if (coord.x < 0.5) {
        color = vec4(gain, pair.y, float(count) / 10.0, on ? 1.0 : 0.0);
    } else {
        color = vec4(weights[2], mixing[1][0], missing, 1.0);
    }
}
`;
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 2], colorbits: 32 },
      children: [{
        kind: "shader",
        attrs: {
          fragment,
          gain: 0.25,
          pair: [0.1, 0.5],
          count: 3,
          on: 1,
          weights: [0.1, 0.2, 0.75],
          mixing: [0, 0, 0.125, 0],
        },
      }],
    },
  ]);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    const { data } = scene.read([0]);
    assertNear(pixelAt(data, 4, 0, 0), expectedBytes([0.25, 0.5, 0.3, 1]));
    assertNear(pixelAt(data, 4, 3, 0), expectedBytes([0.75, 0.125, 0, 1]));
    scene.set([0, 0], "gain", 1);
    scene.set([0, 0], "on", 0);
    scene.render();
    assertNear(
      pixelAt(scene.read([0]).data, 4, 0, 0),
      expectedBytes([1, 0.5, 0.3, 0]),
    );
  } finally {
    await scene.destroy();
  }
});

Deno.test("the last sampler gives each frame the node's previous output", async () => {
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform sampler2D last;
void main() {
    color = texture(last, coord) + vec4(0.125, 0.0, 0.0, 0.25);
}
`;
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8], colorbits: 32 },
      children: [{ kind: "shader", attrs: { fragment } }],
    },
  ]);
  try {
    for (let i = 0; i < 3; i++) scene.render();
    assertNear(
      pixelAt(scene.read([0, 0]).data, 8, 4, 4),
      expectedBytes([0.375, 0, 0, 0.75]),
    );
    scene.render();
    assertNear(
      pixelAt(scene.read([0, 0]).data, 8, 4, 4),
      expectedBytes([0.5, 0, 0, 1]),
    );
  } finally {
    await scene.destroy();
  }
});

Deno.test("passes= runs the program repeatedly with pass, last and first", async () => {
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform int pass;
uniform sampler2D last;
uniform sampler2D first;
void main() {
    if (pass == 0) {
        color = vec4(0.0, 0.0, 0.5, 1.0);
    } else {
        color = vec4(texture(last, coord).r + 0.25, 0.0, texture(first, coord).b, 1.0);
    }
}
`;
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8], colorbits: 32 },
      children: [{ kind: "shader", attrs: { fragment, passes: 4 } }],
    },
  ]);
  try {
    scene.render();
    scene.render(); // the previous frame must not leak into pass 0
    assertEquals(scene.errors, []);
    assertNear(
      pixelAt(scene.read([0]).data, 8, 2, 2),
      expectedBytes([0.75, 0, 0.5, 1]),
    );
  } finally {
    await scene.destroy();
  }
});

Deno.test("a reference shows another node's output, even from another tree", async () => {
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8], id: "source" },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0.25, 0.5, 0.75, 1] },
      }],
    },
    {
      kind: "window",
      attrs: { size: [8, 8] },
      children: [{ kind: "reference", attrs: { id: "source" } }],
    },
    {
      kind: "window",
      attrs: { size: [8, 8] },
      children: [{ kind: "reference", attrs: { id: "nothing" } }],
    },
  ]);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    assertNear(
      pixelAt(scene.read([1]).data, 8, 3, 3),
      expectedBytes([0.25, 0.5, 0.75, 1]),
    );
    assertNear(pixelAt(scene.read([2]).data, 8, 3, 3), [0, 0, 0, 0], 0);
  } finally {
    await scene.destroy();
  }
});

/** A white 8x8 square just above the centre of a 64x64 image (GL y up). */
const MARKER = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform vec2 size;
void main() {
    vec2 p = coord * size;
    color = p.x >= 28.0 && p.x < 36.0 && p.y >= 44.0 && p.y < 52.0 ? vec4(1.0) : vec4(0.0);
}
`;

function transformScene(attrs: Record<string, number | number[]>): TestScene {
  return new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [64, 64] },
      children: [{
        kind: "transform",
        attrs,
        children: [{ kind: "shader", attrs: { fragment: MARKER } }],
      }],
    },
  ]);
}

/** Pixel of a 64x64 read-back at GL coordinates (y up). */
function at(data: Uint8Array, x: number, y: number): number[] {
  return pixelAt(data, 64, x, 63 - y);
}

Deno.test("transform translate= moves the image in pixels with y up", async () => {
  const scene = transformScene({ translate: [16, -20] });
  try {
    scene.render();
    const { data } = scene.read([0]);
    assertEquals(at(data, 32, 48), [0, 0, 0, 0]);
    assertEquals(at(data, 48, 28), [255, 255, 255, 255]);
  } finally {
    await scene.destroy();
  }
});

Deno.test("transform rotate= turns clockwise about the centre", async () => {
  const scene = transformScene({ rotate: 0.25 });
  try {
    scene.render();
    const { data } = scene.read([0]);
    assertEquals(at(data, 32, 48), [0, 0, 0, 0]);
    // Above the centre → right of it after a quarter turn clockwise.
    assertEquals(at(data, 48, 32), [255, 255, 255, 255]);
    assertEquals(at(data, 16, 32), [0, 0, 0, 0]);
  } finally {
    await scene.destroy();
  }
});

Deno.test("transform scale= grows the image about the centre and negative scale flips", async () => {
  const scene = transformScene({ scale: [2, -1] });
  try {
    scene.render();
    const { data } = scene.read([0]);
    // x 28..36 → 24..40; y 44..52 flipped about 32 → 12..20.
    assertEquals(at(data, 25, 16), [255, 255, 255, 255]);
    assertEquals(at(data, 22, 16), [0, 0, 0, 0]);
    assertEquals(at(data, 32, 48), [0, 0, 0, 0]);
  } finally {
    await scene.destroy();
  }
});

Deno.test("feedback mixes the previous output in by mixer per timebase", async () => {
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8], colorbits: 32 },
      children: [{
        kind: "feedback",
        attrs: { mixer: 0.5, timebase: 1 },
        children: [{
          kind: "shader",
          attrs: { fragment: FILL_SHADER, fill: [1, 0, 0, 1] },
        }],
      }],
    },
  ]);
  try {
    // Flitter: the first frame (delta 0) keeps all of the (empty) previous
    // output; then each beat keeps half of it.
    scene.render();
    assertNear(pixelAt(scene.read([0]).data, 8, 4, 4), [0, 0, 0, 0], 1);
    scene.render();
    assertNear(
      pixelAt(scene.read([0]).data, 8, 4, 4),
      expectedBytes([0.5, 0, 0, 0.5]),
    );
    scene.render();
    assertNear(
      pixelAt(scene.read([0]).data, 8, 4, 4),
      expectedBytes([0.75, 0, 0, 0.75]),
    );
    scene.render(0.5);
    // Half a beat later: half a beat keeps 0.5^0.5 of the previous output.
    scene.render();
    const k = Math.SQRT1_2;
    const value = 0.875 * k + (1 - k);
    assertNear(
      pixelAt(scene.read([0]).data, 8, 4, 4),
      expectedBytes([value, 0, 0, value]),
    );
  } finally {
    await scene.destroy();
  }
});

Deno.test("feedback translate= moves the previous output in canvas coordinates", async () => {
  const fragment = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float beat;
uniform vec2 size;
void main() {
    vec2 p = coord * size;
    color = beat < 0.5 && p.x >= 8.0 && p.x < 12.0 && p.y >= 20.0 && p.y < 24.0 ? vec4(1.0) : vec4(0.0);
}
`;
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [32, 32], colorbits: 32 },
      children: [{
        kind: "feedback",
        attrs: { mixer: 1, translate: [8, 8] },
        children: [{ kind: "shader", attrs: { fragment } }],
      }],
    },
  ]);
  try {
    // Frame 0 keeps the empty previous output; frame 0's input never shows.
    // So render the marker with mixer 0 first, then feed it back.
    scene.set([0, 0], "mixer", 0);
    scene.render(1);
    scene.set([0, 0], "mixer", 1);
    scene.render(1);
    const { data } = scene.read([0]);
    // The 4x4 block at canvas (8, 8) (y down) moved right 8 and down 8.
    assertEquals(pixelAt(data, 32, 17, 17), [255, 255, 255, 255]);
    assertEquals(pixelAt(data, 32, 9, 9), [0, 0, 0, 0]);
  } finally {
    await scene.destroy();
  }
});

Deno.test("a shader error names the user's line and the node keeps its last good image", async () => {
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 4] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0, 0, 1, 1] },
      }],
    },
  ]);
  try {
    scene.render();
    scene.set(
      [0, 0],
      "fragment",
      "${HEADER}\nin vec2 coord;\nout vec4 color;\nvoid main() {\n    color = vec4(nonsense);\n}\n",
    );
    scene.render();
    assertEquals(scene.errors.length, 1);
    const error = scene.errors[0];
    assertInstanceOf(error, ShaderError);
    assertEquals(error.line, 5);
    assertEquals(error.stage, "fragment");
    assert(error.message.includes("nodes[0].children[0]"), error.message);
    assertNear(pixelAt(scene.read([0]).data, 4, 1, 1), [0, 0, 255, 255], 1);
  } finally {
    await scene.destroy();
  }
});

Deno.test("a plain window passes its only child's image through without a copy", async () => {
  const scene = new TestScene([
    {
      kind: "window",
      attrs: { size: [8, 8] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0, 1, 0, 1] },
      }],
    },
    {
      kind: "window",
      attrs: { size: [8, 8], alpha: 0.5 },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0, 1, 0, 1] },
      }],
    },
    {
      kind: "window",
      attrs: { size: [8, 8] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER, fill: [0, 1, 0, 1], size: [4, 4] },
      }],
    },
  ]);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    assert(scene.node([0]).output === scene.node([0, 0]).output);
    assert(scene.node([1]).output !== scene.node([1, 0]).output);
    assertNear(
      pixelAt(scene.read([1]).data, 8, 4, 4),
      expectedBytes([0, 0.5, 0, 0.5]),
    );
    // A smaller child is scaled up by the composite pass.
    assertEquals([scene.read([2]).width, scene.read([2]).height], [8, 8]);
    assertNear(pixelAt(scene.read([2]).data, 8, 4, 4), [0, 255, 0, 255], 0);
  } finally {
    await scene.destroy();
  }
});

Deno.test("nodes with the same shader source share one compiled program", async () => {
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 4] },
      children: [
        {
          kind: "shader",
          attrs: { fragment: FILL_SHADER, fill: [1, 0, 0, 1] },
        },
        {
          kind: "shader",
          attrs: { fragment: FILL_SHADER, fill: [0, 1, 0, 1] },
        },
      ],
    },
  ]);
  try {
    scene.render();
    // One fill program shared by both children, one composite for the root.
    assertEquals(cachedProgramCount(scene.gl), 2);
    scene.render();
    assertEquals(cachedProgramCount(scene.gl), 2);
    scene.set([0, 1], "fragment", FILL_SHADER + "// edited\n");
    scene.render();
    assertEquals(cachedProgramCount(scene.gl), 3);
    scene.set([0, 0], "fragment", FILL_SHADER + "// edited\n");
    scene.render();
    assertEquals(cachedProgramCount(scene.gl), 2);
    assertNear(pixelAt(scene.read([0, 0]).data, 4, 0, 0), [255, 0, 0, 255], 0);
    assertNear(pixelAt(scene.read([0, 1]).data, 4, 0, 0), [0, 255, 0, 255], 0);
  } finally {
    await scene.destroy();
  }
});

const HALVES = `\${HEADER}
in vec2 coord;
out vec4 color;
void main() {
    color = coord.x < 0.5 ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 1.0, 0.0, 1.0);
}
`;

const ZOOM_OUT = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform sampler2D texture0;
void main() {
    color = texture(texture0, coord * 2.0 - 0.5);
}
`;

function samplingScene(
  attrs: Record<string, number | number[]>,
  childSize: number[],
  fragment: string,
): TestScene {
  return new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [8, 8] },
      children: [{
        kind: "shader",
        attrs: { fragment, ...attrs },
        children: [{
          kind: "shader",
          attrs: { fragment: HALVES, size: childSize },
        }],
      }],
    },
  ]);
}

Deno.test("outside its inputs a shader samples transparent, border= or repeat=", () => {
  const plain = samplingScene({}, [4, 4], ZOOM_OUT);
  const border = samplingScene({ border: [0, 0, 1, 1] }, [4, 4], ZOOM_OUT);
  const repeat = samplingScene({ repeat: [1, 0] }, [4, 4], ZOOM_OUT);
  try {
    for (const scene of [plain, border, repeat]) {
      scene.render();
      assertEquals(scene.errors, []);
    }
    // Pixel column 0 samples x = -0.375; column 4 samples x = 0.625.
    assertEquals(pixelAt(plain.read([0]).data, 8, 0, 4), [0, 0, 0, 0]);
    assertEquals(pixelAt(plain.read([0]).data, 8, 4, 4), [0, 255, 0, 255]);
    assertEquals(pixelAt(border.read([0]).data, 8, 0, 4), [0, 0, 255, 255]);
    assertEquals(pixelAt(border.read([0]).data, 8, 4, 4), [0, 255, 0, 255]);
    // Repeating x wraps -0.375 to 0.625; y is clamped to the edge.
    assertEquals(pixelAt(repeat.read([0]).data, 8, 0, 4), [0, 255, 0, 255]);
    assertEquals(pixelAt(repeat.read([0]).data, 8, 4, 0), [0, 255, 0, 255]);
  } finally {
    plain.destroy();
    border.destroy();
    repeat.destroy();
  }
});

Deno.test("nearest= samples a smaller input without blending pixels", () => {
  const linear = samplingScene({}, [2, 1], "");
  const nearest = samplingScene({ nearest: 1, alpha: 1 }, [2, 1], "");
  try {
    linear.render();
    nearest.render();
    // Column 3 samples texel coordinate 0.875: between the red and green texels.
    const blended = pixelAt(linear.read([0]).data, 8, 3, 4);
    assert(blended[1] > 0 && blended[0] < 255, `${blended}`);
    assertEquals(pixelAt(nearest.read([0]).data, 8, 3, 4), [255, 0, 0, 255]);
  } finally {
    linear.destroy();
    nearest.destroy();
  }
});

Deno.test("more children than a draw can sample are composited in batches, in order", async () => {
  const count = 70;
  const children = Array.from({ length: count }, (_, i) => ({
    kind: "shader",
    attrs: {
      fragment: FILL_SHADER,
      fill: i === count - 1 ? [0, 0, 0.5, 0.5] : [1 / 128, 0, 0, 1 / 128],
    },
  }));
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 4], colorbits: 32, composite: "add" },
      children,
    },
    {
      kind: "offscreen",
      attrs: { size: [4, 4], colorbits: 32 },
      children: [{ kind: "transform", attrs: { composite: "over" }, children }],
    },
    {
      kind: "offscreen",
      attrs: { size: [4, 4] },
      children: [{
        kind: "shader",
        attrs: { fragment: FILL_SHADER },
        children,
      }],
    },
  ]);
  try {
    scene.render();
    // Sum of 69 × 1/128 red, plus the last child's blue.
    assertNear(
      pixelAt(scene.read([0]).data, 4, 1, 1),
      expectedBytes([69 / 128, 0, 0.5, 69 / 128 + 0.5]),
    );
    // Over: the last child lies over the 69 others (each over the one before).
    let below = [0, 0, 0, 0];
    for (let i = 0; i < count - 1; i++) {
      below = over([1 / 128, 0, 0, 1 / 128], below);
    }
    assertNear(
      pixelAt(scene.read([1]).data, 4, 1, 1),
      expectedBytes(over([0, 0, 0.5, 0.5], below)),
    );
    assertEquals(scene.errors.length, 1);
    assert(
      String(scene.errors[0]).includes(`this node has ${count}`),
      String(scene.errors[0]),
    );
  } finally {
    await scene.destroy();
  }
});
