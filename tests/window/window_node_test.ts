// `!window`, `!key` and `!pointer` without an X server: a window the
// display refuses renders offscreen after one warning naming file and
// place; the letterbox arithmetic; input nodes stay silent offscreen.
import assert from "node:assert/strict";
import type { WindowManager } from "../../lib/window/windows.ts";
import { letterbox, WindowError } from "../../lib/window/native_window.ts";
import { FILL_SHADER, TestScene } from "../render/_harness.ts";
import { pixelAt } from "../_assert.ts";

/** Captures what `console.error` prints while `body` runs. */
function capturingErrors(body: () => void): string[] {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    body();
  } finally {
    console.error = original;
  }
  return lines;
}

Deno.test("a window the display refuses: one warning naming the place, and the node renders offscreen", async () => {
  const scene = new TestScene([{
    kind: "window",
    attrs: { size: [8, 8], colorbits: 8 },
    children: [{
      kind: "shader",
      attrs: { fragment: FILL_SHADER, fill: [1, 0, 0, 1] },
    }],
  }]);
  let attempts = 0;
  const refusing = {
    available: true,
    lost: null,
    reason: null,
    defaults: { fullscreen: false, screen: 0, vsync: false },
    monitors: () => [],
    open: () => {
      attempts++;
      throw new WindowError("BadAlloc (insufficient resources)");
    },
    noteOffscreen: () => {},
  } as unknown as WindowManager;
  Object.assign(scene.ctx, { windows: refusing });
  try {
    const warnings = capturingErrors(() => {
      scene.render();
      scene.render();
      scene.render();
    });
    assert.equal(attempts, 1, "not retried every frame");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      warnings[0],
      /WARN .*nodes\[0\]: cannot open a window \(BadAlloc \(insufficient resources\)\); rendering offscreen/,
    );
    assert.deepEqual(scene.errors, []);
    const image = scene.read([0]);
    assert.deepEqual(pixelAt(image.data, image.width, 4, 4), [255, 0, 0, 255]);
  } finally {
    await scene.destroy();
  }
});

Deno.test("!key and !pointer write nothing offscreen; an unknown key name warns once with a hint", async () => {
  const scene = new TestScene([{
    kind: "window",
    attrs: { size: [4, 4] },
    children: [
      { kind: "key", attrs: { state: "k", name: "escap" } },
      { kind: "pointer", attrs: { state: "p" } },
    ],
  }]);
  try {
    const warnings = capturingErrors(() => {
      scene.render();
      scene.render();
    });
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      warnings[0],
      /nodes\[0\]\.children\[0\]\.name: unknown key "escap" .*did you mean "escape"\?/,
    );
    assert.equal(scene.ctx.state.get("k"), null);
    assert.equal(scene.ctx.state.get("p"), null);
  } finally {
    await scene.destroy();
  }
});

Deno.test("letterbox: the largest centred rectangle of the picture's aspect ratio", () => {
  assert.deepEqual(letterbox(320, 240, 320, 240), {
    x: 0,
    y: 0,
    width: 320,
    height: 240,
  });
  // Wider frame: bars left and right.
  assert.deepEqual(letterbox(320, 240, 480, 180), {
    x: 120,
    y: 0,
    width: 240,
    height: 180,
  });
  // Taller frame: bars above and below.
  assert.deepEqual(letterbox(400, 100, 1024, 768), {
    x: 0,
    y: 256,
    width: 1024,
    height: 256,
  });
  // HiDPI: a 2x framebuffer doubles the picture.
  assert.deepEqual(letterbox(640, 360, 1280, 720), {
    x: 0,
    y: 0,
    width: 1280,
    height: 720,
  });
});
