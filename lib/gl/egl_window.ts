/**
 * EGL on a window system's display (X11 or Wayland): an OpenGL ES 3.x
 * context that can draw into window surfaces as well as, like the headless
 * one, into framebuffer objects with no surface at all
 * (`EGL_KHR_surfaceless_context`). One context serves every window: the
 * engine renders with it, and a window's picture is drawn by making the
 * window's surface current for that same context, so textures never leave
 * the GPU.
 *
 * @module
 */

import {
  cstring,
  egl,
  EGLError,
  type EGLLib,
  type EGLSession,
  platformDisplayFunction,
  readCString,
  releaseDisplay,
  retainDisplay,
} from "./egl.ts";

const EGL_NONE = 0x3038;
const EGL_VENDOR = 0x3053;
const EGL_VERSION = 0x3054;
const EGL_EXTENSIONS = 0x3055;
const EGL_OPENGL_ES_API = 0x30a0;
const EGL_RENDERABLE_TYPE = 0x3040;
const EGL_OPENGL_ES3_BIT = 0x40;
const EGL_SURFACE_TYPE = 0x3033;
const EGL_WINDOW_BIT = 0x4;
const EGL_RED_SIZE = 0x3024;
const EGL_GREEN_SIZE = 0x3023;
const EGL_BLUE_SIZE = 0x3022;
const EGL_ALPHA_SIZE = 0x3021;
const EGL_NATIVE_VISUAL_ID = 0x302e;
const EGL_CONTEXT_MAJOR_VERSION = 0x3098;
const EGL_CONTEXT_MINOR_VERSION = 0x30fb;
const EGL_DRAW = 0x3059;
const EGL_SUCCESS = 0x3000;
/** `EGL_PLATFORM_X11_KHR`. */
const EGL_PLATFORM_X11 = 0x31d5;
/** `EGL_PLATFORM_WAYLAND_KHR`. */
const EGL_PLATFORM_WAYLAND = 0x31d8;

/** A window system's display connection, as the windowing library gives it. */
export interface NativeDisplay {
  /** `"x11"` (an Xlib `Display*`) or `"wayland"` (a `wl_display*`). */
  readonly platform: "x11" | "wayland";
  /** The native display pointer. */
  readonly handle: Deno.PointerObject;
  /**
   * X11: the visual ID the windows are created with (the screen's default
   * visual); the context's config must match it.
   */
  readonly visualId?: bigint;
}

/** An `EGLSurface` for one window. */
export interface WindowSurface {
  /** The `EGLSurface`. */
  readonly handle: Deno.PointerObject;
  /** The session whose display and config made it. */
  readonly session: EGLSession;
}

const CREATE_WINDOW_SURFACE = {
  parameters: ["pointer", "pointer", "pointer", "buffer"],
  result: "pointer",
} as const;

let createSurfaceFunction:
  | Deno.UnsafeFnPointer<typeof CREATE_WINDOW_SURFACE>
  | null = null;

function configAttribute(
  lib: EGLLib,
  display: Deno.PointerObject,
  config: Deno.PointerObject,
  attribute: number,
): number {
  const value = new Int32Array(1);
  lib.eglGetConfigAttrib(display, config, attribute, value);
  return value[0];
}

/**
 * The config for window surfaces: ES 3, 8-bit RGB, and on X11 the visual
 * the windows use; configs without alpha first (the picture is opaque, and
 * a compositor must not blend it with what lies behind).
 */
function chooseWindowConfig(
  lib: EGLLib,
  display: Deno.PointerObject,
  native: NativeDisplay,
): Deno.PointerObject | null {
  const configs = new BigUint64Array(256);
  const count = new Int32Array(1);
  const wanted = new Int32Array([
    EGL_RENDERABLE_TYPE,
    EGL_OPENGL_ES3_BIT,
    EGL_SURFACE_TYPE,
    EGL_WINDOW_BIT,
    EGL_RED_SIZE,
    8,
    EGL_GREEN_SIZE,
    8,
    EGL_BLUE_SIZE,
    8,
    EGL_NONE,
  ]);
  if (!lib.eglChooseConfig(display, wanted, configs, configs.length, count)) {
    return null;
  }
  let best: Deno.PointerObject | null = null;
  let bestScore = -1;
  for (let i = 0; i < count[0]; i++) {
    const config = Deno.UnsafePointer.create(configs[i]);
    if (config === null) continue;
    const bits = [EGL_RED_SIZE, EGL_GREEN_SIZE, EGL_BLUE_SIZE].map((name) =>
      configAttribute(lib, display, config, name)
    );
    if (bits.some((size) => size !== 8)) continue;
    if (native.platform === "x11" && native.visualId !== undefined) {
      const visual = configAttribute(
        lib,
        display,
        config,
        EGL_NATIVE_VISUAL_ID,
      );
      if (BigInt(visual) !== native.visualId) continue;
    }
    const score = configAttribute(lib, display, config, EGL_ALPHA_SIZE) === 0
      ? 2
      : 1;
    if (score > bestScore) {
      best = config;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Creates an OpenGL ES 3.x context (3.2 down to 3.0) on the window
 * system's display `native`, with a config its windows can use, and makes
 * it current without a surface.
 *
 * @throws {EGLError} when the display or the context cannot be had
 */
export function createWindowSystemSession(native: NativeDisplay): EGLSession {
  const lib = egl();
  const getDisplay = platformDisplayFunction(lib);
  const clientExtensions = readCString(
    lib.eglQueryString(null, EGL_EXTENSIONS),
  );
  const platformName = native.platform === "x11"
    ? "EGL_KHR_platform_x11"
    : "EGL_KHR_platform_wayland";
  if (getDisplay === null || !clientExtensions.includes(platformName)) {
    throw new EGLError(`EGL here cannot use ${native.platform} displays`);
  }
  const display = getDisplay(
    native.platform === "x11" ? EGL_PLATFORM_X11 : EGL_PLATFORM_WAYLAND,
    native.handle,
  );
  if (display === null) {
    throw new EGLError(
      `eglGetPlatformDisplay(${native.platform}) failed`,
      lib.eglGetError(),
    );
  }
  if (!lib.eglInitialize(display, new Int32Array(1), new Int32Array(1))) {
    throw new EGLError(
      `eglInitialize failed on the ${native.platform} display`,
      lib.eglGetError(),
    );
  }
  retainDisplay(display);
  try {
    const extensions = readCString(lib.eglQueryString(display, EGL_EXTENSIONS));
    if (!extensions.includes("EGL_KHR_surfaceless_context")) {
      throw new EGLError(
        `The ${native.platform} EGL display lacks EGL_KHR_surfaceless_context`,
      );
    }
    if (!lib.eglBindAPI(EGL_OPENGL_ES_API)) {
      throw new EGLError("eglBindAPI(OpenGL ES) failed", lib.eglGetError());
    }
    const config = chooseWindowConfig(lib, display, native);
    if (config === null) {
      throw new EGLError(
        `No 8-bit OpenGL ES 3 window config on the ${native.platform} display` +
          (native.visualId !== undefined
            ? ` for visual 0x${native.visualId.toString(16)}`
            : ""),
      );
    }
    for (
      const [major, minor] of [[3, 2], [3, 1], [3, 0]] as [number, number][]
    ) {
      const attributes = new Int32Array([
        EGL_CONTEXT_MAJOR_VERSION,
        major,
        EGL_CONTEXT_MINOR_VERSION,
        minor,
        EGL_NONE,
      ]);
      const context = lib.eglCreateContext(display, config, null, attributes);
      if (context === null) continue;
      if (!lib.eglMakeCurrent(display, null, null, context)) {
        const code = lib.eglGetError();
        lib.eglDestroyContext(display, context);
        throw new EGLError("eglMakeCurrent (no surface) failed", code);
      }
      return {
        display,
        context,
        config,
        platform: native.platform,
        version: [major, minor],
        description: `${
          readCString(lib.eglQueryString(display, EGL_VENDOR))
        } EGL ${
          readCString(lib.eglQueryString(display, EGL_VERSION))
        } (${native.platform})`,
      };
    }
    throw new EGLError(
      `No OpenGL ES 3 context on the ${native.platform} display`,
      lib.eglGetError(),
    );
  } catch (error) {
    releaseDisplay(lib, display);
    throw error;
  }
}

/**
 * Creates a window surface for `session`'s config. `nativeWindow` is the
 * X11 window ID, or a `wl_egl_window*` on Wayland.
 *
 * @throws {EGLError} when EGL refuses the window
 */
export function createWindowSurface(
  session: EGLSession,
  nativeWindow: bigint | Deno.PointerObject,
): WindowSurface {
  const lib = egl();
  if (session.config === undefined) {
    throw new EGLError("This GL context cannot draw into windows");
  }
  if (createSurfaceFunction === null) {
    const pointer = lib.eglGetProcAddress(
      cstring("eglCreatePlatformWindowSurface"),
    );
    if (pointer === null) {
      throw new EGLError("EGL lacks eglCreatePlatformWindowSurface");
    }
    createSurfaceFunction = new Deno.UnsafeFnPointer(
      pointer as Deno.PointerObject<typeof CREATE_WINDOW_SURFACE>,
      CREATE_WINDOW_SURFACE,
    );
  }
  // The platform call takes a pointer to the X11 Window, or the
  // wl_egl_window pointer itself.
  const x11Window = typeof nativeWindow === "bigint"
    ? new BigUint64Array([nativeWindow])
    : null;
  const handle = createSurfaceFunction.call(
    session.display,
    session.config,
    x11Window !== null
      ? Deno.UnsafePointer.of(x11Window)
      : nativeWindow as Deno.PointerObject,
    new BigInt64Array([BigInt(EGL_NONE)]),
  );
  if (handle === null) {
    throw new EGLError(
      "eglCreatePlatformWindowSurface failed",
      lib.eglGetError(),
    );
  }
  return { handle, session };
}

/**
 * Makes `surface` the draw and read surface of its session's context (or,
 * with `null`, none), unless it already is. Cheap when nothing changes.
 *
 * @throws {EGLError} when EGL refuses
 */
export function bindSurface(
  session: EGLSession,
  surface: WindowSurface | null,
): void {
  const lib = egl();
  const currentContext = lib.eglGetCurrentContext();
  const currentSurface = lib.eglGetCurrentSurface(EGL_DRAW);
  const handle = surface?.handle ?? null;
  if (
    currentContext !== null &&
    Deno.UnsafePointer.equals(currentContext, session.context) &&
    Deno.UnsafePointer.equals(currentSurface, handle)
  ) return;
  if (!lib.eglMakeCurrent(session.display, handle, handle, session.context)) {
    const code = lib.eglGetError();
    if (code !== EGL_SUCCESS) throw new EGLError("eglMakeCurrent failed", code);
  }
}

/** Shows what was drawn into `surface` (bound with {@linkcode bindSurface}). */
export function swapBuffers(surface: WindowSurface): boolean {
  return egl().eglSwapBuffers(surface.session.display, surface.handle) !== 0;
}

/**
 * Sets how many vertical blanks a swap of the bound surface waits for (0:
 * none, 1: vertical sync).
 */
export function setSwapInterval(session: EGLSession, interval: number): void {
  egl().eglSwapInterval(session.display, interval);
}

/** Frees `surface`; unbinds it first when it is current. */
export function destroyWindowSurface(surface: WindowSurface): void {
  const lib = egl();
  const current = lib.eglGetCurrentSurface(EGL_DRAW);
  if (current !== null && Deno.UnsafePointer.equals(current, surface.handle)) {
    lib.eglMakeCurrent(
      surface.session.display,
      null,
      null,
      surface.session.context,
    );
  }
  lib.eglDestroySurface(surface.session.display, surface.handle);
}
