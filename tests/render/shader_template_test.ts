import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNear,
  assertThrows,
  pixelAt,
} from "../_assert.ts";
import {
  isTemplate,
  ShaderTemplate,
  TemplateError,
} from "../../lib/render/shader_template.ts";
import { expectedBytes, FILL_SHADER, TestScene } from "./_harness.ts";

/** Flitter's own default compositing shader, as its repository has it. */
const FLITTER_DEFAULT_FRAG = `\${HEADER}

in vec2 coord;
out vec4 color;
uniform float alpha;
uniform float gamma;
% for name in child_textures:
uniform sampler2D \${name};
% endfor

<%include file="composite_functions.glsl"/>

void main() {
% if child_textures:
%     for name in child_textures:
%         if loop.index == 0:
    vec4 merged = texture(\${name}, coord);
%         elif loop.index == 1:
    vec4 child = texture(\${name}, coord);
    merged = composite_\${composite}(child, merged);
%         else:
    child = texture(\${name}, coord);
    merged = composite_\${composite}(child, merged);
%         endif
%     endfor
    color = gamma == 1.0 ? merged * alpha : pow(merged * alpha, vec4(gamma));
% else:
    color = vec4(0);
% endif
}
`;

Deno.test("templates expand loops, conditions, includes and Python-style values", () => {
  const template = new ShaderTemplate(
    "${HEADER}\n% for name in child_textures:\nuniform sampler2D ${name}; // ${loop.index}${' last' if loop.last else ''}\n% endfor\n" +
      "const float k = ${float(count)};\nconst int n = ${int(size[0] / 2)};\n## a comment\n% if not child_textures:\nnone\n% endif\n",
  );
  const text = template.render(
    new Map<
      string,
      import("../../lib/render/shader_template.ts").TemplateValue
    >([
      ["child_textures", ["texture0", "texture1"]],
      ["count", 3],
      ["size", [640, 360]],
    ]),
  );
  assertEquals(
    text,
    "${HEADER}\nuniform sampler2D texture0; // 0\nuniform sampler2D texture1; // 1 last\nconst float k = 3.0;\nconst int n = 320;\n",
  );
  assert(isTemplate(FLITTER_DEFAULT_FRAG));
  assert(!isTemplate("${HEADER}\nvoid main() {}\n"));
});

Deno.test("template conditions use Flitter's truth for numbers, strings and vectors", () => {
  type TemplateValue =
    import("../../lib/render/shader_template.ts").TemplateValue;
  const template = new ShaderTemplate("${'t' if x else 'f'}\n");
  const truth = (x: TemplateValue) =>
    template.render(new Map([["x", x]])).trimEnd();
  const cases: [TemplateValue, string][] = [
    [null, "f"],
    [0, "f"],
    [2, "t"],
    ["", "f"],
    ["a", "t"],
    [[], "f"],
    [[0, 0], "f"], // a Flitter vector of zeros is false (a Python list would be true)
    [[0, ""], "f"],
    [[0, 1], "t"],
    [["", "x"], "t"],
    [true, "t"],
    [false, "f"],
  ];
  for (const [x, expected] of cases) {
    assertEquals(truth(x), expected, JSON.stringify(x));
  }
  // float() marks its result for printing; it is still false when zero.
  const float = new ShaderTemplate("${'t' if float(x) else 'f'}\n");
  assertEquals(float.render(new Map([["x", 0]])), "f\n");
  assertEquals(float.render(new Map([["x", 3]])), "t\n");
});

Deno.test("template mistakes name the template line", () => {
  const unclosed = assertThrows(() => new ShaderTemplate("a\n% if x:\nb\n"));
  assertInstanceOf(unclosed, TemplateError);
  assertEquals(unclosed.line, 2);
  const undefinedName = assertThrows(() =>
    new ShaderTemplate("a\nb ${nothing}\n").render(new Map())
  );
  assertInstanceOf(undefinedName, TemplateError);
  assertEquals(undefinedName.line, 2);
  assert(undefinedName.message.includes('"nothing"'), undefinedName.message);
});

Deno.test("a shader node runs Flitter's templated default shader like its own", async () => {
  const below = [0.5, 0.25, 0.0, 0.5];
  const above = [0.25, 0.125, 0.375, 0.5];
  const scene = new TestScene([
    {
      kind: "offscreen",
      attrs: { size: [4, 4], colorbits: 32 },
      children: [{
        kind: "shader",
        attrs: { fragment: FLITTER_DEFAULT_FRAG, composite: "add", alpha: 1 },
        children: [
          { kind: "shader", attrs: { fragment: FILL_SHADER, fill: below } },
          { kind: "shader", attrs: { fragment: FILL_SHADER, fill: above } },
        ],
      }],
    },
  ]);
  try {
    scene.render();
    assertEquals(scene.errors, []);
    assertNear(
      pixelAt(scene.read([0]).data, 4, 1, 1),
      expectedBytes([0.75, 0.375, 0.375, 1]),
    );
    // A template follows attribute changes (here the composite mode).
    scene.set([0, 0], "composite", "lighten");
    scene.render();
    assertNear(
      pixelAt(scene.read([0]).data, 4, 1, 1),
      expectedBytes([0.5, 0.25, 0.375, 0.5]),
    );
  } finally {
    await scene.destroy();
  }
});
