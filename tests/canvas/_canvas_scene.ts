/**
 * Helpers of the `!canvas` tests: a scene of one canvas (`id = "c"`,
 * 200x100 unless given) holding drawing commands, rendered by the real
 * engine (Skia and Mesa), and a logger that keeps what it is told.
 *
 * @module
 */

import { Engine, type EngineOptions } from "../../lib/engine/engine.ts";
import { Logger, type LogLevel } from "../../lib/log/logger.ts";
import { loadSkia } from "../../lib/canvas/skia.ts";
import type { CanvasNode } from "../../lib/canvas/canvas_node.ts";
import { pixelAt } from "../_assert.ts";

/** A node of a test scene, written as in a JSON scene file. */
export type SceneNodeData = { kind: string; [name: string]: unknown };

/** JSON of a scene with one canvas holding `commands`. */
export function canvasScene(
  commands: SceneNodeData[],
  attrs: Record<string, unknown> = {},
): string {
  return JSON.stringify([{
    kind: "!canvas",
    id: "c",
    size: [200, 100],
    ...attrs,
    children: commands,
  }]);
}

/** A logger that keeps its records (`level message`) instead of printing them. */
export class RecordingLogger extends Logger {
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

/** A rendered canvas: its engine and the picture of its last frame. */
export class CanvasRun {
  /** The picture (8-bit sRGB, premultiplied, top row first). */
  image: { width: number; height: number; data: Uint8Array };

  private constructor(readonly engine: Engine, readonly log: RecordingLogger) {
    engine.renderFrame(0);
    this.image = engine.readImage("c");
  }

  /** Loads Skia, builds the engine for `text` and renders frame 0. */
  static async start(
    text: string,
    options: EngineOptions = {},
  ): Promise<CanvasRun> {
    await loadSkia();
    const log = new RecordingLogger();
    return new CanvasRun(
      Engine.fromText(text, "scene.json", { log, ...options }),
      log,
    );
  }

  /** Renders a frame at `time` seconds and reads the picture again. */
  frame(time: number): void {
    this.engine.renderFrame(time);
    this.image = this.engine.readImage("c");
  }

  /** RGBA at `x`,`y`. */
  pixel(x: number, y: number): number[] {
    return pixelAt(this.image.data, this.image.width, x, y);
  }

  /** The canvas node. */
  get canvas(): CanvasNode {
    return this.engine.node("c") as CanvasNode;
  }

  /** Closes the engine. */
  async close(): Promise<void> {
    await this.engine.dispose();
  }
}

/** Runs `body` on the canvas of `commands`, then closes it. */
export async function withCanvas(
  commands: SceneNodeData[],
  body: (run: CanvasRun) => void | Promise<void>,
  attrs: Record<string, unknown> = {},
): Promise<void> {
  const run = await CanvasRun.start(canvasScene(commands, attrs));
  try {
    await body(run);
  } finally {
    await run.close();
  }
}
