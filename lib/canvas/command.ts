/**
 * Drawing commands: the children of `!canvas`.
 *
 * They are nodes of their own registry, {@linkcode CANVAS_KINDS} (the
 * `childKinds` of `!canvas`), so inside a canvas `!image` and `!transform`
 * are drawing commands, not the render nodes of those names, and an
 * unknown command is a warning that leaves it out. The engine treats them
 * like any other node: it evaluates their attributes every frame, checks
 * `if=`, and keeps them across live reloads; in `prepare` a command only
 * notes its attributes and whether they changed, and the canvas draws the
 * whole tree of commands with Skia in its own `render` (children render
 * before their parent), only when something changed.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import { formatProblem, type SceneLocation } from "../scene/errors.ts";
import { type Value, valuesEqual } from "../expr/values.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  KindRegistry,
  type RenderContext,
  SceneNode,
} from "../scene/node.ts";
import type { DrawContext } from "./draw_context.ts";

/** The kinds of the nodes inside a `!canvas` (and inside its commands). */
export const CANVAS_KINDS: KindRegistry = new KindRegistry({
  owner: "canvas",
  unknownIsWarning: true,
});

/**
 * Remembers attribute values between frames to tell whether any changed
 * (a time-dependent expression changes them every frame; a constant never).
 */
export class AttributeSnapshot {
  #attrs: Attributes | null = null;
  #names: string[] = [];
  #values: Value[] = [];

  /** Whether `attrs` holds other names or values than last time; remembers them. */
  update(attrs: Attributes): boolean {
    if (attrs === this.#attrs && attrs.size === this.#names.length) {
      let index = 0;
      let same = true;
      for (const [name, value] of attrs.entries()) {
        if (
          this.#names[index] !== name ||
          !valuesEqual(this.#values[index], value)
        ) {
          same = false;
          break;
        }
        index++;
      }
      if (same) return false;
    }
    this.#attrs = attrs;
    this.#names = [];
    this.#values = [];
    for (const [name, value] of attrs.entries()) {
      this.#names.push(name);
      this.#values.push(value);
    }
    return true;
  }
}

/** Whether two lists hold the same items in the same order. */
export function sameItems(
  a: readonly unknown[],
  b: readonly unknown[],
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One drawing command: a node whose work is {@linkcode draw}, called by its canvas. */
export abstract class CanvasCommand extends SceneNode {
  /** The command's kind without `!` (set when it is created), for messages. */
  kind = "";
  /** This frame's attributes (those of the last `prepare`). */
  protected attrs: Attributes | null = null;
  readonly #snapshot = new AttributeSnapshot();
  #changed = true;
  #present: SceneNode[] = [];
  #commands: CanvasCommand[] = [];

  /** Notes this frame's attributes and whether they changed. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.attrs = attrs;
    if (this.#snapshot.update(attrs)) this.#changed = true;
    return inherited;
  }

  /** Notes which children are present; then {@linkcode rendered}. */
  render(ctx: RenderContext, children: readonly SceneNode[]): void {
    if (!sameItems(children, this.#present)) {
      this.#present = [...children];
      this.#commands = children.filter((child) =>
        child instanceof CanvasCommand
      ) as CanvasCommand[];
      this.#changed = true;
    }
    this.rendered(ctx);
  }

  /** Work of a command once per frame after its children (e.g. reading a file). */
  protected rendered(_ctx: RenderContext): void {}

  /** Where the command is in its scene (`null` before its first frame). */
  get location(): SceneLocation | null {
    const attrs = this.attrs;
    return attrs === null
      ? null
      : { file: attrs.file, path: `${attrs.path} (!${this.kind})` };
  }

  /** The commands below this one, in order. */
  get commands(): readonly CanvasCommand[] {
    return this.#commands;
  }

  /** Makes the canvas redraw (e.g. a file the command draws changed). */
  protected markChanged(): void {
    this.#changed = true;
  }

  /** Whether this command or one below it changed since {@linkcode clearChanged}. */
  hasChanged(): boolean {
    if (this.#changed) return true;
    for (const command of this.#commands) if (command.hasChanged()) return true;
    return false;
  }

  /** Forgets the changes (after the canvas drew them), here and below. */
  clearChanged(): void {
    this.#changed = false;
    for (const command of this.#commands) command.clearChanged();
  }

  /** Draws the command (and what it holds) with `dc`. */
  abstract draw(dc: DrawContext): void;

  /** Draws the commands below this one, in order (see {@linkcode drawCommands}). */
  protected drawCommands(dc: DrawContext): void {
    drawCommands(dc, this.#commands);
  }
}

/**
 * Draws `commands` in order. One that fails (Skia refusing a value) is
 * warned about once, with its place, and the others are drawn.
 */
export function drawCommands(
  dc: DrawContext,
  commands: readonly CanvasCommand[],
): void {
  for (const command of commands) {
    try {
      command.draw(dc);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const location = command.location;
      dc.warn(
        location === null
          ? message
          : formatProblem(location, `cannot draw: ${message}`),
      );
    }
  }
}

/** Registers a drawing command `!name` with the attributes it reads. */
export function registerCanvasCommand(
  name: string,
  attributes: readonly string[],
  create: () => CanvasCommand,
): void {
  CANVAS_KINDS.register({
    name,
    attributes: [...COMMON_ATTRIBUTES, ...attributes],
    create: () => {
      const command = create();
      command.kind = name;
      return command;
    },
  });
}
