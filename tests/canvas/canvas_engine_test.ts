/**
 * `!canvas` in the engine: loading Skia before a scene file's first frame,
 * live edits, redrawing only on change, `if=` and expressions on drawing
 * commands, and what bad input gives (warnings and errors with their
 * places, the rest still drawn).
 */

import { join } from "node:path";
import { Buffer } from "node:buffer";
import pngjs from "npm:pngjs@7.0.0";
import { assert, assertEquals, pixelAt } from "../_assert.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { skiaModule } from "../../lib/canvas/skia.ts";
import type { CanvasNode } from "../../lib/canvas/canvas_node.ts";
import {
  CanvasCommand,
  registerCanvasCommand,
} from "../../lib/canvas/command.ts";
import { CanvasRun, canvasScene, RecordingLogger } from "./_canvas_scene.ts";

const TRANSPARENT = [0, 0, 0, 0];
const RED = [255, 0, 0, 255];
const GREEN = [0, 255, 0, 255];
const BLUE = [0, 0, 255, 255];

interface PngSync {
  write(png: { width: number; height: number; data: Buffer }): Buffer;
}
const png = (pngjs as { PNG: { sync: PngSync } }).PNG.sync;

/** Writes a 4x2 PNG whose left half is `left` and right half `right` (RGBA). */
function writePng(path: string, left: number[], right: number[]): void {
  const row = [left, left, right, right];
  const data = Buffer.from([...row, ...row].flat());
  Deno.writeFileSync(path, png.write({ width: 4, height: 2, data }));
}

// First in this file, before anything loads Skia.
Deno.test("a scene file with a canvas draws on its first frame: the loader awaits Skia", async () => {
  assertEquals(
    skiaModule(),
    null,
    "Skia is not loaded by importing the engine",
  );
  const folder = await Deno.makeTempDir();
  const file = join(folder, "scene.json");
  await Deno.writeTextFile(
    file,
    canvasScene([
      {
        kind: "!rect",
        point: [0, 0],
        size: [50, 50],
        fill: true,
        color: [1, 0, 0],
      },
    ]),
  );
  const engine = await Engine.open(file, {
    watch: false,
    log: new RecordingLogger(),
  });
  try {
    assert(skiaModule() !== null, "loaded by Engine.open");
    engine.renderFrame(0);
    const image = engine.readImage("c");
    assertEquals(pixelAt(image.data, image.width, 10, 10), RED);
    assertEquals((engine.node("c") as CanvasNode).redraws, 1);
  } finally {
    await engine.dispose();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a live edit changes the drawing and keeps the canvas and its commands", async () => {
  const scene = (color: number[], extra: unknown[] = []) =>
    canvasScene([
      {
        kind: "!group",
        id: "group",
        children: [
          { kind: "!rect", point: [0, 0], size: [50, 50] },
          { kind: "!fill", color },
        ],
      },
      ...extra as { kind: string }[],
    ]);
  const run = await CanvasRun.start(scene([1, 0, 0]));
  try {
    assertEquals(run.pixel(10, 10), RED);
    const canvas = run.canvas;
    const group = run.engine.node("group");
    assert(group !== undefined);
    assert(run.engine.replaceText(scene([0, 0, 1])));
    run.frame(1 / 60);
    assertEquals(run.pixel(10, 10), BLUE, "the new colour");
    assert(run.canvas === canvas, "the canvas node survived the edit");
    assert(run.engine.node("group") === group, "so did its commands");
    assertEquals(canvas.redraws, 2);
    assert(
      run.engine.replaceText(scene([0, 0, 1], [
        {
          kind: "!rect",
          point: [100, 0],
          size: [50, 50],
          fill: true,
          color: [0, 1, 0],
        },
      ])),
    );
    run.frame(2 / 60);
    assertEquals(run.pixel(120, 10), GREEN, "an added command");
    assertEquals(run.pixel(10, 10), BLUE);
    assertEquals(canvas.redraws, 3);
  } finally {
    await run.close();
  }
});

Deno.test("the canvas redraws only when a value, a command or the size changed", async () => {
  const run = await CanvasRun.start(canvasScene([
    // An expression of time whose value stays the same: no redraws.
    {
      kind: "!rect",
      point: [0, 0],
      size: [20, 20],
      fill: true,
      color: "=(1;0;0) if time >= 0 else 0",
    },
    // A command that appears at time 2 (`if=`).
    {
      kind: "!rect",
      if: "=time >= 2",
      point: [100, 0],
      size: [20, 20],
      fill: true,
      color: [0, 0, 1],
    },
  ], { size: "=(200;100) if time < 4 else (100;50)" }));
  try {
    const canvas = run.canvas;
    assertEquals(canvas.redraws, 1);
    for (const time of [0.5, 1, 1.5]) run.engine.renderFrame(time);
    assertEquals(canvas.redraws, 1, "nothing changed");
    run.frame(2);
    assertEquals(canvas.redraws, 2, "a command appeared");
    assertEquals(run.pixel(110, 10), BLUE);
    for (const time of [2.5, 3]) run.engine.renderFrame(time);
    assertEquals(canvas.redraws, 2);
    assertEquals(run.pixel(10, 10), RED);
    run.frame(4);
    assertEquals(canvas.redraws, 3, "the size changed");
    assertEquals([run.image.width, run.image.height], [100, 50]);
    assertEquals(run.pixel(10, 10), RED);
    run.frame(5);
    assertEquals(canvas.redraws, 3);
  } finally {
    await run.close();
  }
  const moving = await CanvasRun.start(canvasScene([
    {
      kind: "!rect",
      point: "=time*10;0",
      size: [10, 10],
      fill: true,
      color: 1,
    },
  ]));
  try {
    for (const time of [1, 2, 3]) moving.frame(time);
    assertEquals(
      moving.canvas.redraws,
      4,
      "a time-dependent value: every frame",
    );
    assertEquals(
      moving.pixel(35, 5),
      [255, 255, 255, 255],
      "drawn where time puts it",
    );
    assertEquals(moving.pixel(5, 5), TRANSPARENT);
  } finally {
    await moving.close();
  }
});

Deno.test("unknown commands and attributes are warned about with their places; the rest draws", async () => {
  const run = await CanvasRun.start(canvasScene([
    { kind: "!rect", point: [0, 0], size: [20, 20], colour: [0, 1, 0] },
    { kind: "!fil", color: [0, 1, 0] },
    { kind: "!shader" },
    { kind: "!fill", color: [0, 1, 0] },
  ]));
  try {
    const warnings = run.log.at("warn");
    assertEquals(warnings, [
      'warn scene.json: nodes[0].children[0].colour: unknown attribute "colour" of !rect; did you mean "color"?',
      'warn scene.json: nodes[0].children[1].kind: Unknown node kind "!fil" inside !canvas; did you mean "!fill"? (left out)',
      'warn scene.json: nodes[0].children[2].kind: Unknown node kind "!shader" inside !canvas; did you mean "!shadow"? (left out)',
    ]);
    assertEquals(run.pixel(10, 10), GREEN, "the rest is drawn");
    assertEquals(run.log.at("error"), []);
  } finally {
    await run.close();
  }
});

Deno.test("a missing image file is one error naming the file and place; the rest draws", async () => {
  const run = await CanvasRun.start(canvasScene([
    { kind: "!image", filename: "no-such-picture.png", point: [0, 0] },
    {
      kind: "!rect",
      point: [0, 0],
      size: [20, 20],
      fill: true,
      color: [0, 1, 0],
    },
  ]));
  try {
    for (let frame = 1; frame < 4; frame++) run.frame(frame / 60);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the re-check
    for (let frame = 4; frame < 6; frame++) run.frame(frame / 60);
    const errors = run.log.at("error");
    assertEquals(errors.length, 1, errors.join("\n"));
    assert(
      errors[0].includes("scene.json: nodes[0].children[0] (!image)") &&
        errors[0].includes('"no-such-picture.png": no such file'),
      errors[0],
    );
    assertEquals(run.pixel(10, 10), GREEN);
  } finally {
    await run.close();
  }
});

Deno.test("!image draws a picture at its point and size, and again when the file changes", async () => {
  const folder = await Deno.makeTempDir();
  const picture = join(folder, "picture.png");
  writePng(picture, RED, BLUE);
  const run = await CanvasRun.start(
    canvasScene([
      { kind: "!image", filename: picture, point: [10, 20], size: [40, 20] },
    ]),
  );
  try {
    assertEquals(run.pixel(15, 30), RED, "left half");
    assertEquals(run.pixel(45, 30), BLUE, "right half");
    assertEquals(run.pixel(5, 30), TRANSPARENT);
    assertEquals(run.pixel(55, 30), TRANSPARENT);
    assertEquals(run.pixel(30, 45), TRANSPARENT);
    writePng(picture, GREEN, GREEN);
    // Written within the same second, the file may keep its time stamp.
    await Deno.utime(picture, Date.now() / 1000 + 5, Date.now() / 1000 + 5);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    run.frame(1);
    assertEquals(run.pixel(15, 30), GREEN, "the new picture");
    assertEquals(run.canvas.redraws, 2);
    assertEquals(run.log.records, []);
  } finally {
    await run.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("a missing font family is one warning naming its place; the text still draws", async () => {
  const run = await CanvasRun.start(canvasScene([
    {
      kind: "!group",
      font_family: "No Such Family",
      font_size: 30,
      children: [
        { kind: "!text", text: "Ab", point: [50, 50], color: 1 },
        { kind: "!text", text: "Cd", point: [150, 50], color: 1 },
      ],
    },
    { kind: "!rect", point: "=0;time", size: [1, 1], fill: true },
  ]));
  try {
    for (const time of [1, 2, 3]) run.frame(time);
    assertEquals(run.canvas.redraws, 4);
    assertEquals(run.log.at("warn"), [
      'warn scene.json: nodes[0].children[0].font_family: font family "No Such Family" is not installed; text falls back to the default font (fc-list : family lists the installed families)',
    ]);
    let ink = 0;
    for (let y = 30; y < 70; y++) {
      for (let x = 30; x < 70; x++) if (run.pixel(x, y)[3] === 255) ink++;
    }
    assert(ink > 50, `text pixels: ${ink}`);
  } finally {
    await run.close();
  }
});

Deno.test("a command that fails is warned about once with its place; the others draw", async () => {
  class Failing extends CanvasCommand {
    draw(): void {
      throw new RangeError("no good");
    }
  }
  registerCanvasCommand("failing_for_test", [], () => new Failing());
  const run = await CanvasRun.start(canvasScene([
    { kind: "!failing_for_test" },
    {
      kind: "!rect",
      point: "=0;time",
      size: [20, 20],
      fill: true,
      color: [0, 0, 1],
    },
  ]));
  try {
    for (const time of [1, 2]) run.frame(time);
    assertEquals(run.log.at("warn"), [
      "warn scene.json: nodes[0].children[0] (!failing_for_test): cannot draw: no good",
    ]);
    assertEquals(run.pixel(10, 10), BLUE);
  } finally {
    await run.close();
  }
});
