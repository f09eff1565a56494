/**
 * The on-screen side of a `!window` node: opens its window on the first
 * frame (when the engine has a display), keeps it as the attributes say
 * (`title=`, `fullscreen=`, `screen=`, `cursor=`, `vsync=`, the size),
 * shows the node's output in it after each frame, feeds `!key` and
 * `!pointer` children, and asks the engine to end the run when the user
 * closes it. Without a display it does nothing but say, once, why the
 * window renders offscreen.
 *
 * @module
 */

import { basename } from "node:path";
import type { Texture } from "../../gl/texture.ts";
import { getLogger } from "../../log/logger.ts";
import type { Attributes } from "../../scene/attributes.ts";
import type { RenderContext, SceneNode } from "../../scene/node.ts";
import type { Monitor } from "../../window/display.ts";
import type {
  ScreenWindow,
  WindowSettings,
} from "../../window/native_window.ts";
import { InputNode } from "./input.ts";

const log = getLogger("render");
let notedHeadless = false;

/** What decides the window's settings (compared frame to frame). */
interface Wanted {
  width: number;
  height: number;
  title: string;
  fullscreen: boolean;
  screen: number;
  cursor: boolean;
  vsync: boolean;
}

function sameWanted(a: Wanted, b: Wanted): boolean {
  return a.width === b.width && a.height === b.height &&
    a.title === b.title && a.fullscreen === b.fullscreen &&
    a.screen === b.screen && a.cursor === b.cursor && a.vsync === b.vsync;
}

/** The window of one `!window` node. */
export class WindowScreen {
  #window: ScreenWindow | null = null;
  /** The window could not open: the node renders offscreen for good. */
  #failed = false;
  #wanted: Wanted | null = null;
  #monitors: Monitor[] = [];
  #warnedScreen: number | null = null;
  #ended = false;

  /** The window, while one is open. */
  get window(): ScreenWindow | null {
    return this.#window;
  }

  /** Opens or updates the window from this frame's attributes. */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    width: number,
    height: number,
  ): void {
    const windows = ctx.windows;
    if (windows === undefined) {
      if (!notedHeadless) {
        notedHeadless = true;
        log.info("!window renders offscreen: no display here");
      }
      return;
    }
    if (this.#failed) return;
    if (!windows.available) {
      if (this.#window === null && windows.lost === null) {
        windows.noteOffscreen(log);
      }
      return;
    }
    const defaults = windows.defaults;
    const fullscreen = attrs.boolean("fullscreen", defaults.fullscreen);
    const wanted: Wanted = {
      width,
      height,
      title: attrs.string("title", null) ??
        (attrs.file ? basename(attrs.file) : "flitter"),
      fullscreen,
      screen: Math.floor(attrs.number("screen", defaults.screen)),
      cursor: attrs.boolean("cursor", !fullscreen),
      vsync: attrs.boolean("vsync", defaults.vsync),
    };
    const previous = this.#wanted;
    if (previous !== null && sameWanted(previous, wanted)) return;
    this.#wanted = wanted;
    const screenChanged = previous === null ||
      previous.screen !== wanted.screen ||
      previous.fullscreen !== wanted.fullscreen;
    if (screenChanged) this.#monitors = windows.monitors();
    const settings: WindowSettings = {
      width,
      height,
      title: wanted.title,
      fullscreen: wanted.fullscreen,
      monitor: this.#monitor(attrs, wanted.screen),
      cursor: wanted.cursor,
      vsync: wanted.vsync,
    };
    if (this.#window !== null) {
      this.#window.apply(settings);
      return;
    }
    try {
      this.#window = windows.open(ctx.gl, settings);
      ctx.gl.ensureCurrent();
      log.debug(
        `${attrs.path}: window "${wanted.title}" open, presenting by ${this.#window.presenting}`,
      );
    } catch (error) {
      this.#failed = true;
      ctx.gl.ensureCurrent();
      log.warn(
        `${
          attrs.file ? `${attrs.file}: ` : ""
        }${attrs.path}: cannot open a window (${
          (error as Error).message
        }); rendering offscreen`,
      );
    }
  }

  /** The monitor for `screen=`; warns once and takes the primary when absent. */
  #monitor(attrs: Attributes, screen: number): Monitor | null {
    const monitors = this.#monitors;
    if (monitors.length === 0) return null;
    if (screen >= 0 && screen < monitors.length) {
      this.#warnedScreen = null;
      return monitors[screen];
    }
    if (this.#warnedScreen !== screen) {
      this.#warnedScreen = screen;
      log.warn(
        `${
          attrs.file ? `${attrs.file}: ` : ""
        }${attrs.path}.screen: there is no screen ${screen} (screens here: 0${
          monitors.length > 1 ? `–${monitors.length - 1}` : ""
        }); using the primary screen`,
      );
    }
    return monitors[0];
  }

  /**
   * Shows `picture` in the window, feeds the input children, and asks the
   * engine to end the run once the window was closed.
   */
  present(
    ctx: RenderContext,
    picture: Texture | null,
    children: readonly SceneNode[],
  ): void {
    const window = this.#window;
    if (window === null) return;
    if (window.closeRequested) {
      if (!this.#ended) {
        this.#ended = true;
        ctx.endRun?.(`The window "${this.#wanted?.title}" was closed`);
      }
      return;
    }
    if (!window.usable) return;
    window.present(ctx.gl, picture);
    for (const child of children) {
      if (child instanceof InputNode) child.receive(ctx, window);
    }
  }

  /** Closes the window. */
  close(): void {
    this.#window?.close();
    this.#window = null;
  }
}
