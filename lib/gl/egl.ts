/**
 * Headless EGL through Deno FFI: a surfaceless OpenGL ES 3.x context on
 * Mesa (`EGL_PLATFORM_SURFACELESS_MESA`), or on the EGL device platform
 * (`EGL_PLATFORM_DEVICE_EXT`) for GPU servers without Mesa. Contexts on a
 * window system's display (X11, Wayland) are made in `egl_window.ts`.
 *
 * @module
 */

import { GL, loadGLES } from "./gles.ts";

const EGL_NONE = 0x3038;
const EGL_SUCCESS = 0x3000;
const EGL_VENDOR = 0x3053;
const EGL_VERSION = 0x3054;
const EGL_EXTENSIONS = 0x3055;
const EGL_OPENGL_ES_API = 0x30a0;
const EGL_RENDERABLE_TYPE = 0x3040;
const EGL_OPENGL_ES3_BIT = 0x40;
const EGL_SURFACE_TYPE = 0x3033;
const EGL_PBUFFER_BIT = 0x1;
const EGL_CONTEXT_MAJOR_VERSION = 0x3098;
const EGL_CONTEXT_MINOR_VERSION = 0x30fb;
/** `EGL_PLATFORM_SURFACELESS_MESA`. */
export const EGL_PLATFORM_SURFACELESS_MESA = 0x31dd;
/** `EGL_PLATFORM_DEVICE_EXT`. */
export const EGL_PLATFORM_DEVICE_EXT = 0x313f;

const SYMBOLS = {
  eglGetProcAddress: { parameters: ["buffer"], result: "pointer" },
  eglGetError: { parameters: [], result: "i32" },
  eglQueryString: { parameters: ["pointer", "i32"], result: "pointer" },
  eglInitialize: { parameters: ["pointer", "buffer", "buffer"], result: "u32" },
  eglTerminate: { parameters: ["pointer"], result: "u32" },
  eglBindAPI: { parameters: ["u32"], result: "u32" },
  eglChooseConfig: {
    parameters: ["pointer", "buffer", "buffer", "i32", "buffer"],
    result: "u32",
  },
  eglCreateContext: {
    parameters: ["pointer", "pointer", "pointer", "buffer"],
    result: "pointer",
  },
  eglDestroyContext: { parameters: ["pointer", "pointer"], result: "u32" },
  eglMakeCurrent: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "u32",
  },
  eglReleaseThread: { parameters: [], result: "u32" },
  eglGetCurrentContext: { parameters: [], result: "pointer" },
  eglGetCurrentSurface: { parameters: ["i32"], result: "pointer" },
  eglGetConfigAttrib: {
    parameters: ["pointer", "pointer", "i32", "buffer"],
    result: "u32",
  },
  eglDestroySurface: { parameters: ["pointer", "pointer"], result: "u32" },
  eglSwapBuffers: { parameters: ["pointer", "pointer"], result: "u32" },
  eglSwapInterval: { parameters: ["pointer", "i32"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** EGL could not give us a context: no library, no display, no ES 3. */
export class EGLError extends Error {
  /**
   * @param message what failed, for the user
   * @param code the `eglGetError()` code, when there is one
   */
  constructor(message: string, readonly code = 0) {
    super(code ? `${message} (EGL error 0x${code.toString(16)})` : message);
    this.name = "EGLError";
  }
}

/** The bound EGL functions. */
export type EGLLib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

/** Loads `libEGL.so.1` once; for `egl_window.ts` (not part of the GL API). */
export function egl(): EGLLib {
  if (library === null) {
    const names = ["libEGL.so.1", "libEGL.so"];
    let lastError: unknown = null;
    for (const name of names) {
      try {
        library = Deno.dlopen(name, SYMBOLS);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (library === null) {
      throw new EGLError(
        `Cannot load libEGL.so.1 (install libegl1 and a driver such as libegl-mesa0): ${
          lastError instanceof Error ? lastError.message : String(lastError)
        }`,
      );
    }
  }
  return library.symbols;
}

/** `text` as a NUL-terminated C string. */
export function cstring(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text + "\0");
}

/** The C string at `pointer` (`""` for null). */
export function readCString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/** An initialised EGL display with a current OpenGL ES 3.x context. */
export interface EGLSession {
  /** `EGLDisplay`. */
  readonly display: Deno.PointerObject;
  /** `EGLContext`. */
  readonly context: Deno.PointerObject;
  /**
   * Which platform gave the display: `"surfaceless"` or `"device"`
   * (headless), `"x11"` or `"wayland"` (a window system's display, where
   * window surfaces can be made for the context: see `egl_window.ts`).
   */
  readonly platform: "surfaceless" | "device" | "x11" | "wayland";
  /** The `EGLConfig` of the context, when window surfaces are made with it. */
  readonly config?: Deno.PointerObject;
  /** ES version of the context that was created, e.g. `[3, 2]`. */
  readonly version: readonly [number, number];
  /** `EGL_VENDOR` and `EGL_VERSION` of the display. */
  readonly description: string;
}

function clientExtensions(lib: EGLLib): string {
  return readCString(lib.eglQueryString(null, EGL_EXTENSIONS));
}

/** Signature of `eglGetPlatformDisplay` as a function pointer. */
export type GetPlatformDisplay = (
  platform: number,
  native: Deno.PointerValue,
) => Deno.PointerValue;

const GET_DISPLAY = {
  parameters: ["u32", "pointer", "buffer"],
  result: "pointer",
} as const;
const QUERY_DEVICES = {
  parameters: ["i32", "buffer", "buffer"],
  result: "u32",
} as const;

/** `eglGetPlatformDisplay` (EGL 1.5) or its EXT form, or `null`. */
export function platformDisplayFunction(
  lib: EGLLib,
): GetPlatformDisplay | null {
  const core = lib.eglGetProcAddress(cstring("eglGetPlatformDisplay"));
  if (core !== null) {
    // EGL 1.5: attribute list of EGLAttrib (intptr_t).
    const fn = new Deno.UnsafeFnPointer(
      core as Deno.PointerObject<typeof GET_DISPLAY>,
      GET_DISPLAY,
    );
    const none = new BigInt64Array([BigInt(EGL_NONE)]);
    return (platform, native) => fn.call(platform, native, none);
  }
  const ext = lib.eglGetProcAddress(cstring("eglGetPlatformDisplayEXT"));
  if (ext !== null) {
    const fn = new Deno.UnsafeFnPointer(
      ext as Deno.PointerObject<typeof GET_DISPLAY>,
      GET_DISPLAY,
    );
    const none = new Int32Array([EGL_NONE]);
    return (platform, native) => fn.call(platform, native, none);
  }
  return null;
}

function deviceDisplays(
  lib: EGLLib,
  getDisplay: GetPlatformDisplay,
): Deno.PointerObject[] {
  const query = lib.eglGetProcAddress(cstring("eglQueryDevicesEXT"));
  if (query === null) return [];
  const fn = new Deno.UnsafeFnPointer(
    query as Deno.PointerObject<typeof QUERY_DEVICES>,
    QUERY_DEVICES,
  );
  const devices = new BigUint64Array(16);
  const count = new Int32Array(1);
  if (!fn.call(16, devices, count)) return [];
  const displays: Deno.PointerObject[] = [];
  for (let i = 0; i < count[0]; i++) {
    const device = Deno.UnsafePointer.create(devices[i]);
    const display = getDisplay(EGL_PLATFORM_DEVICE_EXT, device);
    if (display !== null) displays.push(display);
  }
  return displays;
}

function initialise(lib: EGLLib, display: Deno.PointerObject): boolean {
  const major = new Int32Array(1);
  const minor = new Int32Array(1);
  return lib.eglInitialize(display, major, minor) !== 0;
}

function createContext(
  lib: EGLLib,
  display: Deno.PointerObject,
): { context: Deno.PointerObject; version: [number, number] } | null {
  if (!lib.eglBindAPI(EGL_OPENGL_ES_API)) return null;
  const configs = new BigUint64Array(1);
  const count = new Int32Array(1);
  let config: Deno.PointerValue = null;
  const attributeLists = [
    [
      EGL_RENDERABLE_TYPE,
      EGL_OPENGL_ES3_BIT,
      EGL_SURFACE_TYPE,
      EGL_PBUFFER_BIT,
      EGL_NONE,
    ],
    [EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE],
    [EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT, EGL_NONE],
  ];
  for (const list of attributeLists) {
    if (
      lib.eglChooseConfig(display, new Int32Array(list), configs, 1, count) &&
      count[0] > 0
    ) {
      config = Deno.UnsafePointer.create(configs[0]);
      break;
    }
  }
  // With no config, EGL_KHR_no_config_context lets us pass EGL_NO_CONFIG.
  for (const [major, minor] of [[3, 2], [3, 1], [3, 0]] as [number, number][]) {
    const attributes = new Int32Array([
      EGL_CONTEXT_MAJOR_VERSION,
      major,
      EGL_CONTEXT_MINOR_VERSION,
      minor,
      EGL_NONE,
    ]);
    const context = lib.eglCreateContext(display, config, null, attributes);
    if (context !== null) return { context, version: [major, minor] };
  }
  return null;
}

/** Sessions per display, so a display is terminated with its last session. */
const displayUsers = new Map<bigint, number>();

/** Counts one more session on `display` (see {@linkcode destroyEGLSession}). */
export function retainDisplay(display: Deno.PointerObject): void {
  const key = BigInt(Deno.UnsafePointer.value(display));
  displayUsers.set(key, (displayUsers.get(key) ?? 0) + 1);
}

/** Drops one use of `display`; terminates it when none is left. */
export function releaseDisplay(lib: EGLLib, display: Deno.PointerObject): void {
  const key = BigInt(Deno.UnsafePointer.value(display));
  const users = (displayUsers.get(key) ?? 1) - 1;
  if (users > 0) displayUsers.set(key, users);
  else {
    displayUsers.delete(key);
    lib.eglTerminate(display);
  }
}

const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|software/i;

function platformChoice(): "surfaceless" | "device" | null {
  try {
    const value = Deno.env.get("FLITTER_EGL_PLATFORM")?.trim().toLowerCase();
    return value === "surfaceless" || value === "device" ? value : null;
  } catch {
    return null; // no --allow-env: no override
  }
}

function currentRenderer(): string {
  const pointer = loadGLES().glGetString(GL.RENDERER);
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/**
 * Opens a display, creates an OpenGL ES 3.x context (3.2 down to 3.0) and
 * makes it current without a surface. Mesa's surfaceless platform is tried
 * first, then each EGL device (GPU servers without Mesa); a hardware
 * renderer is preferred over a software one (llvmpipe) when both work.
 * `FLITTER_EGL_PLATFORM=surfaceless|device` restricts the choice.
 *
 * Several sessions may exist in one process; each `GLContext` makes its own
 * current again with {@linkcode makeCurrent} when they alternate.
 *
 * @throws {EGLError} when no platform gives a usable context
 */
export function createEGLSession(): EGLSession {
  const lib = egl();
  const getDisplay = platformDisplayFunction(lib);
  if (getDisplay === null) {
    throw new EGLError(
      "EGL has neither eglGetPlatformDisplay nor eglGetPlatformDisplayEXT",
    );
  }
  const extensions = clientExtensions(lib);
  const only = platformChoice();
  const candidates: {
    display: Deno.PointerObject;
    platform: "surfaceless" | "device";
  }[] = [];
  if (
    extensions.includes("EGL_MESA_platform_surfaceless") && only !== "device"
  ) {
    const display = getDisplay(EGL_PLATFORM_SURFACELESS_MESA, null);
    if (display !== null) candidates.push({ display, platform: "surfaceless" });
  }
  if (
    extensions.includes("EGL_EXT_platform_device") && only !== "surfaceless"
  ) {
    for (const display of deviceDisplays(lib, getDisplay)) {
      candidates.push({ display, platform: "device" });
    }
  }
  const failures: string[] = [];
  let software: EGLSession | null = null;
  for (const { display, platform } of candidates) {
    if (!initialise(lib, display)) {
      failures.push(
        `${platform}: eglInitialize failed (0x${
          lib.eglGetError().toString(16)
        })`,
      );
      continue;
    }
    retainDisplay(display);
    const created = createContext(lib, display);
    if (created === null) {
      failures.push(
        `${platform}: no OpenGL ES 3 context (0x${
          lib.eglGetError().toString(16)
        })`,
      );
      releaseDisplay(lib, display);
      continue;
    }
    if (!lib.eglMakeCurrent(display, null, null, created.context)) {
      failures.push(
        `${platform}: eglMakeCurrent failed (0x${
          lib.eglGetError().toString(16)
        })`,
      );
      lib.eglDestroyContext(display, created.context);
      releaseDisplay(lib, display);
      continue;
    }
    const description = `${
      readCString(lib.eglQueryString(display, EGL_VENDOR))
    } EGL ${readCString(lib.eglQueryString(display, EGL_VERSION))}`;
    const session: EGLSession = {
      display,
      context: created.context,
      platform,
      version: created.version,
      description,
    };
    if (!SOFTWARE_RENDERER.test(currentRenderer())) {
      if (software !== null) destroyEGLSession(software);
      makeCurrent(session);
      return session;
    }
    // A software renderer: keep it in case nothing better works.
    if (software === null) software = session;
    else destroyEGLSession(session);
  }
  if (software !== null) {
    makeCurrent(software);
    return software;
  }
  throw new EGLError(
    candidates.length === 0
      ? `No headless EGL platform (client extensions: ${extensions || "none"})`
      : `Cannot create a surfaceless OpenGL ES 3 context: ${
        failures.join("; ")
      }`,
  );
}

/** Releases the context of `session`, and its display with its last session. */
export function destroyEGLSession(session: EGLSession): void {
  const lib = egl();
  const current = lib.eglGetCurrentContext();
  if (current !== null && Deno.UnsafePointer.equals(current, session.context)) {
    lib.eglMakeCurrent(session.display, null, null, null);
  }
  lib.eglDestroyContext(session.display, session.context);
  releaseDisplay(lib, session.display);
  if (displayUsers.size === 0) lib.eglReleaseThread();
}

/** Makes the context of `session` current on this thread unless it is already. */
export function ensureCurrent(session: EGLSession): void {
  const current = egl().eglGetCurrentContext();
  if (
    current === null || !Deno.UnsafePointer.equals(current, session.context)
  ) {
    makeCurrent(session);
  }
}

/** Makes `session`'s context current on the calling thread. */
export function makeCurrent(session: EGLSession): void {
  const lib = egl();
  if (!lib.eglMakeCurrent(session.display, null, null, session.context)) {
    const code = lib.eglGetError();
    if (code !== EGL_SUCCESS) throw new EGLError("eglMakeCurrent failed", code);
  }
}
