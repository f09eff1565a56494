// deno-test-isolated: opens windows on its own Xvfb through GLFW in this process; its own process keeps that apart from the shared run
// On-screen `!window`s under a real X server (Xvfb), in this process: an
// engine with windows renders frames, the X server's own screenshots
// (`xwd -root`) are checked at known points, and input is injected with
// xdotool. Needs the xvfb, x11-apps, xdotool and libglfw3 packages
// (`scripts/setup.sh --test`).
import assert from "node:assert/strict";
import { Engine } from "../../lib/engine/engine.ts";
import { sym, type Value } from "../../lib/expr/values.ts";
import { setLogLevel } from "../../lib/log/logger.ts";
import { colourAt, near, type Screenshot, waitFor, Xvfb } from "./_x11.ts";

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const GREY = [188, 188, 188];
const BLACK = [0, 0, 0];

/** A `!window` showing four quadrants: blue bottom left, red bottom right, green top left, mid grey (linear 0.5: sRGB 188) top right. */
function quadrantScene(attributes: string, extra = ""): string {
  return `
[[nodes]]
kind = "!window"
${attributes}
  [[nodes.children]]
  kind = "!shader"
  fragment = """
\${HEADER}
in vec2 coord;
out vec4 color;
void main() {
    bool right = coord.x >= 0.5;
    bool top = coord.y >= 0.5;
    color = top ? (right ? vec4(0.5, 0.5, 0.5, 1.0) : vec4(0.0, 1.0, 0.0, 1.0))
                : (right ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 0.0, 1.0, 1.0));
}
"""
${extra}
`;
}

/** Runs `body` with an Xvfb server as this process's display. */
async function withDisplay(
  body: (xvfb: Xvfb) => Promise<void>,
  width = 1024,
  height = 768,
): Promise<void> {
  const xvfb = await Xvfb.start(width, height);
  const saved = {
    DISPLAY: Deno.env.get("DISPLAY"),
    WAYLAND_DISPLAY: Deno.env.get("WAYLAND_DISPLAY"),
  };
  Deno.env.set("DISPLAY", xvfb.display);
  Deno.env.delete("WAYLAND_DISPLAY");
  try {
    await body(xvfb);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await xvfb.stop();
  }
}

function frames(engine: Engine, count = 1): void {
  for (let i = 0; i < count; i++) engine.renderFrame();
}

/** Waits until the screen shows `expected` colours at the given points. */
async function waitForColours(
  xvfb: Xvfb,
  engine: Engine,
  points: Array<[number, number, readonly number[]]>,
  what: string,
): Promise<Screenshot> {
  let last: Screenshot | null = null;
  return await waitFor(
    () =>
      `${what}: ${
        points.map(([x, y, c]) =>
          `(${x},${y}) want ${c} got ${last ? colourAt(last, x, y) : "?"}`
        ).join("; ")
      }`,
    async () => {
      last = await xvfb.screenshot();
      const shot = last;
      return points.every(([x, y, colour]) =>
        near(colourAt(shot, x, y), colour)
      ) && shot;
    },
    () => frames(engine),
  );
}

async function findWindow(xvfb: Xvfb, title: string, engine: Engine) {
  const [id] = await waitFor(
    () => `a window titled ${title}`,
    async () => {
      const ids = await xvfb.find(`^${title}$`);
      return ids.length === 1 && ids;
    },
    () => frames(engine),
  );
  return await xvfb.geometry(id);
}

/** Points inside each quadrant of a picture at `x`,`y`,`width`,`height` on screen. */
function quadrantPoints(
  x: number,
  y: number,
  width: number,
  height: number,
): Array<[number, number, readonly number[]]> {
  const left = x + width / 4;
  const right = x + width * 3 / 4;
  const top = y + height / 4;
  const bottom = y + height * 3 / 4;
  return [
    [left, top, GREEN],
    [right, top, GREY],
    [left, bottom, BLUE],
    [right, bottom, RED],
  ];
}

for (const presenting of ["shm", "egl"]) {
  Deno.test(`a !window shows the scene on screen, letterboxed when resized, and live reload keeps it (presenting by ${presenting})`, async () => {
    Deno.env.set("FLITTER_WINDOW_PRESENT", presenting);
    setLogLevel("debug");
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      await withDisplay(async (xvfb) => {
        const engine = Engine.fromText(
          quadrantScene(`size = [320, 240]\ntitle = "quadrants"\nid = "win"`) +
            `
[[nodes]]
kind = "!offscreen"
id = "copy"
size = [320, 240]
colorbits = 8
  [[nodes.children]]
  kind = "!reference"
  id = "win"
`,
          "quadrants.toml",
          { windows: {} },
        );
        try {
          assert.equal(engine.gl.platform, "x11");
          const window = await findWindow(xvfb, "quadrants", engine);
          assert.deepEqual([window.width, window.height], [320, 240]);
          // Centred on the 1024x768 screen.
          assert.deepEqual([window.x, window.y], [352, 264]);
          await waitForColours(
            xvfb,
            engine,
            quadrantPoints(window.x, window.y, 320, 240),
            "the quadrants in the window",
          );
          // The rest of the tree sees the same picture as the screen.
          const copy = engine.readImage("copy");
          for (const [x, y, colour] of quadrantPoints(0, 0, 320, 240)) {
            const i = (y * copy.width + x) * 4;
            const seen = [...copy.data.subarray(i, i + 3)];
            assert.ok(near(seen, colour, 1), `${seen} for ${colour}`);
          }
          // The user makes the window wider and lower: the picture keeps its
          // aspect ratio, scaled down to 240x180 and centred, with black bars
          // left and right.
          await xvfb.xdotool("windowsize", window.id, "480", "180");
          await waitForColours(
            xvfb,
            engine,
            [
              ...quadrantPoints(window.x + 120, window.y, 240, 180),
              [window.x + 60, window.y + 90, BLACK],
              [window.x + 420, window.y + 90, BLACK],
            ],
            "the letterboxed quadrants",
          );
          // Taller than wide: bars above and below.
          await xvfb.xdotool("windowsize", window.id, "320", "440");
          await waitForColours(
            xvfb,
            engine,
            [
              ...quadrantPoints(window.x, window.y + 100, 320, 240),
              [window.x + 160, window.y + 50, BLACK],
              [window.x + 160, window.y + 390, BLACK],
            ],
            "the quadrants between bars above and below",
          );
          // A reload that keeps the window node in place keeps the window.
          assert.ok(engine.replaceText(
            quadrantScene(`size = [320, 240]\ntitle = "reloaded"`),
          ));
          const after = await findWindow(xvfb, "reloaded", engine);
          assert.equal(after.id, window.id);
          assert.deepEqual(await xvfb.find("^quadrants$"), []);
        } finally {
          await engine.dispose();
        }
        assert.deepEqual(
          await xvfb.find("^reloaded$"),
          [],
          "closed at dispose",
        );
      });
    } finally {
      console.log = log;
      setLogLevel("info");
      Deno.env.delete("FLITTER_WINDOW_PRESENT");
    }
    assert.ok(
      logged.some((line) => line.includes(`presenting by ${presenting}`)),
      logged.join("\n"),
    );
  });
}

Deno.test("fullscreen= fills the screen with bars and hides the pointer, and switches back while running; cursor= hides it", async () => {
  await withDisplay(async (xvfb) => {
    const scene = (attributes: string) =>
      quadrantScene(`size = [400, 100]\ntitle = "full"\n${attributes}`);
    const engine = Engine.fromText(scene("fullscreen = true"), "full.toml", {
      windows: {},
    });
    try {
      // 400x100 on 1024x768: 1024x256 in the middle, bars above and below.
      await waitForColours(
        xvfb,
        engine,
        [
          ...quadrantPoints(0, 256, 1024, 256),
          [512, 100, BLACK],
          [512, 660, BLACK],
        ],
        "the picture across the whole screen",
      );
      const [id] = await xvfb.find("^full$");
      const geometry = await xvfb.geometry(id);
      assert.deepEqual([geometry.width, geometry.height], [1024, 768]);
      // In full screen the pointer is hidden (by default).
      await xvfb.xdotool("mousemove", "500", "400");
      await waitFor(
        () => "the cursor hidden over the full-screen window",
        async () => !await xvfb.cursorVisible(),
        () => frames(engine),
      );
      assert.ok(engine.replaceText(scene("fullscreen = false")));
      const windowed = await waitFor(
        () => "the window to leave full screen",
        async () => {
          const now = await xvfb.geometry(id);
          return now.width === 400 && now.height === 100 && now;
        },
        () => frames(engine),
      );
      await waitForColours(
        xvfb,
        engine,
        quadrantPoints(windowed.x, windowed.y, 400, 100),
        "the quadrants in the window again",
      );
      // Windowed, the pointer shows over the window; cursor=false hides it.
      await xvfb.xdotool(
        "mousemove",
        String(windowed.x + 200),
        String(windowed.y + 50),
      );
      await waitFor(
        () => "the cursor shown over the window",
        () => xvfb.cursorVisible(),
        () => frames(engine),
      );
      assert.ok(engine.replaceText(scene("cursor = false")));
      await waitFor(
        () => "the cursor hidden by cursor=false",
        async () => !await xvfb.cursorVisible(),
        () => frames(engine),
      );
    } finally {
      await engine.dispose();
    }
  });
});

Deno.test("two !window nodes open two windows, each showing its own scene", async () => {
  await withDisplay(async (xvfb) => {
    const solid = (title: string, colour: string) => `
[[nodes]]
kind = "!window"
size = [200, 150]
title = "${title}"
  [[nodes.children]]
  kind = "!shader"
  fragment = "\${HEADER}\\nout vec4 color;\\nvoid main() { color = vec4(${colour}, 1.0); }"
`;
    const engine = Engine.fromText(
      solid("one", "1.0, 0.0, 0.0") + solid("two", "0.0, 1.0, 0.0"),
      "two.toml",
      { windows: {} },
    );
    try {
      const one = await findWindow(xvfb, "one", engine);
      const two = await findWindow(xvfb, "two", engine);
      assert.notEqual(one.id, two.id);
      // Both open centred; move them apart.
      await xvfb.xdotool("windowmove", one.id, "100", "100");
      await xvfb.xdotool("windowmove", two.id, "600", "400");
      await waitForColours(
        xvfb,
        engine,
        [[200, 175, RED], [700, 475, GREEN]],
        "red in one window and green in the other",
      );
    } finally {
      await engine.dispose();
    }
  });
});

function stateOf(engine: Engine, ...key: Array<string | number>): Value {
  return engine.state.get(
    key.map((part) => typeof part === "string" ? sym(part) : part),
  );
}

Deno.test("!key and !pointer put injected input into the state; a key toggles full screen", async () => {
  await withDisplay(async (xvfb) => {
    const engine = Engine.fromText(
      quadrantScene(
        `size = [200, 100]\ntitle = "input"\nfullscreen = "=$:f"`,
        `
  [[nodes.children]]
  kind = "!key"
  state = ":k"
  name = "k"

  [[nodes.children]]
  kind = "!key"
  state = ":f"
  name = "f"
  toggle = true

  [[nodes.children]]
  kind = "!pointer"
  state = ":p"
`,
      ),
      "input.toml",
      { windows: {} },
    );
    try {
      const window = await findWindow(xvfb, "input", engine);
      assert.equal(stateOf(engine, "k"), null, "unknown before any event");
      assert.equal(stateOf(engine, "f"), 0, "a toggle starts off");
      // The pointer a quarter of the way in; no window manager here, so the
      // keyboard follows the pointer.
      await xvfb.xdotool(
        "mousemove",
        String(window.x + 50),
        String(window.y + 25),
      );
      let position: Value = null;
      await waitFor(
        () => `the pointer at 0.25;0.25 in the state (${position})`,
        () => {
          position = stateOf(engine, "p");
          return Promise.resolve(
            Array.isArray(position) &&
              near(position.map((v) => Number(v) * 100), [25, 25], 1),
          );
        },
        () => frames(engine),
      );
      assert.equal(stateOf(engine, "p", 0), 0);
      await xvfb.xdotool("mousedown", "1");
      await waitFor(
        () => "button 0 down",
        () => Promise.resolve(stateOf(engine, "p", 0) === 1),
        () => frames(engine),
      );
      await xvfb.xdotool("mouseup", "1");
      await xvfb.xdotool("keydown", "k");
      await waitFor(
        () => "k down",
        () => Promise.resolve(stateOf(engine, "k") === 1),
        () => frames(engine),
      );
      assert.equal(stateOf(engine, "k", "pushed"), 1);
      assert.equal(stateOf(engine, "k", "released"), 0);
      const pushedBeat = stateOf(engine, "k", "pushed", "beat");
      assert.equal(typeof pushedBeat, "number");
      assert.equal(stateOf(engine, "k", "released", "beat"), null);
      assert.equal(stateOf(engine, "p", 0), 0, "button released");
      await xvfb.xdotool("keyup", "k");
      await waitFor(
        () => "k up",
        () => Promise.resolve(stateOf(engine, "k") === 0),
        () => frames(engine),
      );
      assert.equal(stateOf(engine, "k", "released"), 1);
      assert.equal(typeof stateOf(engine, "k", "released", "beat"), "number");
      assert.equal(stateOf(engine, "k", "pushed", "beat"), pushedBeat);
      // A press and release between two frames still counts.
      await xvfb.xdotool("key", "f");
      await waitForColours(
        xvfb,
        engine,
        [...quadrantPoints(0, 128, 1024, 512), [512, 60, BLACK]],
        "full screen after pressing f",
      );
      assert.equal(stateOf(engine, "f"), 1);
      // The pointer did not move, but the picture did under it.
      const [px, py] = [window.x + 50, window.y + 25];
      const expected = [px / 1024, (py - 128) / 512].map((v) => v * 100);
      await waitFor(
        () => `the pointer at ${expected} % over the full-screen picture`,
        () => {
          position = stateOf(engine, "p");
          return Promise.resolve(
            Array.isArray(position) &&
              near(position.map((v) => Number(v) * 100), expected, 1),
          );
        },
        () => frames(engine),
      );
      await xvfb.xdotool("mousemove", "512", "384");
      await xvfb.xdotool("key", "f");
      await waitFor(
        () => "the window back at 200x100",
        async () => {
          const now = await xvfb.geometry(window.id);
          return now.width === 200 && now.height === 100;
        },
        () => frames(engine),
      );
      assert.equal(stateOf(engine, "f"), 0);
      // Off the window: the position is null.
      await xvfb.xdotool("mousemove", "5", "5");
      await waitFor(
        () => "the pointer position to be null",
        () => Promise.resolve(stateOf(engine, "p") === null),
        () => frames(engine),
      );
    } finally {
      await engine.dispose();
    }
    assert.equal(stateOf(engine, "k"), null, "cleared with the node");
  });
});

Deno.test("examples/window.toml: F toggles full screen, the pointer lights the picture", async () => {
  await withDisplay(async (xvfb) => {
    const engine = await Engine.open(
      new URL("../../examples/window.toml", import.meta.url).pathname,
      { windows: {}, watch: false },
    );
    try {
      const window = await findWindow(xvfb, "F: full screen", engine);
      assert.deepEqual([window.width, window.height], [960, 540]);
      // Light under the pointer, warm while button 0 is held.
      const [x, y] = [window.x + 240, window.y + 270];
      await xvfb.xdotool("mousemove", String(x), String(y));
      await xvfb.xdotool("mousedown", "1");
      let seen = [0, 0, 0];
      await waitFor(
        () => `a warm light at ${x},${y} (${seen})`,
        async () => {
          seen = colourAt(await xvfb.screenshot(), x, y);
          const [r, , b] = seen;
          return r > 200 && b < r - 60;
        },
        () => frames(engine),
      );
      await xvfb.xdotool("mouseup", "1");
      await xvfb.xdotool("key", "f");
      await waitFor(
        () => "full screen",
        async () => (await xvfb.geometry(window.id)).width === 1024,
        () => frames(engine),
      );
      await xvfb.xdotool("key", "f");
      await waitFor(
        () => "back to 960x540",
        async () => (await xvfb.geometry(window.id)).width === 960,
        () => frames(engine),
      );
    } finally {
      await engine.dispose();
    }
  });
});
