/**
 * `!canvas`: 2D drawing with Skia (`@napi-rs/canvas`), Flitter's drawing
 * canvas. Its children are drawing commands ({@linkcode CANVAS_KINDS}),
 * drawn in order onto a transparent surface of the node's size (origin top
 * left, y down); the canvas itself takes the attributes of a `!group`.
 *
 * A canvas redraws only when something changed: an attribute of the canvas
 * or of a command (an expression that depends on time changes every
 * frame), a command appearing or leaving (`if=`, live reload), a picture
 * file, or the size. Each redraw rasterises with Skia on the CPU, uploads
 * the pixels and converts them into the node's texture
 * ({@linkcode SkiaUpload}); {@linkcode CanvasNode.redraws} counts them.
 *
 * `colorbits=` (default 8, as Flitter's canvas) sets the output texture
 * (8: sRGB bytes; 16 or 32: floats); above 8, Skia also draws in half
 * floats. How the pixels are converted is an engine option,
 * `nodeOptions: { canvas: { conversion } }` ({@linkcode CanvasNodeOptions}).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatForColorbits, type TextureFormat } from "../gl/texture.ts";
import { LogOnce } from "../log/log_once.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  PassedDown,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../scene/node.ts";
import {
  AttributeSnapshot,
  CANVAS_KINDS,
  CanvasCommand,
  drawCommands,
  sameItems,
} from "./command.ts";
import { applyScope, GROUP_ATTRIBUTES, GROUP_SCOPE } from "./containers.ts";
import { DrawContext } from "./draw_context.ts";
import {
  loadSkia,
  type Skia2D,
  type SkiaCanvas,
  skiaFailure,
  skiaModule,
} from "./skia.ts";
import {
  CANVAS_CONVERSIONS,
  type CanvasConversion,
  SkiaUpload,
} from "./upload.ts";

/** What a program may choose for every `!canvas` (`EngineOptions.nodeOptions.canvas`). */
export interface CanvasNodeOptions {
  /** How Skia's pixels are converted (default `"auto"`; see {@linkcode CanvasConversion}). */
  conversion?: CanvasConversion;
}

/**
 * `options` (an engine's `nodeOptions.canvas`) checked.
 *
 * @throws {TypeError} for an unknown option or value
 */
export function canvasNodeOptions(
  options: object | undefined,
): CanvasNodeOptions {
  for (const [name, value] of Object.entries(options ?? {})) {
    if (name !== "conversion") {
      throw new TypeError(
        `nodeOptions.canvas.${name}: no such option (known: conversion)`,
      );
    }
    if (
      value !== undefined &&
      !(CANVAS_CONVERSIONS as readonly unknown[]).includes(value)
    ) {
      throw new TypeError(
        `nodeOptions.canvas.conversion: ${
          JSON.stringify(value)
        } is not one of ${CANVAS_CONVERSIONS.map((v) => `"${v}"`).join(", ")}`,
      );
    }
  }
  return (options ?? {}) as CanvasNodeOptions;
}

/** Where the last redraw of a canvas spent its time, in milliseconds. */
export interface CanvasTimings {
  /** Walking the commands and handing them to Skia. */
  draw: number;
  /** Skia rasterising them and handing over the pixels (`data()`). */
  pixels: number;
  /** Uploading them and issuing the conversion pass (the GPU may still be busy). */
  upload: number;
}

/** A `!canvas` node. */
export class CanvasNode extends SceneNode {
  /** Where the last redraw spent its time (for benchmarks and statistics). */
  readonly timings: CanvasTimings = { draw: 0, pixels: 0, upload: 0 };
  #attrs: Attributes | null = null;
  readonly #snapshot = new AttributeSnapshot();
  #changed = true;
  #present: readonly SceneNode[] = [];
  #commands: CanvasCommand[] = [];
  #width = 1;
  #height = 1;
  #format: TextureFormat = "srgb8";
  #canvas: SkiaCanvas | null = null;
  #context: Skia2D | null = null;
  #half = false;
  #upload: SkiaUpload | null = null;
  readonly #warnings = new LogOnce();
  #redraws = 0;
  readonly #passedDown = new PassedDown();
  readonly #conversion: CanvasConversion;

  /**
   * @param ctx the context it renders in (loading Skia starts now)
   * @throws {TypeError} when the engine's `nodeOptions.canvas` are wrong
   */
  constructor(ctx: RenderContext) {
    super();
    this.#conversion = canvasNodeOptions(ctx.nodeOptions.canvas).conversion ??
      "auto";
    const loading = loadSkia();
    if (skiaModule() === null) ctx.defer(loading);
  }

  /** How many times the canvas was drawn and uploaded (for tests and statistics). */
  get redraws(): number {
    return this.#redraws;
  }

  /** The drawing, linear and premultiplied, once drawn. */
  override get output() {
    return this.#upload?.output ?? null;
  }

  /** Reads the size and `colorbits=`, and whether any attribute changed. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.#attrs = attrs;
    if (this.#snapshot.update(attrs)) this.#changed = true;
    const size = attrs.vector("size", 2, null);
    let [width, height] = size === null
      ? inherited.size
      : size.map((value) => Math.max(1, Math.round(value)));
    if (!Number.isFinite(width) || !Number.isFinite(height)) {
      [width, height] = inherited.size;
    }
    const format = formatForColorbits(
      attrs.number("colorbits", null) ?? inherited.colorbits ?? 8,
    );
    if (
      width !== this.#width || height !== this.#height ||
      format !== this.#format
    ) {
      this.#width = width;
      this.#height = height;
      this.#format = format;
      this.#changed = true;
    }
    return this.#passedDown.set(width, height, inherited.colorbits);
  }

  /** Draws the commands when anything changed, and uploads the result. */
  render(ctx: RenderContext, children: readonly SceneNode[]): void {
    if (!sameItems(children, this.#present)) {
      this.#present = [...children];
      this.#commands = children.filter((child) =>
        child instanceof CanvasCommand
      ) as CanvasCommand[];
      this.#changed = true;
    }
    const skia = skiaModule();
    if (skia === null) {
      const failure = skiaFailure();
      if (failure !== null) {
        throw new Error(
          `!canvas needs the npm package @napi-rs/canvas (with its platform package, e.g. @napi-rs/canvas-linux-x64-gnu), which did not load: ${failure}`,
        );
      }
      return; // still loading: drawn once it is there
    }
    const attrs = this.#attrs;
    if (attrs === null) return;
    if (
      !this.#changed && this.#upload?.output &&
      !this.#commands.some((command) => command.hasChanged())
    ) return;
    const half = this.#format !== "srgb8";
    if (
      this.#canvas === null || this.#canvas.width !== this.#width ||
      this.#canvas.height !== this.#height || this.#half !== half
    ) {
      this.#canvas = skia.createCanvas(this.#width, this.#height);
      this.#context = this.#canvas.getContext("2d", {
        colorType: half ? "float16" : "unorm8",
      });
      this.#half = half;
    }
    const began = performance.now();
    const context = this.#context!;
    context.reset();
    const dc = new DrawContext(
      context,
      skia,
      (message) => this.#warnings.warn(ctx.log, message),
    );
    dc.scoped(() => {
      applyScope(dc, GROUP_SCOPE, attrs);
      drawCommands(dc, this.#commands);
    });
    const drawn = performance.now();
    const pixels = this.#canvas.data();
    const fetched = performance.now();
    this.#upload ??= new SkiaUpload(ctx.gl, this.#conversion);
    this.#upload.upload(pixels, this.#width, this.#height, half, this.#format);
    this.timings.draw = drawn - began;
    this.timings.pixels = fetched - drawn;
    this.timings.upload = performance.now() - fetched;
    this.#redraws++;
    this.#changed = false;
    for (const command of this.#commands) command.clearChanged();
  }

  /** Frees the texture and the Skia surface. */
  override destroy(): void {
    this.#upload?.destroy();
    this.#upload = null;
    this.#canvas = null;
    this.#context = null;
  }
}

registerNodeKind({
  name: "canvas",
  attributes: [...COMMON_ATTRIBUTES, "colorbits", ...GROUP_ATTRIBUTES],
  childKinds: CANVAS_KINDS,
  load: loadSkia,
  create: (ctx) => new CanvasNode(ctx),
});
