/**
 * Pixel tests of `!canvas` drawing: real Skia (`@napi-rs/canvas`) drawing,
 * uploaded into a real Mesa texture and read back.
 */

import { assert, assertEquals, assertNear } from "../_assert.ts";
import { expectedBytes } from "../render/_harness.ts";
import { CanvasRun, canvasScene, withCanvas } from "./_canvas_scene.ts";

const TRANSPARENT = [0, 0, 0, 0];
const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];
const BLACK = [0, 0, 0, 255];

/** A `!path` holding a rect and a fill with `fill` attributes. */
function filledRect(
  point: number[],
  size: number[],
  fill: Record<string, unknown>,
) {
  return {
    kind: "!path",
    children: [
      { kind: "!rect", point, size },
      { kind: "!fill", ...fill },
    ],
  };
}

Deno.test("a filled rect lands at its point and size in its linear colour", async () => {
  await withCanvas([
    { kind: "!rect", point: [20, 10], size: [60, 30] },
    { kind: "!fill", color: [0.5, 0.2, 0.0] },
  ], (run) => {
    const inside = expectedBytes([0.5, 0.2, 0.0, 1]);
    assertNear(run.pixel(20, 10), inside, 1, "top-left pixel");
    assertNear(run.pixel(79, 39), inside, 1, "bottom-right pixel");
    assertEquals(run.pixel(19, 20), TRANSPARENT, "left of it");
    assertEquals(run.pixel(80, 20), TRANSPARENT, "right of it");
    assertEquals(run.pixel(50, 9), TRANSPARENT, "above it");
    assertEquals(run.pixel(50, 40), TRANSPARENT, "below it");
  });
});

Deno.test("ellipses and arcs: a circle's radius, a quarter pie clockwise from +x", async () => {
  await withCanvas([
    {
      kind: "!ellipse",
      point: [50, 50],
      radius: 30,
      fill: true,
      color: [0, 1, 0],
    },
    {
      kind: "!path",
      children: [
        { kind: "!move_to", point: [150, 50] },
        { kind: "!arc", point: [150, 50], radius: 40, start: 0, sweep: 0.25 },
        { kind: "!close" },
        { kind: "!fill", color: [0, 0, 1] },
      ],
    },
  ], (run) => {
    assertEquals(run.pixel(50, 50), GREEN, "circle centre");
    assertEquals(run.pixel(50 + 27, 50), GREEN, "inside the radius");
    assertEquals(run.pixel(50 + 32, 50), TRANSPARENT, "outside the radius");
    assertEquals(
      run.pixel(50 + 22, 50 + 22),
      TRANSPARENT,
      "outside on the diagonal",
    );
    assertEquals(run.pixel(50 + 20, 50 + 20), GREEN, "inside on the diagonal");
    // 0 turns is +x, a quarter turn clockwise ends at +y (down the canvas).
    assertEquals(run.pixel(165, 65), BLUE, "the pie's quadrant (right, below)");
    assertEquals(run.pixel(135, 65), TRANSPARENT, "left, below");
    assertEquals(run.pixel(165, 35), TRANSPARENT, "right, above");
  });
});

Deno.test("a stroked line is stroke_width wide around its points", async () => {
  await withCanvas([
    { kind: "!line", points: [20, 50, 180, 50] },
    { kind: "!stroke", stroke_width: 10, color: [1, 0, 0] },
    { kind: "!move_to", point: [30, 10] },
    { kind: "!line_to", point: [30, 40] },
  ], (run) => {
    for (const y of [46, 53]) assertEquals(run.pixel(100, y), RED, `row ${y}`);
    for (const y of [44, 56]) {
      assertEquals(run.pixel(100, y), TRANSPARENT, `row ${y}`);
    }
    assertEquals(
      run.pixel(17, 50),
      TRANSPARENT,
      "butt cap: nothing past the end",
    );
    assertEquals(
      run.pixel(30, 20),
      TRANSPARENT,
      "path commands after the stroke are not drawn",
    );
  });
});

Deno.test("an SVG arc_to goes clockwise by default, anticlockwise with ccw", async () => {
  await withCanvas([
    {
      kind: "!path",
      children: [
        { kind: "!move_to", point: [10, 50] },
        { kind: "!arc_to", point: [90, 50], radius: 40 },
        { kind: "!close" },
        { kind: "!fill", color: 1 },
      ],
    },
    {
      kind: "!path",
      children: [
        { kind: "!move_to", point: [110, 50] },
        { kind: "!arc_to", point: [190, 50], radius: 40, ccw: true },
        { kind: "!close" },
        { kind: "!fill", color: 1 },
      ],
    },
  ], (run) => {
    const white = [255, 255, 255, 255];
    assertEquals(
      run.pixel(50, 20),
      white,
      "clockwise from left to right: over the top",
    );
    assertEquals(run.pixel(50, 80), TRANSPARENT);
    assertEquals(run.pixel(150, 80), white, "anticlockwise: under the bottom");
    assertEquals(run.pixel(150, 20), TRANSPARENT);
  });
});

Deno.test("groups transform, pass paint down and restore it after", async () => {
  await withCanvas([
    {
      kind: "!group",
      translate: [100, 20],
      rotate: 0.25,
      color: [0, 1, 0],
      children: [
        { kind: "!rect", point: [0, 0], size: [40, 10] },
        { kind: "!fill" },
        {
          kind: "!group",
          scale: 2,
          children: [
            { kind: "!rect", point: [10, -20], size: [5, 5] },
            { kind: "!fill", color: [0, 0, 1] },
          ],
        },
      ],
    },
    { kind: "!rect", point: [0, 0], size: [10, 10] },
    { kind: "!fill" },
  ], (run) => {
    // A quarter turn clockwise takes +x to +y: the 40x10 rect stands
    // upright to the left of x = 100, from y = 20 down to y = 60.
    assertEquals(
      run.pixel(95, 55),
      GREEN,
      "rotated rect, with the group's colour",
    );
    assertEquals(
      run.pixel(120, 25),
      TRANSPARENT,
      "where it would lie unrotated",
    );
    // Scaled by 2 inside the rotation: local (20..30, -40..-30) → x 130..140
    // (from -y), y 40..50 (from x).
    assertEquals(run.pixel(135, 45), BLUE, "scaled and rotated rect");
    assertEquals(
      run.pixel(5, 5),
      BLACK,
      "after the group: the default paint again",
    );
  });
});

Deno.test("a linear gradient runs from its first stop at start= to its last at end=", async () => {
  await withCanvas([
    {
      kind: "!gradient",
      start: [0, 0],
      end: [200, 0],
      children: [
        { kind: "!stop", color: [1, 0, 0] },
        { kind: "!stop", color: [0, 0, 1] },
      ],
    },
    filledRect([0, 0], [200, 50], {}),
    filledRect([0, 60], [200, 40], { color: [0, 1, 0] }),
  ], (run) => {
    assertNear(run.pixel(0, 25), RED, 3, "start");
    assertNear(run.pixel(199, 25), BLUE, 3, "end");
    const middle = run.pixel(100, 25);
    assert(middle[0] > 60 && middle[0] < 200, `middle ${middle}`);
    assert(middle[2] > 60 && middle[2] < 200, `middle ${middle}`);
    assertEquals(run.pixel(100, 80), GREEN, "a colour replaces the gradient");
  });
});

Deno.test("a radial gradient has its first stop at point= and its last at radius=", async () => {
  await withCanvas([
    { kind: "!rect", point: [0, 0], size: [200, 100] },
    {
      kind: "!gradient",
      point: [100, 50],
      radius: 40,
      children: [
        { kind: "!stop", color: [1, 1, 1] },
        { kind: "!stop", color: [1, 0, 0] },
      ],
    },
    { kind: "!fill" },
  ], (run) => {
    // (the pixel's centre is 0.7 units from the gradient's)
    assertNear(run.pixel(100, 50), [255, 255, 255, 255], 6, "centre");
    assertEquals(run.pixel(160, 50), RED, "beyond the radius");
  });
});

/** Bounds and count of the pixels of `run` near `rgb`. */
function inkOf(
  run: { image: { width: number; height: number; data: Uint8Array } },
  rgb: number[],
) {
  const { width, height, data } = run.image;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  let count = 0, other = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      if (data[at + 3] === 0) continue;
      if (
        data[at + 3] === 255 && Math.abs(data[at] - rgb[0]) <= 2 &&
        Math.abs(data[at + 1] - rgb[1]) <= 2 &&
        Math.abs(data[at + 2] - rgb[2]) <= 2
      ) count++;
      else if (data[at + 3] === 255) other++;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  return { minX, maxX, minY, maxY, count, other };
}

Deno.test("text draws pixels of its colour in a box centred on its point", async () => {
  await withCanvas([
    {
      kind: "!text",
      text: "Hello",
      point: [100, 50],
      font_size: 40,
      color: [0, 1, 0],
    },
  ], (run) => {
    const ink = inkOf(run, [0, 255, 0]);
    assert(ink.count > 150, `solid green pixels: ${ink.count}`);
    assertEquals(ink.other, 0, "opaque pixels of another colour");
    assert(
      ink.maxX - ink.minX > 60 && ink.maxX - ink.minX < 140,
      `width ${ink.maxX - ink.minX}`,
    );
    assert(
      ink.maxY - ink.minY > 20 && ink.maxY - ink.minY < 45,
      `height ${ink.maxY - ink.minY}`,
    );
    assertNear(
      [(ink.minX + ink.maxX) / 2, (ink.minY + ink.maxY) / 2],
      [100, 50],
      2,
      "ink centre",
    );
  });
});

Deno.test("text with center=false starts its baseline at its point; font_size scales it", async () => {
  await withCanvas([
    {
      kind: "!text",
      text: "Hi",
      point: [20, 60],
      center: false,
      font_size: 20,
      color: 1,
    },
    {
      kind: "!text",
      text: "Hi",
      point: [100, 60],
      center: false,
      font_size: 40,
      color: 1,
    },
  ], (run) => {
    const { width, height, data } = run.image;
    const box = (x0: number, x1: number) => {
      let minY = Infinity, maxY = -Infinity, minX = Infinity;
      for (let y = 0; y < height; y++) {
        for (let x = x0; x < x1; x++) {
          if (data[(y * width + x) * 4 + 3] > 128) {
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
            minX = Math.min(minX, x);
          }
        }
      }
      return { minY, maxY, minX };
    };
    const small = box(0, 90), large = box(90, 200);
    assert(
      small.maxY <= 60 && small.maxY >= 57,
      `small baseline ${small.maxY}`,
    );
    assert(
      large.maxY <= 60 && large.maxY >= 57,
      `large baseline ${large.maxY}`,
    );
    assert(small.minX >= 20 && small.minX <= 24, `small start ${small.minX}`);
    const ratio = (60 - large.minY) / (60 - small.minY);
    assert(ratio > 1.8 && ratio < 2.2, `height ratio ${ratio}`);
  });
});

Deno.test("composite= blends two overlapping shapes", async () => {
  await withCanvas([
    filledRect([0, 0], [60, 40], { color: [1, 0, 0] }),
    filledRect([40, 0], [60, 40], { color: [0, 1, 0], composite: ":add" }),
    filledRect([100, 50], [60, 40], { color: [1, 0, 0] }),
    filledRect([140, 50], [60, 40], {
      color: [0, 0, 1],
      composite: ":dest_over",
    }),
  ], (run) => {
    assertEquals(run.pixel(20, 20), RED);
    assertEquals(
      run.pixel(50, 20),
      [255, 255, 0, 255],
      ":add of red and green",
    );
    assertEquals(run.pixel(80, 20), GREEN);
    assertEquals(run.pixel(150, 70), RED, ":dest_over goes under the red");
    assertEquals(run.pixel(180, 70), BLUE);
  });
});

Deno.test("a path keeps its shapes until its group or !path ends", async () => {
  await withCanvas([
    { kind: "!rect", point: [0, 0], size: [40, 40] },
    { kind: "!fill", color: [1, 0, 0] },
    { kind: "!rect", point: [100, 0], size: [40, 40] },
    { kind: "!fill", color: [0, 0, 1] },
    filledRect([0, 60], [40, 40], { color: [0, 1, 0] }),
  ], (run) => {
    assertEquals(run.pixel(20, 20), BLUE, "the second fill fills both rects");
    assertEquals(run.pixel(120, 20), BLUE);
    assertEquals(run.pixel(20, 80), GREEN, "a !path starts a new path");
  });
});

Deno.test("the canvas takes group attributes: composite=, translate=, color=", async () => {
  await withCanvas([
    { kind: "!rect", point: [0, 0], size: [10, 10] },
    { kind: "!fill" },
  ], (run) => {
    assertEquals(run.pixel(55, 25), BLUE, "translated, the canvas's colour");
    assertEquals(run.pixel(5, 5), TRANSPARENT);
  }, { translate: [50, 20], color: [0, 0, 1] });
});

Deno.test("!shadow and !blur filter what is drawn after them, to the end of their group", async () => {
  await withCanvas([
    {
      kind: "!group",
      children: [
        { kind: "!shadow", radius: 0, offset: [30, 0], color: [1, 0, 0] },
        {
          kind: "!rect",
          point: [10, 10],
          size: [20, 20],
          fill: true,
          color: 1,
        },
      ],
    },
    {
      kind: "!group",
      children: [
        { kind: "!blur", radius: 4 },
        {
          kind: "!rect",
          point: [120, 20],
          size: [40, 40],
          fill: true,
          color: 1,
        },
      ],
    },
    { kind: "!rect", point: [10, 60], size: [20, 20], fill: true, color: 1 },
  ], (run) => {
    assertEquals(run.pixel(20, 20), [255, 255, 255, 255], "the shape");
    assertEquals(run.pixel(50, 20), RED, "its shadow, 30 to the right");
    const edge = run.pixel(120, 40);
    assert(edge[3] > 60 && edge[3] < 200, `blurred edge ${edge}`);
    assert(run.pixel(115, 40)[3] > 0, "blur spreads past the edge");
    assertEquals(
      run.pixel(140, 40),
      [255, 255, 255, 255],
      "inside stays solid",
    );
    assertEquals(run.pixel(20, 70), [255, 255, 255, 255], "after the groups");
    assertEquals(run.pixel(50, 70), TRANSPARENT, "no shadow after its group");
    assertEquals(run.pixel(8, 70), TRANSPARENT, "no blur after its group");
  });
});

Deno.test("translucent colours arrive linear and premultiplied: 8 bits on the CPU and the GPU, 16 bits", async () => {
  const cases = [
    { colorbits: 8, conversion: "cpu", format: "srgb8" },
    { colorbits: 8, conversion: "gpu", format: "srgb8" },
    { colorbits: 16, conversion: "auto", format: "rgba16f" },
  ] as const;
  for (const { colorbits, conversion, format } of cases) {
    const run = await CanvasRun.start(
      canvasScene([
        filledRect([0, 0], [100, 100], { color: [1, 0, 0, 0.5] }),
        filledRect([100, 0], [100, 100], { color: [0.5, 0.2, 0.0] }),
        filledRect([100, 0], [100, 10], { color: [0, 1, 0] }),
      ], { colorbits }),
      { nodeOptions: { canvas: { conversion } } },
    );
    try {
      const what = `${colorbits} bits, ${conversion}`;
      // Linear (1, 0, 0) at half alpha is (0.5, 0, 0, 0.5) premultiplied,
      // which reads back sRGB-encoded as 188: not Skia's byte, 128.
      assertNear(run.pixel(50, 50), expectedBytes([0.5, 0, 0, 0.5]), 1, what);
      assertNear(run.pixel(150, 95), expectedBytes([0.5, 0.2, 0, 1]), 1, what);
      assertEquals(run.pixel(150, 5), [0, 255, 0, 255], `${what}: upright`);
      assertEquals(run.canvas.output?.format, format);
    } finally {
      await run.close();
    }
  }
});

Deno.test("!dash dashes the strokes after it", async () => {
  await withCanvas([
    { kind: "!dash", intervals: [10, 10] },
    {
      kind: "!line",
      points: [0, 50, 200, 50],
      stroke: true,
      stroke_width: 4,
      color: 1,
    },
  ], (run) => {
    const white = [255, 255, 255, 255];
    assertEquals(run.pixel(5, 50), white, "first dash");
    assertEquals(run.pixel(15, 50), TRANSPARENT, "first gap");
    assertEquals(run.pixel(25, 50), white, "second dash");
    assertEquals(run.pixel(195, 50), TRANSPARENT, "last gap");
  });
});
