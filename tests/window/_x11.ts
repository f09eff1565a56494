/**
 * A real X server for window tests: Xvfb on a free display (it picks one
 * itself with `-displayfd`), screenshots taken by the server (`xwd -root`,
 * parsed here), input injected with `xdotool`, and a window manager's close
 * request (`WM_DELETE_WINDOW`, sent with python3-xlib by `_x11_tool.py`).
 *
 * @module
 */

const TOOL = new URL("./_x11_tool.py", import.meta.url).pathname;

/** An RGBA image, top row first. */
export interface Screenshot {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A window's place on the screen. */
export interface Geometry {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** One Xvfb server. */
export class Xvfb {
  readonly #child: Deno.ChildProcess;
  #stopped = false;

  private constructor(child: Deno.ChildProcess, readonly display: string) {
    this.#child = child;
  }

  /** Starts `Xvfb -noreset` with one `width`x`height` 24-bit screen. */
  static async start(width = 1024, height = 768): Promise<Xvfb> {
    const child = new Deno.Command("Xvfb", {
      args: [
        "-displayfd",
        "1",
        "-noreset",
        "-nolisten",
        "tcp",
        "-screen",
        "0",
        `${width}x${height}x24`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    while (!text.includes("\n")) {
      const timeout = new Promise<null>((resolve) =>
        setTimeout(() => resolve(null), Math.max(1, deadline - Date.now()))
      );
      const chunk = await Promise.race([reader.read(), timeout]);
      if (chunk === null || chunk.done) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await child.status;
        throw new Error("Xvfb did not start (is the xvfb package installed?)");
      }
      text += chunk.value;
    }
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    const server = new Xvfb(child, `:${text.trim()}`);
    return server;
  }

  /** Environment for clients of this server. */
  get env(): Record<string, string> {
    return { DISPLAY: this.display };
  }

  /** The whole screen, as the server has it. */
  async screenshot(): Promise<Screenshot> {
    const result = await run("xwd", ["-root", "-silent"], this.env);
    if (result.code !== 0) throw new Error(`xwd failed: ${result.stderr}`);
    return parseXwd(result.stdout);
  }

  /** Runs `xdotool ARGS…`; returns its output. */
  async xdotool(...args: string[]): Promise<string> {
    const result = await run("xdotool", args, this.env);
    if (result.code !== 0) {
      throw new Error(`xdotool ${args.join(" ")} failed: ${result.stderr}`);
    }
    return new TextDecoder().decode(result.stdout).trim();
  }

  /** Windows whose title matches `pattern` (a regular expression). */
  async find(pattern: string): Promise<string[]> {
    const result = await run(
      "xdotool",
      ["search", "--name", pattern],
      this.env,
    );
    return new TextDecoder().decode(result.stdout).split("\n").filter((line) =>
      line.trim() !== ""
    );
  }

  /** Where window `id` is. */
  async geometry(id: string): Promise<Geometry> {
    const text = await this.xdotool("getwindowgeometry", "--shell", id);
    const value = (name: string) =>
      Number(new RegExp(`^${name}=(-?\\d+)$`, "m").exec(text)?.[1]);
    return {
      id,
      x: value("X"),
      y: value("Y"),
      width: value("WIDTH"),
      height: value("HEIGHT"),
    };
  }

  /** Asks window `id` to close, as a window manager does (`WM_DELETE_WINDOW`). */
  async close(id: string): Promise<void> {
    const result = await run("/usr/bin/python3", [TOOL, "close", id], this.env);
    if (result.code !== 0) throw new Error(`close failed: ${result.stderr}`);
  }

  /** Whether the pointer's cursor is drawn where it is now (XFIXES). */
  async cursorVisible(): Promise<boolean> {
    const result = await run("/usr/bin/python3", [TOOL, "cursor"], this.env);
    if (result.code !== 0) throw new Error(`cursor failed: ${result.stderr}`);
    return new TextDecoder().decode(result.stdout).trim() === "visible";
  }

  /** Ends the server (`SIGKILL` for a server that dies), and waits. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
    await this.#child.status;
  }
}

/** Parses an XWD file (`xwd -root` of a TrueColor screen) into RGBA. */
export function parseXwd(bytes: Uint8Array): Screenshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const field = (index: number) => view.getUint32(index * 4, false);
  const headerSize = field(0);
  const width = field(4);
  const height = field(5);
  const byteOrder = field(7); // 0: LSB first
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const masks = [field(14), field(15), field(16)];
  const colours = field(19);
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) {
    throw new Error(`xwd: ${bitsPerPixel} bits per pixel is not handled`);
  }
  const pixelBytes = bitsPerPixel / 8;
  const little = byteOrder === 0;
  const start = headerSize + colours * 12;
  const shifts = masks.map((mask) => Math.log2(mask & -mask));
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = start + y * bytesPerLine + x * pixelBytes;
      let pixel = 0;
      for (let k = 0; k < pixelBytes; k++) {
        const byte = view.getUint8(at + (little ? k : pixelBytes - 1 - k));
        pixel += byte * 2 ** (8 * k);
      }
      const out = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) {
        data[out + c] = (pixel & masks[c]) >>> shifts[c];
      }
      data[out + 3] = 255;
    }
  }
  return { width, height, data };
}

/** The colour at `x`,`y` of `image`. */
export function colourAt(
  image: Screenshot,
  x: number,
  y: number,
): [number, number, number] {
  const i = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** Whether every channel of `actual` is within `tolerance` of `expected`. */
export function near(
  actual: readonly number[],
  expected: readonly number[],
  tolerance = 8,
): boolean {
  return expected.every((value, i) => Math.abs(actual[i] - value) <= tolerance);
}

/**
 * Polls `probe` every 50 ms until it returns a value that is not `null`,
 * `undefined` or `false`; fails after `timeoutMs` with what `describe` says.
 * `between` runs before each try (e.g. rendering a frame).
 */
export async function waitFor<T>(
  describe: () => string,
  probe: () => Promise<T | null | undefined | false>,
  between: () => void | Promise<void> = () => {},
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    await between();
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`Waited ${timeoutMs} ms for ${describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
