/**
 * Helpers for `!canvas3d` pixel tests: a window (id "out", 8-bit) holding
 * a canvas with the given attributes and 3D children, written as TOML;
 * rendered by the real engine on Mesa; pixels read back as sRGB bytes.
 *
 * @module
 */

import { ok as assert } from "node:assert/strict";
import { Engine, type EngineOptions } from "../../lib/engine/engine.ts";
import { Logger, type LogLevel } from "../../lib/log/logger.ts";

/** A value as TOML (numbers, strings, booleans, arrays). */
function toml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toml).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** A 3D node: kind, attributes, children. */
export interface Node3D {
  kind: string;
  attrs?: Record<string, unknown>;
  children?: Node3D[];
}

function nodeText(node: Node3D, path: string): string {
  let text = `\n[[${path}]]\nkind = ${toml(node.kind)}\n`;
  for (const [name, value] of Object.entries(node.attrs ?? {})) {
    text += `${name} = ${toml(value)}\n`;
  }
  for (const child of node.children ?? []) {
    text += nodeText(child, `${path}.children`);
  }
  return text;
}

/**
 * A scene: `!window id="out"` of `size` (8-bit) holding `before` nodes,
 * then a `!canvas3d` with `canvas` attributes and `children`.
 */
export function canvasScene(
  canvas: Record<string, unknown>,
  children: Node3D[],
  options: { size?: [number, number]; before?: Node3D[] } = {},
): string {
  const window: Node3D = {
    kind: "!window",
    attrs: { id: "out", size: options.size ?? [200, 200], colorbits: 8 },
    children: [
      ...(options.before ?? []),
      { kind: "!canvas3d", attrs: canvas, children },
    ],
  };
  return nodeText(window, "nodes");
}

/** Renders `text` for one frame; returns the engine (close it). */
export function renderScene(
  text: string,
  options: EngineOptions = {},
): Engine {
  const engine = Engine.fromText(text, "scene.toml", options);
  engine.renderFrame();
  return engine;
}

/** The sRGB RGBA bytes of the window "out" at x, y (top row 0). */
export function pixel(engine: Engine, x: number, y: number): number[] {
  const image = engine.readImage("out");
  const offset = (y * image.width + x) * 4;
  return [...image.data.subarray(offset, offset + 4)];
}

/** Asserts every channel within `tolerance` of `expected`. */
export function assertNear(
  actual: number[],
  expected: number[],
  tolerance = 6,
  what = "",
): void {
  assert(
    actual.every((value, i) => Math.abs(value - expected[i]) <= tolerance),
    `${what}: expected ${expected}, got ${actual}`,
  );
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
