/**
 * {@linkcode WindowManager}: what one engine knows about on-screen windows:
 * whether they can be opened (and if not, why), the command line's
 * defaults (`--fullscreen`, `--screen`, `--vsync`), the GL context (made
 * on the window system's display when windows are possible, so window
 * surfaces can show the engine's textures directly), event polling, and
 * whether the display went away.
 *
 * @module
 */

import { GLContext } from "../gl/context.ts";
import { createWindowSystemSession } from "../gl/egl_window.ts";
import type { Logger } from "../log/logger.ts";
import { Display, DisplayUnavailable, type Monitor } from "./display.ts";
import {
  NativeWindow,
  type ScreenWindow,
  type WindowSettings,
} from "./native_window.ts";

/** How an engine treats `!window` nodes. */
export interface WindowOptions {
  /**
   * Render every `!window` offscreen, giving this reason in the info line
   * (e.g. `"--offscreen"`); `null` or absent: open windows when a display
   * is available.
   */
  offscreen?: string | null;
  /** Windows open full screen unless `fullscreen=` says otherwise (`--fullscreen`). */
  fullscreen?: boolean;
  /** The screen windows open on unless `screen=` says otherwise (`--screen N`). */
  screen?: number;
  /** Swaps wait for vertical blank unless `vsync=` says otherwise (`--vsync`). */
  vsync?: boolean;
}

/** Window defaults from the command line. */
export interface WindowDefaults {
  /** `--fullscreen`. */
  readonly fullscreen: boolean;
  /** `--screen N`. */
  readonly screen: number;
  /** `--vsync`. */
  readonly vsync: boolean;
}

/** On-screen windows for one engine. */
export class WindowManager {
  /** Defaults for attributes a `!window` does not give. */
  readonly defaults: WindowDefaults;
  #display: Display | null = null;
  #reason: string | null;
  /** Whether {@linkcode reason} is a fault (warned) rather than a choice (info). */
  #fault = false;
  #noted = false;

  /**
   * Connects to the display unless `options` is absent or says offscreen;
   * never throws: without a usable display, windows render offscreen and
   * {@linkcode reason} says why.
   */
  constructor(options?: WindowOptions | null) {
    this.defaults = {
      fullscreen: options?.fullscreen ?? false,
      screen: Math.max(0, Math.floor(options?.screen ?? 0)),
      vsync: options?.vsync ?? false,
    };
    if (options === undefined || options === null) {
      this.#reason = "this engine was made without on-screen windows";
      return;
    }
    if (options.offscreen) {
      this.#reason = options.offscreen;
      return;
    }
    try {
      this.#display = Display.acquire();
      this.#reason = null;
    } catch (error) {
      if (!(error instanceof DisplayUnavailable)) throw error;
      this.#reason = error.message;
      // A display was named but cannot be used: that is worth a warning.
      this.#fault = !error.message.startsWith("no display");
    }
  }

  /** Whether `!window` nodes open on-screen windows. */
  get available(): boolean {
    return this.#display !== null && this.#display.lost === null;
  }

  /** Why windows render offscreen, or `null` when they open on screen. */
  get reason(): string | null {
    return this.#display?.lost ?? this.#reason;
  }

  /** The X server (or compositor) went away: why, else `null`. */
  get lost(): string | null {
    return this.#display?.lost ?? null;
  }

  /**
   * The engine's GL context: on the window system's display when windows
   * are possible, else headless (surfaceless or EGL device). When the
   * display cannot give a context, windows render offscreen and a
   * headless context is made instead.
   *
   * @throws {EGLError} when not even a headless context can be had
   */
  createContext(): GLContext {
    const display = this.#display;
    if (display !== null) {
      try {
        return GLContext.fromSession(createWindowSystemSession(display.native));
      } catch (error) {
        this.#reason = `the display gives no OpenGL ES context: ${
          (error as Error).message
        }`;
        this.#fault = true;
        this.#display = null;
        display.release();
      }
    }
    return GLContext.create();
  }

  /** The monitors (the primary first); empty without a display. */
  monitors(): Monitor[] {
    return this.available ? this.#display!.monitors() : [];
  }

  /**
   * Opens a window for `gl` (the context from {@linkcode createContext}).
   *
   * @throws {WindowError} when the window system or EGL refuses it
   */
  open(gl: GLContext, settings: WindowSettings): ScreenWindow {
    if (!this.available) throw new Error(`No display: ${this.reason}`);
    return new NativeWindow(this.#display!, gl, settings);
  }

  /** Handles pending window events (input, resizes, close requests). */
  poll(): void {
    this.#display?.poll();
  }

  /**
   * Logs, once, that `!window` nodes render offscreen and why (a warning
   * when a display was expected but failed, else an info line).
   */
  noteOffscreen(log: Logger): void {
    if (this.#noted) return;
    this.#noted = true;
    const message = `!window renders offscreen: ${this.reason}`;
    if (this.#fault) log.warn(message);
    else log.info(message);
  }

  /** Lets go of the display (call after every window and the GL context are gone). */
  dispose(): void {
    this.#display?.release();
    this.#display = null;
    this.#reason = "the engine is closed";
  }
}
