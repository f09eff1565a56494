import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { Engine } from "../../lib/engine/engine.ts";
import { sym } from "../../lib/expr/values.ts";
import { Logger, type LogLevel, setLogLevel } from "../../lib/log/logger.ts";

setLogLevel("error");

const FILL = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform vec4 fill;
void main() { color = fill; }
`;

/** A window (id "out", 8-bit, 64x64) holding the given child nodes (TOML). */
function windowScene(children: string, lets = ""): string {
  return `${lets}
[[nodes]]
kind = "!window"
id = "out"
size = [64, 64]
colorbits = 8
${children}`;
}

function fillNode(fill: string, extra = ""): string {
  return `
  [[nodes.children]]
  kind = "!shader"
  fill = ${fill}
  fragment = """${FILL}"""
  ${extra}
`;
}

function pixel(engine: Engine, x = 32, y = 32): number[] {
  const image = engine.readImage("out");
  const offset = (y * image.width + x) * 4;
  return [...image.data.subarray(offset, offset + 4)];
}

function assertNear(actual: number[], expected: number[], tolerance = 3): void {
  assert(
    actual.every((value, i) => Math.abs(value - expected[i]) <= tolerance),
    `expected ${expected}, got ${actual}`,
  );
}

Deno.test("a scene file renders its shader's colour into the window", () => {
  const engine = Engine.fromText(windowScene(fillNode("[1, 0, 0, 1]")));
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [255, 0, 0, 255]);
    assertEquals(engine.readImage("out").width, 64);
  } finally {
    engine.close();
  }
});

Deno.test("expressions broadcast vectors and compare symbols from defines", () => {
  const scene = windowScene(
    fillNode(`"=(((0.25;0.5) * 2);0;1) if MODE == :red else (0;0;1;1)"`),
  );
  const red = Engine.fromText(scene, "scene.toml", {
    defines: { MODE: sym("red") },
  });
  const other = Engine.fromText(scene, "scene.toml", {
    defines: { MODE: sym("blue") },
  });
  try {
    red.renderFrame();
    // 0.5 is linear light: sRGB-encoded it reads back as 188.
    assertNear(pixel(red), [188, 255, 0, 255], 2);
    other.renderFrame();
    assertNear(pixel(other), [0, 0, 255, 255]);
  } finally {
    red.close();
    other.close();
  }
});

Deno.test("let names are visible to expressions", () => {
  const engine = Engine.fromText(
    windowScene(fillNode(`"=GREEN;1"`), `[let]\nGREEN = "=0;1;0"\n`),
  );
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [0, 255, 0, 255]);
  } finally {
    engine.close();
  }
});

Deno.test("an if condition adds and removes a node as it changes", () => {
  const engine = Engine.fromText(
    windowScene(
      fillNode("[0, 0, 1, 1]") +
        fillNode("[1, 0, 0, 1]", `if = "=frame % 2 == 1"`),
    ),
  );
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [0, 0, 255, 255]);
    engine.renderFrame();
    assertNear(pixel(engine), [255, 0, 0, 255]);
    engine.renderFrame();
    assertNear(pixel(engine), [0, 0, 255, 255]);
  } finally {
    engine.close();
  }
});

Deno.test("state look-ups see values set in the scene state", () => {
  const engine = Engine.fromText(
    windowScene(
      fillNode(`"=(0;1;0;1) if $:call == :connected else (1;1;1;1)"`),
    ),
  );
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [255, 255, 255, 255]);
    engine.state.set(sym("call"), sym("connected"));
    engine.renderFrame();
    assertNear(pixel(engine), [0, 255, 0, 255]);
  } finally {
    engine.close();
  }
});

Deno.test("time advances evenly in lockstep and runtime ends the run", async () => {
  const engine = Engine.fromText(
    windowScene(fillNode(`"=(time;0;0;1)"`)),
    "scene.toml",
    { fps: 10, lockstep: true, runtime: 0.5 },
  );
  await engine.run();
  assertEquals(engine.frame.frame, 5);
  assert(Math.abs(engine.frame.time - 0.4) < 1e-9);
});

/** A logger that keeps its records (`level message`) instead of printing them. */
class RecordingLogger extends Logger {
  readonly records: string[] = [];

  constructor() {
    super("engine");
  }

  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
  }

  /** Records at `level` so far. */
  at(level: LogLevel): string[] {
    return this.records.filter((record) => record.startsWith(`${level} `));
  }
}

async function waitFor(
  engine: Engine,
  done: () => boolean,
  what: string,
  seconds = 5,
): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    engine.renderFrame();
  }
}

Deno.test("live reload replaces the scene on save and keeps it through a broken edit", async () => {
  const folder = await Deno.makeTempDir();
  const file = join(folder, "scene.toml");
  await Deno.writeTextFile(
    file,
    windowScene(fillNode("[1, 0, 0, 1]", `id = "fill"`)),
  );
  const log = new RecordingLogger();
  const engine = await Engine.open(file, { log });
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [255, 0, 0, 255]);
    const node = engine.node("fill");
    assert(node !== undefined);

    await Deno.writeTextFile(
      file,
      windowScene(fillNode("[0, 1, 0, 1]", `id = "fill"`)),
    );
    await waitFor(engine, () => engine.reloads === 1, "the reload");
    assertNear(pixel(engine), [0, 255, 0, 255]);
    assert(engine.node("fill") === node, "the shader node survived the reload");

    assertEquals(log.at("error"), []);
    await Deno.writeTextFile(
      file,
      `[[nodes]]\nkind = "!window"\nsize = [64,\n`,
    );
    // The broken edit was read, and rejected: its error is logged.
    await waitFor(
      engine,
      () => log.at("error").length === 1,
      "the broken edit to be rejected",
    );
    assert(
      /scene\.toml.*\(keeping the last good scene\)$/.test(log.at("error")[0]),
      log.at("error")[0],
    );
    engine.renderFrame();
    assertEquals(engine.reloads, 1);
    assertEquals(engine.roots.length, 1, "the last good scene still runs");
    assert(engine.node("fill") === node);
    assertNear(pixel(engine), [0, 255, 0, 255]);

    await Deno.writeTextFile(
      file,
      windowScene(fillNode("[0, 0, 1, 1]", `id = "fill"`)),
    );
    await waitFor(
      engine,
      () => engine.reloads === 2,
      "the reload after the fix",
    );
    assertNear(pixel(engine), [0, 0, 255, 255]);
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("live reload follows files read by the scene", async () => {
  const folder = await Deno.makeTempDir();
  const file = join(folder, "scene.toml");
  const shader = join(folder, "fill.frag");
  const source = (rgba: string) =>
    `\${HEADER}\nout vec4 color;\nvoid main() { color = vec4(${rgba}); }\n`;
  await Deno.writeTextFile(shader, source("1.0, 0.0, 1.0, 1.0"));
  await Deno.writeTextFile(
    file,
    windowScene(`
  [[nodes.children]]
  kind = "!shader"
  fragment = "=read('fill.frag')"
`),
  );
  const log = new RecordingLogger();
  const engine = await Engine.open(file, { log });
  try {
    engine.renderFrame();
    assertNear(pixel(engine), [255, 0, 255, 255]);
    await Deno.writeTextFile(shader, source("0.0, 1.0, 1.0, 1.0"));
    await waitFor(
      engine,
      () => pixel(engine)[0] < 10,
      "the shader file change to show",
    );
    assertNear(pixel(engine), [0, 255, 255, 255]);

    assertEquals(log.at("error"), []);
    await Deno.writeTextFile(shader, source("0.0, 1.0, oops"));
    // The broken shader was read and failed to compile: its error is logged.
    await waitFor(
      engine,
      () => log.at("error").length === 1,
      "the broken shader to be rejected",
    );
    assert(
      log.at("error")[0].includes("failed to compile"),
      log.at("error")[0],
    );
    engine.renderFrame();
    assertNear(pixel(engine), [0, 255, 255, 255]);
  } finally {
    engine.close();
    await Deno.remove(folder, { recursive: true });
  }
});
