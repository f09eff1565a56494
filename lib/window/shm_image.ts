/**
 * {@linkcode ShmImage}: an X11 image in memory shared with the X server
 * (MIT-SHM, `libXext`), for showing pictures drawn by a software renderer:
 * the pixels are read straight into the shared memory and the X server
 * copies them from there, instead of receiving every frame through its
 * socket (which is what Mesa's EGL X11 software path does, at tens of
 * milliseconds a 720p frame on a busy machine).
 *
 * @module
 */

import type { Display } from "./display.ts";

const p = "pointer" as const;
const i32 = "i32" as const;

const XEXT_SYMBOLS = {
  XShmQueryExtension: { parameters: [p], result: i32 },
  XShmCreateImage: {
    parameters: [p, p, "u32", i32, p, p, "u32", "u32"],
    result: p,
  },
  XShmAttach: { parameters: [p, p], result: i32 },
  XShmDetach: { parameters: [p, p], result: i32 },
  XShmPutImage: {
    parameters: [p, "u64", p, p, i32, i32, i32, i32, "u32", "u32", i32],
    result: i32,
  },
} as const satisfies Deno.ForeignLibraryInterface;

const LIBC_SYMBOLS = {
  shmget: { parameters: [i32, "usize", i32], result: i32 },
  shmat: { parameters: [i32, p, i32], result: p },
  shmdt: { parameters: [p], result: i32 },
  shmctl: { parameters: [i32, i32, p], result: i32 },
} as const satisfies Deno.ForeignLibraryInterface;

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
const IPC_RMID = 0;
const Z_PIXMAP = 2;
const LSB_FIRST = 0;
// XImage fields (x86-64).
const IMAGE_DATA = 16;
const IMAGE_BYTE_ORDER = 24;
const IMAGE_BYTES_PER_LINE = 44;
const IMAGE_BITS_PER_PIXEL = 48;
const IMAGE_RED_MASK = 56;
const IMAGE_BLUE_MASK = 72;
// XShmSegmentInfo fields.
const INFO_SHMID = 8;
const INFO_SHMADDR = 16;

type Libraries = {
  xext: Deno.DynamicLibrary<typeof XEXT_SYMBOLS>["symbols"];
  libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];
};
let libraries: Libraries | null | undefined;

function load(): Libraries | null {
  if (libraries === undefined) {
    try {
      libraries = {
        xext: Deno.dlopen("libXext.so.6", XEXT_SYMBOLS).symbols,
        libc: Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols,
      };
    } catch {
      libraries = null;
    }
  }
  return libraries;
}

/** How the picture's channels lie in a pixel of the X server's images. */
export type PixelOrder = "bgra" | "rgba";

/** A shared-memory X image of one size. */
export class ShmImage {
  /** The pixels, `width * 4` bytes a row, top row first. */
  readonly pixels: Uint8Array<ArrayBuffer>;
  /** Byte order of a pixel's colours in {@linkcode pixels}. */
  readonly order: PixelOrder;
  readonly #display: Display;
  readonly #libraries: Libraries;
  readonly #image: Deno.PointerObject;
  /** `XShmSegmentInfo`: kept alive at a fixed address while the image lives. */
  readonly #info = new Uint8Array(new ArrayBuffer(64));
  readonly #address: Deno.PointerObject;
  readonly #gc: Deno.PointerObject;
  #pending = false;
  #destroyed = false;

  /**
   * A `width`×`height` image for the X11 display of `display`, attached to
   * the server; `null` when shared memory cannot be used there (no
   * MIT-SHM, a remote server, a visual other than 8-bit RGB in 32 bits).
   */
  static create(
    display: Display,
    window: bigint,
    width: number,
    height: number,
  ): ShmImage | null {
    const libs = load();
    const xlib = display.libraries.xlib;
    if (libs === null || xlib === null || display.native.platform !== "x11") {
      return null;
    }
    if (!libs.xext.XShmQueryExtension(display.native.handle)) return null;
    try {
      return new ShmImage(display, libs, window, width, height);
    } catch {
      return null;
    }
  }

  private constructor(
    display: Display,
    libs: Libraries,
    window: bigint,
    readonly width: number,
    readonly height: number,
  ) {
    this.#display = display;
    this.#libraries = libs;
    const xlib = display.libraries.xlib!;
    const handle = display.native.handle;
    const screen = xlib.XDefaultScreen(handle);
    const infoPointer = Deno.UnsafePointer.of(this.#info)!;
    const image = libs.xext.XShmCreateImage(
      handle,
      xlib.XDefaultVisual(handle, screen),
      xlib.XDefaultDepth(handle, screen),
      Z_PIXMAP,
      null,
      infoPointer,
      width,
      height,
    );
    if (image === null) throw new Error("XShmCreateImage failed");
    const view = new Deno.UnsafePointerView(image);
    const bytesPerLine = view.getInt32(IMAGE_BYTES_PER_LINE);
    const red = view.getBigUint64(IMAGE_RED_MASK);
    const blue = view.getBigUint64(IMAGE_BLUE_MASK);
    const order: PixelOrder | null = red === 0xff0000n && blue === 0xffn
      ? "bgra"
      : red === 0xffn && blue === 0xff0000n
      ? "rgba"
      : null;
    if (
      view.getInt32(IMAGE_BITS_PER_PIXEL) !== 32 ||
      view.getInt32(IMAGE_BYTE_ORDER) !== LSB_FIRST ||
      bytesPerLine !== width * 4 || order === null
    ) {
      xlib.XFree(image);
      throw new Error("unsuitable visual");
    }
    this.order = order;
    const size = bytesPerLine * height;
    const id = libs.libc.shmget(IPC_PRIVATE, BigInt(size), IPC_CREAT | 0o600);
    if (id < 0) {
      xlib.XFree(image);
      throw new Error("shmget failed");
    }
    const address = libs.libc.shmat(id, null, 0);
    if (
      address === null ||
      BigInt(Deno.UnsafePointer.value(address)) === 0xffffffffffffffffn
    ) {
      libs.libc.shmctl(id, IPC_RMID, null);
      xlib.XFree(image);
      throw new Error("shmat failed");
    }
    const info = new DataView(this.#info.buffer);
    info.setInt32(INFO_SHMID, id, true);
    info.setBigUint64(
      INFO_SHMADDR,
      BigInt(Deno.UnsafePointer.value(address)),
      true,
    );
    new DataView(Deno.UnsafePointerView.getArrayBuffer(image, 24)).setBigUint64(
      IMAGE_DATA,
      BigInt(Deno.UnsafePointer.value(address)),
      true,
    );
    const errors = display.xErrors;
    libs.xext.XShmAttach(handle, infoPointer);
    xlib.XSync(handle, 0);
    // Gone once both sides detach (or the process ends).
    libs.libc.shmctl(id, IPC_RMID, null);
    if (display.xErrors !== errors) {
      // E.g. a server on another machine: it cannot attach our memory.
      libs.libc.shmdt(address);
      xlib.XFree(image);
      throw new Error("XShmAttach failed");
    }
    this.#image = image;
    this.#address = address;
    this.pixels = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(address, size),
    );
    this.#gc = xlib.XCreateGC(handle, window, 0n, null)!;
  }

  /** Waits until the server has taken the previous picture (a round trip). */
  waitIdle(): void {
    if (!this.#pending || this.#display.lost !== null) return;
    this.#display.libraries.xlib!.XSync(this.#display.native.handle, 0);
    this.#pending = false;
  }

  /** Has the server copy the pixels into `window` (asynchronously). */
  put(window: bigint): void {
    if (this.#destroyed || this.#display.lost !== null) return;
    const handle = this.#display.native.handle;
    this.#libraries.xext.XShmPutImage(
      handle,
      window,
      this.#gc,
      this.#image,
      0,
      0,
      0,
      0,
      this.width,
      this.height,
      0,
    );
    this.#display.libraries.xlib!.XFlush(handle);
    this.#pending = true;
  }

  /** Detaches and frees the memory (nothing is sent to a lost display). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const xlib = this.#display.libraries.xlib!;
    const handle = this.#display.native.handle;
    if (this.#display.lost === null) {
      this.waitIdle();
      this.#libraries.xext.XShmDetach(
        handle,
        Deno.UnsafePointer.of(this.#info),
      );
      xlib.XFreeGC(handle, this.#gc);
      xlib.XSync(handle, 0);
    }
    this.#libraries.libc.shmdt(this.#address);
    xlib.XFree(this.#image);
  }
}
