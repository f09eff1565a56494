/**
 * `!canvas` benchmark: what a 1280x720 canvas of text and shapes costs per
 * frame when it is redrawn (a rotation that follows time), where that time
 * goes, and what a frame costs when nothing changed (no redraw).
 *
 * - engine frame, redrawn: one lockstep frame of the engine with the canvas
 *   redrawn, up to `glFinish` (so a conversion pass is counted), split into
 *   the canvas's own timings: draw (walking the commands, handing them to
 *   Skia), pixels (Skia rasterising, `data()`), convert_upload (the
 *   conversion and upload; a GPU pass is only issued there); with the default conversion (on the CPU
 *   on llvmpipe) and with the GPU pass
 * - the same at `colorbits = 16` (Skia draws in half floats; GPU pass)
 * - engine frame, unchanged: the same scene without time in it
 * - conversion and upload alone (with `glFinish`), on the GPU and on the
 *   CPU, and handing over the pixels of a drawn surface: Skia's `data()`
 *   (premultiplied, what the canvas uses) and `getImageData`
 *   (unpremultiplied)
 * - loading `@napi-rs/canvas` (first use in the process)
 *
 * Each figure is the best of five rounds (by median); other processes may
 * share the machine. Under a minute.
 *
 * Run: `deno run -A bench/canvas_bench.ts` → `bench/results/canvas.json`.
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";
import { GLContext } from "../lib/gl/context.ts";
import { setLogLevel } from "../lib/log/logger.ts";
import type { CanvasNode } from "../lib/canvas/canvas_node.ts";
import { loadSkia, skiaModule } from "../lib/canvas/skia.ts";
import { type CanvasConversion, SkiaUpload } from "../lib/canvas/upload.ts";

setLogLevel("warn");

const WIDTH = 1280;
const HEIGHT = 720;

interface Figure {
  frames: number;
  median_ms: number;
  mean_ms: number;
  min_ms: number;
}

/** Rounds of each measurement; other processes share the machine. */
const ROUNDS = 5;

/** Times `body` over `frames` frames in {@linkcode ROUNDS} rounds; the round with the lowest median. */
function measure(
  frames: number,
  body: (frame: number, round: number) => void,
): Figure & { round: number } {
  for (let i = 0; i < 3; i++) body(i, -1); // warm-up
  let best: Figure & { round: number } | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      const start = performance.now();
      body(i, round);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const figure = {
      frames,
      median_ms: round3(times[Math.floor(frames / 2)]),
      mean_ms: round3(times.reduce((sum, time) => sum + time, 0) / frames),
      min_ms: round3(times[0]),
      round,
    };
    if (best === null || figure.median_ms < best.median_ms) best = figure;
  }
  return best!;
}

/** A figure of {@linkcode measure} without its round. */
function figureOf(measured: Figure & { round: number }): Figure {
  const { round: _, ...figure } = measured;
  return figure;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round3(sorted[Math.floor(sorted.length / 2)]);
}

/** A title card: gradient, frame, title with shadow, 12 lines of text, 24 shapes, a spinning group. */
function scene(animated: boolean, colorbits: number): string {
  const shapes = [];
  for (let i = 0; i < 24; i++) {
    const x = 80 + (i % 12) * 95;
    const y = i < 12 ? 560 : 640;
    shapes.push(
      i % 2 === 0
        ? {
          kind: "!rect",
          point: [x, y],
          size: [60, 40],
          radius: 8,
          fill: true,
          color: [0.2, 0.4, 0.9],
        }
        : {
          kind: "!ellipse",
          point: [x + 30, y + 20],
          radius: [30, 20],
          fill: true,
          color: [0.9, 0.3, 0.1],
        },
    );
  }
  const lines = [];
  for (let i = 0; i < 12; i++) {
    lines.push({
      kind: "!text",
      text: `Line ${i + 1}: the quick brown fox jumps over the lazy dog`,
      point: [80, 260 + i * 22],
      center: false,
      font_size: 18,
      color: 0.8,
    });
  }
  return JSON.stringify([{
    kind: "!canvas",
    id: "c",
    size: [WIDTH, HEIGHT],
    colorbits,
    children: [
      {
        kind: "!group",
        children: [
          {
            kind: "!gradient",
            start: [0, 0],
            end: [0, HEIGHT],
            children: [
              { kind: "!stop", color: [0.01, 0.01, 0.03] },
              { kind: "!stop", color: [0.05, 0.01, 0.08] },
            ],
          },
          { kind: "!rect", size: [WIDTH, HEIGHT], fill: true },
        ],
      },
      {
        kind: "!rect",
        point: [40, 40],
        size: [WIDTH - 80, HEIGHT - 80],
        radius: 24,
        stroke: true,
        stroke_width: 3,
        color: 0.3,
      },
      {
        kind: "!group",
        translate: [640, 150],
        children: [
          { kind: "!shadow", radius: 6, offset: [0, 6], color: [0, 0, 0, 0.8] },
          {
            kind: "!text",
            text: "Canvas benchmark",
            font_size: 96,
            font_weight: ":bold",
            color: 1,
          },
        ],
      },
      ...lines,
      ...shapes,
      {
        kind: "!group",
        translate: [1000, 380],
        rotate: animated ? "=time / 4" : 0.1,
        children: [
          { kind: "!rect", point: [-80, -80], size: [160, 160] },
          { kind: "!stroke", stroke_width: 6, color: [1, 0.4, 0.1] },
          { kind: "!arc", radius: 60, start: 0, sweep: 0.7 },
          { kind: "!stroke", stroke_width: 10, stroke_cap: ":round", color: 1 },
        ],
      },
    ],
  }]);
}

const results: Record<string, unknown> = {
  cpus: navigator.hardwareConcurrency,
  // Other processes share the machine: the 1/5/15-minute load at the start.
  load_average: Deno.loadavg(),
  date: new Date().toISOString(),
  scene:
    "1280x720: gradient background, framed 96 px title with a shadow, 12 lines of 18 px text, 24 rounded rects and ellipses, a rotating square and arc",
};

const loadStart = performance.now();
await loadSkia();
results.load_napi_canvas_ms = round3(performance.now() - loadStart);
const skia = skiaModule()!;

/** Per-frame figures of the canvas scene in the engine. */
function engineFigures(
  animated: boolean,
  colorbits: number,
  frames: number,
  conversion: CanvasConversion = "auto",
) {
  const engine = Engine.fromText(scene(animated, colorbits), "bench.json", {
    lockstep: true,
    nodeOptions: { canvas: { conversion } },
  });
  const canvas = () => engine.node("c") as CanvasNode;
  // The canvas's timings of each redraw, by round.
  const draw: number[][] = [], pixels: number[][] = [], upload: number[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    draw.push([]);
    pixels.push([]);
    upload.push([]);
  }
  const { round, ...figure } = measure(frames, (frame, round) => {
    const before = canvas()?.redraws ?? 0;
    engine.renderFrame(frame / 60);
    engine.gl.finish();
    if (round >= 0 && canvas().redraws !== before) {
      draw[round].push(canvas().timings.draw);
      pixels[round].push(canvas().timings.pixels);
      upload[round].push(canvas().timings.upload);
    }
  });
  const redraws = canvas().redraws;
  engine.close();
  return {
    frame: figure,
    redraws,
    ...(animated
      ? {
        // (of the same round as the frame figures)
        median_draw_ms: median(draw[round]),
        median_pixels_ms: median(pixels[round]),
        median_convert_upload_ms: median(upload[round]),
      }
      : {}),
  };
}

results.engine_frame_redrawn_8bit = engineFigures(true, 8, 30);
results.engine_frame_redrawn_8bit_gpu_conversion = engineFigures(
  true,
  8,
  30,
  "gpu",
);
results.engine_frame_redrawn_16bit = engineFigures(true, 16, 30);
results.engine_frame_unchanged = engineFigures(false, 8, 100);

// Conversion and upload alone, of a drawn 1280x720 surface (translucent fill, text).
{
  const gl = GLContext.create();
  const surface = skia.createCanvas(WIDTH, HEIGHT);
  const context = surface.getContext("2d");
  context.fillStyle = "rgb(200 100 50 / 0.5)";
  context.fillRect(0, 0, WIDTH, HEIGHT);
  context.font = "48px sans-serif";
  context.fillText("pixels", 100, 100);
  const pixels = surface.data();
  for (const conversion of ["gpu", "cpu"] as const) {
    const upload = new SkiaUpload(gl, conversion);
    results[`convert_and_upload_${conversion}_finish`] = figureOf(
      measure(60, () => {
        upload.upload(pixels, WIDTH, HEIGHT, false, "srgb8");
        gl.finish();
      }),
    );
    upload.destroy();
  }
  // Handing over the pixels of a surface already drawn (no rasterising).
  results.skia_data_premultiplied_copy = figureOf(
    measure(30, () => surface.data()),
  );
  results.skia_get_image_data_unpremultiplied_copy = figureOf(
    measure(30, () => context.getImageData(0, 0, WIDTH, HEIGHT)),
  );
  gl.destroy();
}

const path = new URL("./results/canvas.json", import.meta.url);
Deno.writeTextFileSync(path, JSON.stringify(results, null, 2) + "\n");
console.log(JSON.stringify(results, null, 2));
