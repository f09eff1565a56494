/**
 * How a window's picture reaches the screen. Both draw the engine's texture
 * with the engine's own GL context, scaled to fit the window and centred
 * with black bars where the aspect ratios differ (letterboxing):
 *
 * - {@linkcode EGLPresenter}: into the window's EGL surface, then swap. On a
 *   GPU the picture never leaves it. Used on Wayland, on X11 with a
 *   hardware renderer, and wherever shared memory is unavailable.
 * - {@linkcode ShmPresenter}: on X11 with a software renderer (llvmpipe),
 *   where "GPU" memory is main memory anyway: into an 8-bit framebuffer
 *   object, read straight into memory shared with the X server (MIT-SHM),
 *   which copies it into the window. Mesa's EGL X11 software path instead
 *   sends every frame through the X server's socket: measured here at
 *   720p, 0.35 ms against 20–50 ms a frame on a busy machine.
 *
 * `FLITTER_WINDOW_PRESENT=egl|shm` forces one (shm falls back to egl where
 * it cannot work).
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { DEFAULT_VERTEX_SOURCE } from "../gl/context.ts";
import {
  bindSurface,
  createWindowSurface,
  destroyWindowSurface,
  setSwapInterval,
  swapBuffers,
  type WindowSurface,
} from "../gl/egl_window.ts";
import { GL } from "../gl/gles.ts";
import { ShaderProgram } from "../gl/shader.ts";
import { RenderTarget, type Texture } from "../gl/texture.ts";
import type { Display } from "./display.ts";
import { type PixelOrder, ShmImage } from "./shm_image.ts";

/** Where the picture lies in the framebuffer (pixels, origin bottom left). */
export interface PictureRect {
  /** Left edge. */
  x: number;
  /** Bottom edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/**
 * The largest rectangle of the aspect ratio `width`:`height` that fits
 * `frameWidth`×`frameHeight`, centred.
 */
export function letterbox(
  width: number,
  height: number,
  frameWidth: number,
  frameHeight: number,
): PictureRect {
  const scale = Math.min(frameWidth / width, frameHeight / height);
  const w = Math.max(1, Math.min(frameWidth, Math.round(width * scale)));
  const h = Math.max(1, Math.min(frameHeight, Math.round(height * scale)));
  return {
    x: Math.floor((frameWidth - w) / 2),
    y: Math.floor((frameHeight - h) / 2),
    width: w,
    height: h,
  };
}

/** Shows pictures in one window. */
export interface Presenter {
  /** `"egl"` or `"shm"`. */
  readonly kind: string;
  /**
   * Shows `picture` (or black) in a `width`×`height` framebuffer; returns
   * where the picture went.
   */
  present(
    gl: GLContext,
    picture: Texture | null,
    width: number,
    height: number,
    vsync: boolean,
  ): PictureRect | null;
  /** The framebuffer changed size (Wayland surfaces follow it). */
  resize(width: number, height: number): void;
  /** Frees what it holds (nothing is sent to a lost display). */
  close(): void;
}

const PRESENT_FRAGMENT_SOURCE = `#version 330
in vec2 coord;
out vec4 color;
uniform sampler2D picture;
uniform int encode;
uniform int flip;
uniform int bgra;
void main() {
    vec2 p = flip != 0 ? vec2(coord.x, 1.0 - coord.y) : coord;
    vec3 c = clamp(texture(picture, p).rgb, 0.0, 1.0);
    if (encode != 0) {
        // sRGB encoding; above the linear segment three square roots stand
        // in for pow(c, 1/2.4) (within a quarter of an 8-bit step, and
        // much cheaper on software renderers).
        vec3 s1 = sqrt(c);
        vec3 s2 = sqrt(s1);
        vec3 s3 = sqrt(s2);
        vec3 curve = 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3
                   - 0.0225411470 * c;
        c = mix(c * 12.92, curve, step(vec3(0.0031308), c));
    }
    color = vec4(bgra != 0 ? c.bgr : c, 1.0);
}
`;

const programs = new WeakMap<GLContext, ShaderProgram>();

/**
 * Draws `picture` into the bound framebuffer (`width`×`height`): black
 * bars, then the picture at `rect` (`flip`: upside down, for images stored
 * top row first), sRGB-encoded by the shader when `encode` (for linear
 * framebuffers; an sRGB target encodes by itself).
 */
function drawPicture(
  gl: GLContext,
  picture: Texture | null,
  width: number,
  height: number,
  rect: PictureRect | null,
  flip: boolean,
  order: PixelOrder,
  encode: boolean,
): void {
  if (rect === null || rect.width < width || rect.height < height) {
    gl.viewport(width, height);
    gl.gl.glClearColor(0, 0, 0, 1);
    gl.gl.glClear(GL.COLOR_BUFFER_BIT);
  }
  if (picture === null || rect === null) return;
  let program = programs.get(gl);
  if (program === undefined) {
    program = ShaderProgram.compile(
      gl,
      DEFAULT_VERTEX_SOURCE,
      PRESENT_FRAGMENT_SOURCE,
      "window",
    );
    programs.set(gl, program);
  }
  const y = flip ? height - rect.y - rect.height : rect.y;
  gl.viewport(rect.width, rect.height, rect.x, y);
  program.use();
  program.set("picture", 0);
  program.set("encode", encode ? 1 : 0);
  program.set("flip", flip ? 1 : 0);
  program.set("bgra", order === "bgra" ? 1 : 0);
  picture.setSampling({
    nearest: rect.width === picture.width && rect.height === picture.height,
  });
  gl.bindTexture(0, picture.id);
  gl.setBlend(false);
  gl.drawQuad();
}

/** Whether `picture` holds raw bytes rather than linear colours. */
function isRaw(picture: Texture): boolean {
  return picture.format === "rgba8" || picture.format === "r8";
}

function rectFor(
  picture: Texture | null,
  width: number,
  height: number,
): PictureRect | null {
  return picture === null
    ? null
    : letterbox(picture.width, picture.height, width, height);
}

/** Draws into the window's EGL surface and swaps. */
export class EGLPresenter implements Presenter {
  readonly kind = "egl";
  readonly #display: Display;
  readonly #surface: WindowSurface;
  #waylandWindow: Deno.PointerObject | null;
  #interval = -1;

  /**
   * @param native the X11 window ID, or the window's `wl_surface` (a
   *   `wl_egl_window` of `width`×`height` is made for it)
   * @throws {Error} when EGL refuses the window
   */
  constructor(
    display: Display,
    gl: GLContext,
    native: bigint | Deno.PointerObject,
    width: number,
    height: number,
  ) {
    this.#display = display;
    this.#waylandWindow = null;
    let target: bigint | Deno.PointerObject = native;
    if (typeof native !== "bigint") {
      this.#waylandWindow = display.libraries.waylandEGL!.wl_egl_window_create(
        native,
        Math.max(1, width),
        Math.max(1, height),
      );
      if (this.#waylandWindow === null) {
        throw new Error("wl_egl_window_create failed");
      }
      target = this.#waylandWindow;
    }
    try {
      this.#surface = createWindowSurface(gl.session, target);
    } catch (error) {
      this.#destroyWaylandWindow();
      throw error;
    }
  }

  present(
    gl: GLContext,
    picture: Texture | null,
    width: number,
    height: number,
    vsync: boolean,
  ): PictureRect | null {
    bindSurface(gl.session, this.#surface);
    const interval = vsync ? 1 : 0;
    if (interval !== this.#interval) {
      setSwapInterval(gl.session, interval);
      this.#interval = interval;
    }
    gl.bindFramebuffer(0);
    const rect = rectFor(picture, width, height);
    drawPicture(
      gl,
      picture,
      width,
      height,
      rect,
      false,
      "rgba",
      picture !== null && !isRaw(picture),
    );
    swapBuffers(this.#surface);
    return rect;
  }

  resize(width: number, height: number): void {
    if (this.#waylandWindow !== null && width > 0 && height > 0) {
      this.#display.libraries.waylandEGL!.wl_egl_window_resize(
        this.#waylandWindow,
        width,
        height,
        0,
        0,
      );
    }
  }

  #destroyWaylandWindow(): void {
    if (this.#waylandWindow === null) return;
    this.#display.libraries.waylandEGL!.wl_egl_window_destroy(
      this.#waylandWindow,
    );
    this.#waylandWindow = null;
  }

  close(): void {
    if (this.#display.lost !== null) return;
    destroyWindowSurface(this.#surface);
    this.#destroyWaylandWindow();
  }
}

/** Draws into an 8-bit target read into memory shared with the X server. */
export class ShmPresenter implements Presenter {
  readonly kind = "shm";
  readonly #display: Display;
  readonly #window: bigint;
  #image: ShmImage;
  #frame: RenderTarget | null = null;

  private constructor(display: Display, window: bigint, image: ShmImage) {
    this.#display = display;
    this.#window = window;
    this.#image = image;
  }

  /** A presenter for X11 window `window`, or `null` where MIT-SHM cannot work. */
  static create(
    display: Display,
    window: bigint,
    width: number,
    height: number,
  ): ShmPresenter | null {
    const image = ShmImage.create(
      display,
      window,
      Math.max(1, width),
      Math.max(1, height),
    );
    return image === null ? null : new ShmPresenter(display, window, image);
  }

  present(
    gl: GLContext,
    picture: Texture | null,
    width: number,
    height: number,
  ): PictureRect | null {
    if (this.#image.width !== width || this.#image.height !== height) {
      const image = ShmImage.create(this.#display, this.#window, width, height);
      if (image === null) return null;
      this.#image.destroy();
      this.#image = image;
    }
    // An sRGB target encodes linear pictures (cheaper than the shader on
    // software renderers); raw 8-bit pictures go to a raw target as they are.
    const format = picture !== null && isRaw(picture) ? "rgba8" : "srgb8";
    if (this.#frame === null || this.#frame.texture.format !== format) {
      this.#frame?.destroy();
      this.#frame = new RenderTarget(gl, width, height, format);
    } else this.#frame.resize(width, height);
    this.#frame.bind();
    const rect = rectFor(picture, width, height);
    // X images hold the top row first: drawn upside down, read in order.
    drawPicture(
      gl,
      picture,
      width,
      height,
      rect,
      true,
      this.#image.order,
      false,
    );
    this.#image.waitIdle();
    gl.readPixels(0, 0, width, height, this.#image.pixels);
    this.#image.put(this.#window);
    return rect;
  }

  resize(): void {}

  close(): void {
    this.#frame?.destroy();
    this.#frame = null;
    this.#image.destroy();
  }
}

const SOFTWARE_RENDERER = /llvmpipe|softpipe|swrast|software/i;

function forced(): string | null {
  try {
    return Deno.env.get("FLITTER_WINDOW_PRESENT")?.trim().toLowerCase() ??
      null;
  } catch {
    return null;
  }
}

/**
 * The presenter for a window: shared memory on X11 with a software
 * renderer (or when forced), else EGL.
 *
 * @param native the X11 window ID, or the Wayland `wl_surface`
 * @throws {Error} when EGL refuses the window
 */
export function choosePresenter(
  display: Display,
  gl: GLContext,
  native: bigint | Deno.PointerObject,
  width: number,
  height: number,
): Presenter {
  const choice = forced();
  const software = SOFTWARE_RENDERER.test(gl.renderer);
  if (
    typeof native === "bigint" && choice !== "egl" &&
    (software || choice === "shm")
  ) {
    const shm = ShmPresenter.create(display, native, width, height);
    if (shm !== null) return shm;
  }
  return new EGLPresenter(display, gl, native, width, height);
}
