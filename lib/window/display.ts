/**
 * The connection to the window system (X11, or Wayland with GLFW's Wayland
 * build), shared by everything in the process: GLFW is initialised once,
 * with the first user, and terminated with the last.
 *
 * It routes GLFW's input and window callbacks to the windows they belong
 * to, and keeps the process alive when the X server misbehaves: X protocol
 * errors are logged instead of ending the process (Xlib's default), and
 * when the X server goes away the connection is marked {@linkcode Display.lost}
 * (Xlib would otherwise exit on the spot) so the engine can end the run
 * cleanly.
 *
 * @module
 */

import type { NativeDisplay } from "../gl/egl_window.ts";
import {
  GLFW_CALLBACKS,
  GLFW_CONST,
  glfwLastError,
  type GLFWLibraries,
  loadGLFW,
  XLIB_CALLBACKS,
} from "../gl/glfw.ts";
import { getLogger } from "../log/logger.ts";

const log = getLogger("window");

/** What a window wants to hear about (called during {@linkcode Display.poll}). */
export interface WindowEvents {
  /** A key went down or up (GLFW key code; repeats are not reported). */
  onKey(key: number, pressed: boolean): void;
  /** The pointer moved (window coordinates). */
  onCursorPos(x: number, y: number): void;
  /** The pointer entered or left. */
  onCursorEnter(inside: boolean): void;
  /** A pointer button went down or up. */
  onMouseButton(button: number, pressed: boolean): void;
  /** The user asked to close the window. */
  onCloseRequest(): void;
  /** The window's size changed (screen units). */
  onWindowSize(width: number, height: number): void;
  /** The window moved. */
  onWindowPos(): void;
  /** The framebuffer's size changed (pixels). */
  onFramebufferSize(width: number, height: number): void;
  /** The X server reported the window gone (destroyed by another client). */
  onGone(): void;
}

/** One monitor (GLFW's order: the primary first). */
export interface Monitor {
  /** Index, as `screen=` counts. */
  readonly index: number;
  /** `GLFWmonitor*`. */
  readonly handle: Deno.PointerObject;
  /** Its name, for messages. */
  readonly name: string;
  /** Position on the virtual desktop (screen units). */
  readonly x: number;
  /** Position on the virtual desktop (screen units). */
  readonly y: number;
  /** Current video mode: width. */
  readonly width: number;
  /** Current video mode: height. */
  readonly height: number;
  /** Current video mode: refresh rate (Hz). */
  readonly refreshRate: number;
}

/** The window system cannot be used; `message` says why. */
export class DisplayUnavailable extends Error {
  /**
   * An error saying why there is no usable display.
   *
   * @param message why, for the info line
   */
  constructor(message: string) {
    super(message);
    this.name = "DisplayUnavailable";
  }
}

const X_ERROR_NAMES: Record<number, string> = {
  3: "BadWindow",
  8: "BadMatch",
  9: "BadDrawable",
  11: "BadAlloc",
};

function environment(name: string): string {
  try {
    return Deno.env.get(name) ?? "";
  } catch {
    return "";
  }
}

/** The process's connection to the window system. */
export class Display {
  static #shared: Display | null = null;
  static #users = 0;
  static #lostEarlier: string | null = null;

  /** GLFW and the native libraries of its build. */
  readonly libraries: GLFWLibraries;
  /** The native display, for EGL. */
  readonly native: NativeDisplay;
  readonly #listeners = new Map<bigint, WindowEvents>();
  /** X11 window ID → window, for X errors that name a window. */
  readonly #x11Windows = new Map<bigint, WindowEvents>();
  /** Every callback made, to close them with the connection. */
  readonly #callbacks: { close(): void }[] = [];
  readonly #glfwCallbacks: Record<
    | "key"
    | "cursorPos"
    | "cursorEnter"
    | "mouseButton"
    | "close"
    | "size"
    | "pos"
    | "framebuffer",
    Deno.PointerObject
  >;
  #xErrorHandler: Deno.PointerObject | null = null;
  #lost: string | null = null;
  #terminated = false;
  #xErrors = 0;

  /**
   * The shared connection; every call must be matched by a
   * {@linkcode Display.release}.
   *
   * @throws {DisplayUnavailable} with the reason when there is no usable display
   */
  static acquire(): Display {
    if (Display.#lostEarlier !== null) {
      // GLFW still holds the dead connection and cannot start again.
      throw new DisplayUnavailable(`${Display.#lostEarlier} earlier`);
    }
    if (Display.#shared === null || Display.#shared.#terminated) {
      Display.#shared = new Display();
    }
    Display.#users++;
    return Display.#shared;
  }

  private constructor() {
    const x11 = environment("DISPLAY");
    const wayland = environment("WAYLAND_DISPLAY");
    if (x11 === "" && wayland === "") {
      throw new DisplayUnavailable(
        "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)",
      );
    }
    let libraries: GLFWLibraries;
    try {
      libraries = loadGLFW();
    } catch (error) {
      throw new DisplayUnavailable((error as Error).message);
    }
    this.libraries = libraries;
    const glfw = libraries.glfw;
    if (libraries.platform === "x11" && x11 === "") {
      throw new DisplayUnavailable(
        "WAYLAND_DISPLAY is set but DISPLAY is not, and this GLFW is the X11 build (install libglfw3-wayland, or start XWayland)",
      );
    }
    if (!glfw.glfwInit()) {
      const why = glfwLastError(glfw) ?? "glfwInit failed";
      const where = libraries.platform === "x11"
        ? `X display "${x11}"`
        : `Wayland display "${wayland}"`;
      throw new DisplayUnavailable(`cannot open the ${where}: ${why}`);
    }
    this.native = this.#nativeDisplay();
    this.#glfwCallbacks = this.#makeCallbacks();
    log.debug(
      `GLFW ${
        Deno.UnsafePointerView.getCString(glfw.glfwGetVersionString()!)
      } on ${libraries.platform}`,
    );
  }

  #nativeDisplay(): NativeDisplay {
    const { glfw, xlib } = this.libraries;
    if (this.libraries.platform === "x11") {
      const handle = glfw.glfwGetX11Display!();
      if (handle === null || xlib === null) {
        glfw.glfwTerminate();
        throw new DisplayUnavailable("GLFW gave no X11 display");
      }
      const screen = xlib.XDefaultScreen(handle);
      const visualId = xlib.XVisualIDFromVisual(
        xlib.XDefaultVisual(handle, screen),
      );
      this.#guardX11(handle);
      return { platform: "x11", handle, visualId: BigInt(visualId) };
    }
    const handle = glfw.glfwGetWaylandDisplay!();
    if (handle === null) {
      glfw.glfwTerminate();
      throw new DisplayUnavailable("GLFW gave no Wayland display");
    }
    return { platform: "wayland", handle };
  }

  /** Installs Xlib handlers that keep the process alive (see the module notes). */
  #guardX11(handle: Deno.PointerObject): void {
    const xlib = this.libraries.xlib!;
    const error = new Deno.UnsafeCallback(
      XLIB_CALLBACKS.error,
      (_display, event) => {
        if (event === null) return 0;
        const view = new Deno.UnsafePointerView(event);
        const resource = view.getBigUint64(16);
        const code = view.getUint8(32);
        const request = view.getUint8(33);
        this.#xErrors++;
        const window = this.#x11Windows.get(resource);
        log.debug(
          `X error ${X_ERROR_NAMES[code] ?? code} (request ${request}) on 0x${
            resource.toString(16)
          }`,
        );
        if (window !== undefined && (code === 3 || code === 9)) window.onGone();
        return 0;
      },
    );
    const ioError = new Deno.UnsafeCallback(XLIB_CALLBACKS.ioError, () => {
      this.#lose("The connection to the X server was lost");
      return 0;
    });
    const ioExit = new Deno.UnsafeCallback(XLIB_CALLBACKS.ioErrorExit, () => {
      this.#lose("The connection to the X server was lost");
    });
    this.#callbacks.push(error, ioError, ioExit);
    this.#xErrorHandler = error.pointer;
    xlib.XSetErrorHandler(error.pointer);
    xlib.XSetIOErrorHandler(ioError.pointer);
    if (xlib.XSetIOErrorExitHandler !== null) {
      xlib.XSetIOErrorExitHandler(handle, ioExit.pointer, null);
    } else {
      log.debug("libX11 < 1.7: losing the X server will end the process");
    }
  }

  #lose(reason: string): void {
    if (this.#lost === null) this.#lost = reason;
    Display.#lostEarlier ??= reason.replace(/^The /, "the ");
  }

  /**
   * Puts our X error handler back: GLFW 3.3 resets Xlib's to the default
   * (which exits) after each of its own checked requests.
   */
  rearm(): void {
    if (this.#xErrorHandler !== null) {
      this.libraries.xlib!.XSetErrorHandler(this.#xErrorHandler);
    }
  }

  #makeCallbacks() {
    const route = (window: Deno.PointerValue): WindowEvents | undefined =>
      window === null
        ? undefined
        : this.#listeners.get(BigInt(Deno.UnsafePointer.value(window)));
    const make = <D extends Deno.UnsafeCallbackDefinition>(
      definition: D,
      handler: Deno.UnsafeCallbackFunction<
        D["parameters"],
        D["result"]
      >,
    ): Deno.PointerObject => {
      const callback = new Deno.UnsafeCallback(definition, handler);
      this.#callbacks.push(callback);
      return callback.pointer;
    };
    return {
      key: make(GLFW_CALLBACKS.key, (window, key, _scancode, action) => {
        if (action === GLFW_CONST.REPEAT) return;
        route(window)?.onKey(key, action === GLFW_CONST.PRESS);
      }),
      cursorPos: make(GLFW_CALLBACKS.cursorPos, (window, x, y) => {
        route(window)?.onCursorPos(x, y);
      }),
      cursorEnter: make(GLFW_CALLBACKS.cursorEnter, (window, entered) => {
        route(window)?.onCursorEnter(entered !== 0);
      }),
      mouseButton: make(
        GLFW_CALLBACKS.mouseButton,
        (window, button, action) => {
          route(window)?.onMouseButton(button, action === GLFW_CONST.PRESS);
        },
      ),
      close: make(GLFW_CALLBACKS.close, (window) => {
        route(window)?.onCloseRequest();
      }),
      size: make(GLFW_CALLBACKS.size, (window, width, height) => {
        route(window)?.onWindowSize(width, height);
      }),
      pos: make(GLFW_CALLBACKS.size, (window) => {
        route(window)?.onWindowPos();
      }),
      framebuffer: make(GLFW_CALLBACKS.size, (window, width, height) => {
        route(window)?.onFramebufferSize(width, height);
      }),
    };
  }

  /** How many X protocol errors have arrived (to tell whether a request failed). */
  get xErrors(): number {
    return this.#xErrors;
  }

  /** Why the connection is gone (the X server went away), or `null`. */
  get lost(): string | null {
    return this.#lost;
  }

  /**
   * Routes `handle`'s events to `listener` and installs GLFW's callbacks
   * on it; `x11Window` is its X11 window ID, if any.
   */
  register(
    handle: Deno.PointerObject,
    listener: WindowEvents,
    x11Window: bigint | null,
  ): void {
    this.#listeners.set(BigInt(Deno.UnsafePointer.value(handle)), listener);
    if (x11Window !== null) this.#x11Windows.set(x11Window, listener);
    const glfw = this.libraries.glfw;
    const callbacks = this.#glfwCallbacks;
    glfw.glfwSetKeyCallback(handle, callbacks.key);
    glfw.glfwSetCursorPosCallback(handle, callbacks.cursorPos);
    glfw.glfwSetCursorEnterCallback(handle, callbacks.cursorEnter);
    glfw.glfwSetMouseButtonCallback(handle, callbacks.mouseButton);
    glfw.glfwSetWindowCloseCallback(handle, callbacks.close);
    glfw.glfwSetWindowSizeCallback(handle, callbacks.size);
    glfw.glfwSetWindowPosCallback(handle, callbacks.pos);
    glfw.glfwSetFramebufferSizeCallback(handle, callbacks.framebuffer);
  }

  /** Stops routing events of `handle`. */
  unregister(handle: Deno.PointerObject, x11Window: bigint | null): void {
    this.#listeners.delete(BigInt(Deno.UnsafePointer.value(handle)));
    if (x11Window !== null) this.#x11Windows.delete(x11Window);
  }

  /**
   * Handles pending window-system events without waiting (input, resizes,
   * close requests), calling the windows' listeners.
   */
  poll(): void {
    if (this.#lost !== null || this.#terminated) return;
    this.rearm();
    this.libraries.glfw.glfwPollEvents();
  }

  /** The monitors, the primary first (none once the connection is lost). */
  monitors(): Monitor[] {
    if (this.#lost !== null) return [];
    const glfw = this.libraries.glfw;
    const count = new Int32Array(1);
    const list = glfw.glfwGetMonitors(count);
    if (list === null || count[0] <= 0) return [];
    const view = new Deno.UnsafePointerView(list);
    const monitors: Monitor[] = [];
    const x = new Int32Array(1);
    const y = new Int32Array(1);
    for (let index = 0; index < count[0]; index++) {
      const handle = Deno.UnsafePointer.create(view.getBigUint64(index * 8));
      if (handle === null) continue;
      const mode = glfw.glfwGetVideoMode(handle);
      if (mode === null) continue;
      const modeView = new Deno.UnsafePointerView(mode);
      glfw.glfwGetMonitorPos(handle, x, y);
      const name = glfw.glfwGetMonitorName(handle);
      monitors.push({
        index: monitors.length,
        handle,
        name: name === null
          ? `monitor ${index}`
          : Deno.UnsafePointerView.getCString(name),
        x: x[0],
        y: y[0],
        width: modeView.getInt32(0),
        height: modeView.getInt32(4),
        refreshRate: modeView.getInt32(20),
      });
    }
    return monitors;
  }

  /** GLFW's latest error, or `null`. */
  lastError(): string | null {
    return glfwLastError(this.libraries.glfw);
  }

  /**
   * Drops one use; the last terminates GLFW (closing the connection),
   * unless the connection was lost (then nothing more is sent to it).
   */
  release(): void {
    if (Display.#users > 0) Display.#users--;
    if (Display.#users > 0 || this.#terminated) return;
    this.#terminated = true;
    if (this.#lost === null) {
      this.rearm();
      this.libraries.glfw.glfwTerminate();
    }
    if (this.libraries.xlib !== null && this.#lost === null) {
      // Back to Xlib's defaults before our callbacks are freed.
      this.libraries.xlib.XSetErrorHandler(null);
      this.libraries.xlib.XSetIOErrorHandler(null);
    }
    if (this.#lost === null) {
      for (const callback of this.#callbacks) callback.close();
    }
    // After a loss Xlib may still call the handlers: they stay (a few bytes).
    this.#callbacks.length = 0;
    if (Display.#shared === this) Display.#shared = null;
  }
}
