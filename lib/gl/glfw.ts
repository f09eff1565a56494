/**
 * GLFW 3.3 through Deno FFI (`libglfw.so.3`: Debian's `libglfw3` for X11,
 * or `libglfw3-wayland`), with the few Xlib and `libwayland-egl` functions
 * that go with it. GLFW only makes windows and reports input here: windows
 * are created without a client API (`GLFW_NO_API`) and drawn with EGL
 * window surfaces (`egl_window.ts`) for the engine's one context.
 *
 * All calls are synchronous and must come from the thread that loaded the
 * library; GLFW's callbacks are called during {@linkcode GLFW.glfwPollEvents}
 * on that same thread.
 *
 * @module
 */

const p = "pointer" as const;
const b = "buffer" as const;
const i32 = "i32" as const;
const v = "void" as const;

const GLFW_SYMBOLS = {
  glfwInit: { parameters: [], result: i32 },
  glfwTerminate: { parameters: [], result: v },
  glfwInitHint: { parameters: [i32, i32], result: v },
  glfwGetVersionString: { parameters: [], result: p },
  glfwGetError: { parameters: [b], result: i32 },
  glfwDefaultWindowHints: { parameters: [], result: v },
  glfwWindowHint: { parameters: [i32, i32], result: v },
  glfwCreateWindow: { parameters: [i32, i32, b, p, p], result: p },
  glfwDestroyWindow: { parameters: [p], result: v },
  glfwWindowShouldClose: { parameters: [p], result: i32 },
  glfwSetWindowShouldClose: { parameters: [p, i32], result: v },
  glfwSetWindowTitle: { parameters: [p, b], result: v },
  glfwGetWindowPos: { parameters: [p, b, b], result: v },
  glfwSetWindowPos: { parameters: [p, i32, i32], result: v },
  glfwGetWindowSize: { parameters: [p, b, b], result: v },
  glfwSetWindowSize: { parameters: [p, i32, i32], result: v },
  glfwGetFramebufferSize: { parameters: [p, b, b], result: v },
  glfwShowWindow: { parameters: [p], result: v },
  glfwGetWindowAttrib: { parameters: [p, i32], result: i32 },
  glfwGetWindowMonitor: { parameters: [p], result: p },
  glfwSetWindowMonitor: {
    parameters: [p, p, i32, i32, i32, i32, i32],
    result: v,
  },
  glfwGetMonitors: { parameters: [b], result: p },
  glfwGetPrimaryMonitor: { parameters: [], result: p },
  glfwGetMonitorPos: { parameters: [p, b, b], result: v },
  glfwGetMonitorWorkarea: { parameters: [p, b, b, b, b], result: v },
  glfwGetMonitorName: { parameters: [p], result: p },
  glfwGetVideoMode: { parameters: [p], result: p },
  glfwSetInputMode: { parameters: [p, i32, i32], result: v },
  glfwGetCursorPos: { parameters: [p, b, b], result: v },
  glfwPollEvents: { parameters: [], result: v },
  glfwSetKeyCallback: { parameters: [p, "function"], result: p },
  glfwSetCursorPosCallback: { parameters: [p, "function"], result: p },
  glfwSetCursorEnterCallback: { parameters: [p, "function"], result: p },
  glfwSetMouseButtonCallback: { parameters: [p, "function"], result: p },
  glfwSetWindowCloseCallback: { parameters: [p, "function"], result: p },
  glfwSetWindowSizeCallback: { parameters: [p, "function"], result: p },
  glfwSetWindowPosCallback: { parameters: [p, "function"], result: p },
  glfwSetFramebufferSizeCallback: { parameters: [p, "function"], result: p },
  // Native access: present in the X11 or in the Wayland build.
  glfwGetX11Display: { parameters: [], result: p, optional: true },
  glfwGetX11Window: { parameters: [p], result: "u64", optional: true },
  glfwGetWaylandDisplay: { parameters: [], result: p, optional: true },
  glfwGetWaylandWindow: { parameters: [p], result: p, optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

const XLIB_SYMBOLS = {
  XDefaultScreen: { parameters: [p], result: i32 },
  XDefaultVisual: { parameters: [p, i32], result: p },
  XDefaultDepth: { parameters: [p, i32], result: i32 },
  XCreateGC: { parameters: [p, "u64", "u64", p], result: p },
  XFreeGC: { parameters: [p, p], result: i32 },
  XSync: { parameters: [p, i32], result: i32 },
  XFlush: { parameters: [p], result: i32 },
  XFree: { parameters: [p], result: i32 },
  XVisualIDFromVisual: { parameters: [p], result: "u64" },
  XSetErrorHandler: { parameters: ["function"], result: p },
  XSetIOErrorHandler: { parameters: ["function"], result: p },
  // libX11 1.7 and later: lets a client live on when its server goes away.
  XSetIOErrorExitHandler: {
    parameters: [p, "function", p],
    result: v,
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

const WAYLAND_EGL_SYMBOLS = {
  wl_egl_window_create: { parameters: [p, i32, i32], result: p },
  wl_egl_window_resize: { parameters: [p, i32, i32, i32, i32], result: v },
  wl_egl_window_destroy: { parameters: [p], result: v },
} as const satisfies Deno.ForeignLibraryInterface;

/** GLFW's functions. */
export type GLFW = Deno.DynamicLibrary<typeof GLFW_SYMBOLS>["symbols"];
/** The Xlib functions used with GLFW's X11 build. */
export type Xlib = Deno.DynamicLibrary<typeof XLIB_SYMBOLS>["symbols"];
/** `libwayland-egl`'s functions, used with GLFW's Wayland build. */
export type WaylandEGL = Deno.DynamicLibrary<
  typeof WAYLAND_EGL_SYMBOLS
>["symbols"];

/** GLFW constants (`GLFW_…` without the prefix). */
export const GLFW_CONST = {
  FALSE: 0,
  TRUE: 1,
  RELEASE: 0,
  PRESS: 1,
  REPEAT: 2,
  FOCUSED: 0x00020001,
  RESIZABLE: 0x00020003,
  VISIBLE: 0x00020004,
  DECORATED: 0x00020005,
  AUTO_ICONIFY: 0x00020006,
  FOCUS_ON_SHOW: 0x0002000c,
  CLIENT_API: 0x00022001,
  NO_API: 0,
  SCALE_TO_MONITOR: 0x0002200c,
  CURSOR: 0x00033001,
  CURSOR_NORMAL: 0x00034001,
  CURSOR_HIDDEN: 0x00034002,
  NO_ERROR: 0,
  PLATFORM_ERROR: 0x00010008,
} as const;

/** Signatures of the GLFW callbacks we install. */
export const GLFW_CALLBACKS = {
  /** `(window, key, scancode, action, mods)` */
  key: { parameters: [p, i32, i32, i32, i32], result: v },
  /** `(window, x, y)` in screen coordinates */
  cursorPos: { parameters: [p, "f64", "f64"], result: v },
  /** `(window, entered)` */
  cursorEnter: { parameters: [p, i32], result: v },
  /** `(window, button, action, mods)` */
  mouseButton: { parameters: [p, i32, i32, i32], result: v },
  /** `(window)` */
  close: { parameters: [p], result: v },
  /** `(window, width, height)`: window size or framebuffer size (or position) */
  size: { parameters: [p, i32, i32], result: v },
} as const;

/** Signatures of Xlib's error handlers. */
export const XLIB_CALLBACKS = {
  /** `int (*)(Display*, XErrorEvent*)` */
  error: { parameters: [p, p], result: i32 },
  /** `int (*)(Display*)` */
  ioError: { parameters: [p], result: i32 },
  /** `void (*)(Display*, void*)` */
  ioErrorExit: { parameters: [p, p], result: v },
} as const;

/** GLFW (or a library it needs) could not be loaded. */
export class GLFWLoadError extends Error {
  /** @param message what is missing, for the user */
  constructor(message: string) {
    super(message);
    this.name = "GLFWLoadError";
  }
}

/** The loaded libraries: GLFW, and Xlib or wayland-egl for its build. */
export interface GLFWLibraries {
  /** GLFW's functions. */
  readonly glfw: GLFW;
  /** Which window system GLFW was built for. */
  readonly platform: "x11" | "wayland";
  /** Xlib (X11 build only). */
  readonly xlib: Xlib | null;
  /** wayland-egl (Wayland build only). */
  readonly waylandEGL: WaylandEGL | null;
}

let loaded: GLFWLibraries | null = null;

function open<S extends Deno.ForeignLibraryInterface>(
  names: string[],
  symbols: S,
  hint: string,
): Deno.DynamicLibrary<S>["symbols"] {
  let lastError: unknown = null;
  for (const name of names) {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch (error) {
      lastError = error;
    }
  }
  const reason = lastError instanceof Error
    ? lastError.message
    : String(lastError);
  throw new GLFWLoadError(`Cannot load ${names[0]} (${hint}): ${reason}`);
}

function libraryOverride(): string | null {
  try {
    return Deno.env.get("FLITTER_GLFW_LIBRARY") || null;
  } catch {
    return null; // no --allow-env: no override
  }
}

/**
 * Loads GLFW once (`libglfw.so.3`, or the file named by
 * `FLITTER_GLFW_LIBRARY`) and the native library its build needs.
 *
 * @throws {GLFWLoadError} with an install hint when a library is missing
 */
export function loadGLFW(): GLFWLibraries {
  if (loaded !== null) return loaded;
  const override = libraryOverride();
  const glfw = open(
    override !== null ? [override] : ["libglfw.so.3", "libglfw.so"],
    GLFW_SYMBOLS,
    "install libglfw3, or libglfw3-wayland for Wayland",
  );
  if (glfw.glfwGetX11Display !== null) {
    const xlib = open(["libX11.so.6"], XLIB_SYMBOLS, "install libx11-6");
    loaded = { glfw, platform: "x11", xlib, waylandEGL: null };
  } else if (glfw.glfwGetWaylandDisplay !== null) {
    const waylandEGL = open(
      ["libwayland-egl.so.1"],
      WAYLAND_EGL_SYMBOLS,
      "install libwayland-egl1",
    );
    loaded = { glfw, platform: "wayland", xlib: null, waylandEGL };
  } else {
    throw new GLFWLoadError(
      "This GLFW has neither X11 nor Wayland native access",
    );
  }
  return loaded;
}

/** GLFW's latest error as `"description"` (and clears it), or `null`. */
export function glfwLastError(glfw: GLFW): string | null {
  const description = new BigUint64Array(1);
  const code = glfw.glfwGetError(description);
  if (code === GLFW_CONST.NO_ERROR) return null;
  const pointer = Deno.UnsafePointer.create(description[0]);
  const text = pointer === null
    ? ""
    : Deno.UnsafePointerView.getCString(pointer);
  return text || `GLFW error 0x${code.toString(16)}`;
}

/** `text` as a NUL-terminated UTF-8 C string. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text.replaceAll("\0", "") + "\0");
}
