/**
 * {@linkcode NativeWindow}: one on-screen window (GLFW, no client API): its
 * settings (title, size, full screen, monitor, cursor), its input, and a
 * presenter (`presenters.ts`) that shows the engine's textures in it with
 * the engine's own GL context, letterboxed.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { cString, GLFW_CONST } from "../gl/glfw.ts";
import type { Texture } from "../gl/texture.ts";
import type { Display, Monitor, WindowEvents } from "./display.ts";
import { WindowInput } from "./input.ts";
import {
  choosePresenter,
  type PictureRect,
  type Presenter,
} from "./presenters.ts";

export { letterbox, type PictureRect } from "./presenters.ts";

/** How a window should be; {@linkcode NativeWindow.apply} makes it so. */
export interface WindowSettings {
  /** Window size in screen units when not full screen. */
  width: number;
  /** Window size in screen units when not full screen. */
  height: number;
  /** Title. */
  title: string;
  /** Full screen on {@linkcode monitor}. */
  fullscreen: boolean;
  /** The monitor to open or go full screen on. */
  monitor: Monitor | null;
  /** Whether the pointer is shown over the window. */
  cursor: boolean;
  /** Whether swaps wait for vertical blank (EGL presenting only). */
  vsync: boolean;
}

/** A window could not be opened. */
export class WindowError extends Error {
  /**
   * An error saying why the window could not be opened.
   *
   * @param message why, for the user
   */
  constructor(message: string) {
    super(message);
    this.name = "WindowError";
  }
}

const CHECK_INTERVAL_MS = 500;

/** An open on-screen window, as nodes see it. */
export interface ScreenWindow {
  /** Keyboard and pointer input. */
  readonly input: WindowInput;
  /** The X11 window ID (X11 only). */
  readonly x11Window: bigint | null;
  /** Whether the user asked to close the window (or it was destroyed). */
  readonly closeRequested: boolean;
  /** Framebuffer size in pixels (larger than the window's on HiDPI screens). */
  readonly framebufferSize: readonly [number, number];
  /** Window size in screen units. */
  readonly windowSize: readonly [number, number];
  /** Whether the window is usable (not closed, destroyed or disconnected). */
  readonly usable: boolean;
  /** How pictures reach the screen: `"egl"` or `"shm"` (see `presenters.ts`). */
  readonly presenting: string | null;
  /** Changes what differs from the current settings. */
  apply(settings: WindowSettings): void;
  /** Shows `picture` (or black), scaled to fit and centred, and swaps. */
  present(gl: GLContext, picture: Texture | null): void;
  /**
   * The pointer over the picture, 0..1 from its left and top edges, or
   * `null` when it is outside the picture (or its position is unknown).
   */
  pointerPosition(): [number, number] | null;
  /** Closes the window (idempotent). */
  close(): void;
}

/** One on-screen window (a GLFW window and its presenter). */
export class NativeWindow implements ScreenWindow {
  /** Keyboard and pointer input. */
  readonly input: WindowInput = new WindowInput();
  readonly #display: Display;
  readonly #handle: Deno.PointerObject;
  readonly #x11Window: bigint | null;
  #presenter: Presenter | null = null;
  #settings: WindowSettings;
  #windowSize: [number, number];
  #framebufferSize: [number, number];
  /** Windowed position and size to return to after full screen. */
  #restore: [number, number, number, number] | null = null;
  #closeRequested = false;
  #gone = false;
  #closed = false;
  /** Where the last picture was drawn (framebuffer pixels), for the pointer. */
  #picture: PictureRect | null = null;
  #checkedAt = 0;

  /**
   * Opens a window for `gl` (a context on `display`'s EGL display).
   *
   * @throws {WindowError} when the window system or EGL refuses it
   */
  constructor(display: Display, gl: GLContext, settings: WindowSettings) {
    this.#display = display;
    this.#settings = { ...settings };
    const glfw = display.libraries.glfw;
    display.lastError(); // clear
    glfw.glfwDefaultWindowHints();
    glfw.glfwWindowHint(GLFW_CONST.CLIENT_API, GLFW_CONST.NO_API);
    glfw.glfwWindowHint(GLFW_CONST.VISIBLE, GLFW_CONST.FALSE);
    glfw.glfwWindowHint(GLFW_CONST.RESIZABLE, GLFW_CONST.TRUE);
    glfw.glfwWindowHint(GLFW_CONST.SCALE_TO_MONITOR, GLFW_CONST.TRUE);
    glfw.glfwWindowHint(GLFW_CONST.AUTO_ICONIFY, GLFW_CONST.FALSE);
    const handle = glfw.glfwCreateWindow(
      settings.width,
      settings.height,
      cString(settings.title),
      null,
      null,
    );
    display.rearm();
    if (handle === null) {
      throw new WindowError(
        `the window system refused a ${settings.width}x${settings.height} window: ${
          display.lastError() ?? "unknown error"
        }`,
      );
    }
    this.#handle = handle;
    const x11 = display.libraries.platform === "x11"
      ? BigInt(glfw.glfwGetX11Window!(handle))
      : null;
    this.#x11Window = x11;
    const width = new Int32Array(1);
    const height = new Int32Array(1);
    glfw.glfwGetWindowSize(handle, width, height);
    this.#windowSize = [width[0], height[0]];
    glfw.glfwGetFramebufferSize(handle, width, height);
    this.#framebufferSize = [width[0], height[0]];
    try {
      this.#presenter = choosePresenter(
        display,
        gl,
        x11 ?? this.#waylandSurface(),
        this.#framebufferSize[0],
        this.#framebufferSize[1],
      );
    } catch (error) {
      this.#destroyNative();
      throw new WindowError(
        `EGL cannot draw into the window: ${(error as Error).message}`,
      );
    }
    display.register(handle, this.#events(), x11);
    this.#placeOn(settings.monitor);
    if (settings.fullscreen) this.#enterFullscreen(settings.monitor);
    this.#applyCursor();
    glfw.glfwShowWindow(handle);
    display.rearm();
  }

  #waylandSurface(): Deno.PointerObject {
    const surface = this.#display.libraries.glfw.glfwGetWaylandWindow!(
      this.#handle,
    );
    if (surface === null) throw new WindowError("GLFW gave no wl_surface");
    return surface;
  }

  /** How pictures reach the screen: `"egl"` or `"shm"` (see `presenters.ts`). */
  get presenting(): string | null {
    return this.#presenter?.kind ?? null;
  }

  /** The X11 window ID (X11 only), e.g. for tests. */
  get x11Window(): bigint | null {
    return this.#x11Window;
  }

  /** Whether the user asked to close the window (or it was destroyed). */
  get closeRequested(): boolean {
    return this.#closeRequested || this.#gone;
  }

  /** Framebuffer size in pixels (larger than the window's on HiDPI screens). */
  get framebufferSize(): readonly [number, number] {
    return this.#framebufferSize;
  }

  /** Window size in screen units. */
  get windowSize(): readonly [number, number] {
    return this.#windowSize;
  }

  /** Whether the window is usable (not closed, destroyed or disconnected). */
  get usable(): boolean {
    return !this.#closed && !this.#gone && this.#display.lost === null;
  }

  /** Changes what differs from the current settings. */
  apply(settings: WindowSettings): void {
    if (!this.usable) return;
    const glfw = this.#display.libraries.glfw;
    const old = this.#settings;
    this.#settings = { ...settings };
    if (settings.title !== old.title) {
      glfw.glfwSetWindowTitle(this.#handle, cString(settings.title));
    }
    const monitorChanged = settings.monitor?.index !== old.monitor?.index;
    if (settings.fullscreen && (!old.fullscreen || monitorChanged)) {
      this.#enterFullscreen(settings.monitor);
    } else if (!settings.fullscreen && old.fullscreen) {
      this.#leaveFullscreen();
      if (monitorChanged) this.#placeOn(settings.monitor);
    } else if (!settings.fullscreen) {
      if (settings.width !== old.width || settings.height !== old.height) {
        glfw.glfwSetWindowSize(this.#handle, settings.width, settings.height);
      }
      if (monitorChanged) this.#placeOn(settings.monitor);
    }
    if (
      settings.cursor !== old.cursor || settings.fullscreen !== old.fullscreen
    ) this.#applyCursor();
    this.#display.rearm();
  }

  /** Centres the window on `monitor` (windowed). */
  #placeOn(monitor: Monitor | null): void {
    if (monitor === null || this.#display.libraries.platform !== "x11") return;
    const [width, height] = this.#windowSize;
    this.#display.libraries.glfw.glfwSetWindowPos(
      this.#handle,
      monitor.x + Math.max(0, Math.floor((monitor.width - width) / 2)),
      monitor.y + Math.max(0, Math.floor((monitor.height - height) / 2)),
    );
  }

  #enterFullscreen(monitor: Monitor | null): void {
    if (monitor === null) return;
    const glfw = this.#display.libraries.glfw;
    if (this.#restore === null) {
      const x = new Int32Array(1);
      const y = new Int32Array(1);
      glfw.glfwGetWindowPos(this.#handle, x, y);
      this.#restore = [
        x[0],
        y[0],
        this.#settings.width,
        this.#settings.height,
      ];
    }
    // The monitor's current mode: no mode switch, just the whole screen.
    glfw.glfwSetWindowMonitor(
      this.#handle,
      monitor.handle,
      0,
      0,
      monitor.width,
      monitor.height,
      monitor.refreshRate,
    );
  }

  #leaveFullscreen(): void {
    const glfw = this.#display.libraries.glfw;
    const [x, y] = this.#restore ?? [0, 0];
    glfw.glfwSetWindowMonitor(
      this.#handle,
      null,
      x,
      y,
      this.#settings.width,
      this.#settings.height,
      0,
    );
    this.#restore = null;
  }

  #applyCursor(): void {
    this.#display.libraries.glfw.glfwSetInputMode(
      this.#handle,
      GLFW_CONST.CURSOR,
      this.#settings.cursor
        ? GLFW_CONST.CURSOR_NORMAL
        : GLFW_CONST.CURSOR_HIDDEN,
    );
  }

  /**
   * Shows `picture` (or black), scaled to fit the window and centred. The
   * engine's context may be left current with this window's surface; the
   * engine renders into framebuffer objects, which that does not disturb.
   */
  present(gl: GLContext, picture: Texture | null): void {
    if (!this.usable || this.#presenter === null) return;
    const [width, height] = this.#framebufferSize;
    if (width > 0 && height > 0) { // else minimised
      this.#picture = this.#presenter.present(
        gl,
        picture,
        width,
        height,
        this.#settings.vsync,
      );
    }
    this.#checkAlive();
  }

  /**
   * Asks the X server, twice a second, whether the window still exists:
   * another client may destroy it (no close request comes then, and GLFW
   * ignores the DestroyNotify). One round trip; a destroyed window makes
   * the X server answer with an error, which the display's error handler
   * turns into `onGone`.
   */
  #checkAlive(): void {
    if (this.#x11Window === null) return;
    const now = performance.now();
    if (now - this.#checkedAt < CHECK_INTERVAL_MS) return;
    this.#checkedAt = now;
    this.#display.rearm();
    this.#display.libraries.glfw.glfwGetWindowAttrib(
      this.#handle,
      GLFW_CONST.VISIBLE,
    );
  }

  /**
   * The pointer over the picture, 0..1 from its left and top edges, or
   * `null` when it is outside the picture (or its position is unknown).
   */
  pointerPosition(): [number, number] | null {
    const input = this.input;
    const rect = this.#picture;
    if (!input.pointerInside || rect === null) return null;
    const [windowWidth, windowHeight] = this.#windowSize;
    const [width, height] = this.#framebufferSize;
    if (windowWidth <= 0 || windowHeight <= 0) return null;
    const px = input.pointerX * width / windowWidth;
    const py = input.pointerY * height / windowHeight;
    const top = height - rect.y - rect.height;
    const u = (px - rect.x) / rect.width;
    const v = (py - top) / rect.height;
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return null;
    return [u, v];
  }

  /** What {@linkcode Display.poll} tells this window. */
  #events(): WindowEvents {
    return {
      onKey: (key, pressed) => this.input.onKey(key, pressed),
      onCursorPos: (x, y) => this.input.onMove(x, y),
      onCursorEnter: (inside) => this.input.onEnter(inside),
      onMouseButton: (button, pressed) => this.input.onButton(button, pressed),
      onCloseRequest: () => {
        this.#closeRequested = true;
      },
      onWindowSize: (width, height) => {
        this.#windowSize = [width, height];
        this.#requeryPointer();
      },
      onWindowPos: () => this.#requeryPointer(),
      onFramebufferSize: (width, height) => {
        this.#framebufferSize = [width, height];
        this.#presenter?.resize(width, height);
      },
      onGone: () => {
        this.#gone = true;
      },
    };
  }

  /**
   * The pointer's place relative to the window after the window moved or
   * changed size under a still pointer (no motion event comes then).
   */
  #requeryPointer(): void {
    const input = this.input;
    if (!input.pointerKnown) return;
    const x = new Float64Array(1);
    const y = new Float64Array(1);
    this.#display.libraries.glfw.glfwGetCursorPos(this.#handle, x, y);
    const [width, height] = this.#windowSize;
    input.pointerX = x[0];
    input.pointerY = y[0];
    input.pointerInside = x[0] >= 0 && y[0] >= 0 && x[0] < width &&
      y[0] < height;
  }

  #destroyNative(): void {
    this.#display.libraries.glfw.glfwDestroyWindow(this.#handle);
    this.#display.rearm();
  }

  /** Closes the window (idempotent); nothing is sent to a lost display. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#display.unregister(this.#handle, this.#x11Window);
    this.#presenter?.close();
    this.#presenter = null;
    if (this.#display.lost !== null) return;
    this.#destroyNative();
  }
}
