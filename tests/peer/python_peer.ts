/**
 * Spawns the independent Python (aiortc) test peer and signalling server
 * from Deno tests and reads their events, so our endpoints can be pitted
 * against a second WebRTC stack.
 *
 * ```ts ignore
 * const reason = await pythonPeerUnavailable();
 * if (reason === undefined) {
 *   const server = await startPythonServer();
 *   const peer = startPythonPeer([
 *     "--websocket", server.url, "--room", "r", "--id", "py", "--colour", "0,0,255",
 *   ]);
 *   const frame = await peer.waitFor(frameNear([255, 0, 0], 40), 20_000);
 *   await peer.stop();
 *   await server.stop();
 * }
 * ```
 *
 * @module
 */

/** The interpreter that has Debian's python3-aiortc (another python3 on PATH may lack it). */
export const PYTHON = "/usr/bin/python3";

/** Path of the Python peer script. */
export const PEER_SCRIPT = new URL("./flitter_peer.py", import.meta.url)
  .pathname;

/** Path of the Python signalling server script. */
export const SERVER_SCRIPT = new URL("./flitter_server.py", import.meta.url)
  .pathname;

/** An RGB triple of 0–255 channel means. */
export type Rgb = [number, number, number];

/** One JSON line printed by the Python peer. */
export interface PeerEvent {
  /** `state`, `frame`, `signalling`, `members`, `ready`, `warning`, `error` or `exit`. */
  event: string;
  [field: string]: unknown;
}

/** A `frame` report: colours of the latest received frame. */
export interface FrameEvent extends PeerEvent {
  event: "frame";
  width: number;
  height: number;
  /** Mean of the centre region (middle half in both directions). */
  rgb: Rgb;
  /** Mean of the top eighth of the rows (middle half of the columns). */
  top: Rgb;
  /** Mean of the bottom eighth of the rows (middle half of the columns). */
  bottom: Rgb;
  /** Frames received so far. */
  count: number;
  /** CPU seconds the Python process has used so far (all threads). */
  cpu: number;
  /** Video bytes sent on the current connection so far (`null` without one). */
  sent_bytes: number | null;
}

/** Raised when a Python process ends or times out before an expected event. */
export class PythonPeerError extends Error {
  /** Creates the error; `message` should name the process and what was awaited. */
  constructor(message: string) {
    super(message);
    this.name = "PythonPeerError";
  }
}

/** What `stop()` reports about the finished process. */
export interface PythonExit {
  /** Exit code (0 after a clean SIGTERM). */
  code: number;
  /** Everything the process wrote to stderr (last 64 KiB). */
  stderr: string;
}

/** A running Python peer. */
export interface PythonPeer {
  /** Every event so far, in order. */
  readonly history: readonly PeerEvent[];
  /** All events from the start, then new ones until the process ends. */
  events(): AsyncIterableIterator<PeerEvent>;
  /**
   * Resolves with the first event (seen before or after the call, from
   * `history[since]` on) that satisfies `predicate`. Rejects with a
   * {@link PythonPeerError} holding recent events and stderr when the process
   * ends first or `timeoutMs` passes.
   */
  waitFor<T extends PeerEvent = PeerEvent>(
    predicate: (event: PeerEvent) => boolean,
    timeoutMs: number,
    description?: string,
    since?: number,
  ): Promise<T>;
  /** Sends SIGTERM (SIGKILL after 5 s), waits for the exit and all output. */
  stop(): Promise<PythonExit>;
  /** Resolves when the process has ended by itself or by `stop()`. */
  readonly exited: Promise<PythonExit>;
}

/** A running Python signalling server. */
export interface PythonServer {
  /** Port it listens on (127.0.0.1 unless another host was asked). */
  port: number;
  /** `ws://HOST:PORT/`. */
  url: string;
  /** The server's stderr so far (joins, relays, refusals). */
  stderr(): string;
  /** Sends SIGTERM, waits for the exit. */
  stop(): Promise<PythonExit>;
}

const STDERR_LIMIT = 65536;

class PythonProcess {
  readonly history: PeerEvent[] = [];
  readonly lines: string[] = [];
  readonly exited: Promise<PythonExit>;
  #stderr = "";
  #ended = false;
  #wakers = new Set<() => void>();
  #child: Deno.ChildProcess;
  #name: string;

  constructor(name: string, script: string, args: string[]) {
    this.#name = name;
    this.#child = new Deno.Command(PYTHON, {
      args: ["-u", script, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = this.#readLines(this.#child.stdout, (line) => {
      this.lines.push(line);
      if (line.startsWith("{")) {
        try {
          this.history.push(JSON.parse(line) as PeerEvent);
        } catch {
          // not an event line; kept in `lines` only
        }
      }
    });
    const err = this.#readLines(this.#child.stderr, (line) => {
      this.#stderr = (this.#stderr + line + "\n").slice(-STDERR_LIMIT);
    });
    this.exited = Promise.all([this.#child.status, out, err]).then(
      ([status]) => {
        this.#ended = true;
        this.#wake();
        return { code: status.code, stderr: this.#stderr };
      },
    );
  }

  get stderr(): string {
    return this.#stderr;
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #readLines(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
      this.#wake();
    }
    if (pending) onLine(pending);
    this.#wake();
  }

  #wake(): void {
    for (const waker of [...this.#wakers]) waker();
  }

  /** Waits until something new arrives, the process ends, or `ms` pass. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  describe(): string {
    const recent = this.lines.slice(-15).join("\n  ");
    const errors = this.#stderr.split("\n").slice(-15).join("\n  ");
    return `${this.#name}: last output:\n  ${recent}\nstderr:\n  ${errors}`;
  }

  async stop(): Promise<PythonExit> {
    if (!this.#ended) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return await this.exited;
  }
}

/**
 * Starts `flitter_peer.py` with the given command-line arguments (see the
 * script's docstring: `--broadcast-call ID`, `--broadcast-answer ID`,
 * `--websocket URL --room R --id ID [--call PEER]`, `--colour R,G,B`, …).
 */
export function startPythonPeer(args: string[]): PythonPeer {
  const process = new PythonProcess(
    `Python peer (${args.join(" ")})`,
    PEER_SCRIPT,
    args,
  );
  const waitFor = async <T extends PeerEvent>(
    predicate: (event: PeerEvent) => boolean,
    timeoutMs: number,
    description = "the expected event",
    since = 0,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let index = since;
    while (true) {
      for (; index < process.history.length; index++) {
        const event = process.history[index];
        if (predicate(event)) return event as T;
      }
      if (process.ended) {
        throw new PythonPeerError(
          `Python peer ended before ${description}; ${process.describe()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PythonPeerError(
          `Python peer: no ${description} within ${timeoutMs} ms; ${process.describe()}`,
        );
      }
      await process.changed(left);
    }
  };
  return {
    history: process.history,
    async *events() {
      let index = 0;
      while (true) {
        while (index < process.history.length) yield process.history[index++];
        if (process.ended) return;
        await process.changed(60_000);
      }
    },
    waitFor,
    stop: () => process.stop(),
    exited: process.exited,
  };
}

/**
 * Starts `flitter_server.py` on `host` (default 127.0.0.1) and a free port
 * (or `port`), resolving once it prints `listening <port>`.
 */
export async function startPythonServer(
  options: { host?: string; port?: number; timeoutMs?: number } = {},
): Promise<PythonServer> {
  const host = options.host ?? "127.0.0.1";
  const process = new PythonProcess("Python signalling server", SERVER_SCRIPT, [
    "--host",
    host,
    "--port",
    String(options.port ?? 0),
  ]);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let port: number | undefined;
  while (port === undefined) {
    const line = process.lines.find((l) => l.startsWith("listening "));
    if (line) {
      port = Number(line.slice("listening ".length));
      break;
    }
    if (process.ended || Date.now() >= deadline) {
      await process.stop();
      throw new PythonPeerError(
        `Python signalling server did not start listening; ${process.describe()}`,
      );
    }
    await process.changed(deadline - Date.now());
  }
  return {
    port,
    url: `ws://${host}:${port}/`,
    stderr: () => process.stderr,
    stop: () => process.stop(),
  };
}

/**
 * Undefined when `/usr/bin/python3` can run the peer (aiortc, cryptography,
 * numpy, av); otherwise a message saying what is missing. With
 * `websocket: true`, also requires python3-websockets.
 */
export async function pythonPeerUnavailable(
  options: { websocket?: boolean } = {},
): Promise<string | undefined> {
  const modules = ["aiortc", "av", "numpy", "cryptography"];
  if (options.websocket) modules.push("websockets");
  try {
    const { success, stderr } = await new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (success) return undefined;
    const detail = new TextDecoder().decode(stderr).trim().split("\n").at(-1);
    return `${PYTHON} cannot import ${modules.join(", ")} (${detail}); ` +
      "install python3-aiortc python3-cryptography python3-websockets";
  } catch (error) {
    return `${PYTHON} cannot be run: ${(error as Error).message}`;
  }
}

/** Whether each channel of `actual` is within `tolerance` of `expected`. */
export function colourNear(
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number,
): boolean {
  return expected.length === actual.length &&
    expected.every((value, i) => Math.abs(actual[i] - value) <= tolerance);
}

/**
 * A predicate for {@link PythonPeer.waitFor}: a `frame` event whose centre
 * (and, when given, top and bottom bands) are near the expected colours.
 */
export function frameNear(
  centre: Rgb | undefined,
  tolerance: number,
  bands: { top?: Rgb; bottom?: Rgb } = {},
): (event: PeerEvent) => boolean {
  return (event) => {
    if (event.event !== "frame") return false;
    const frame = event as FrameEvent;
    return (centre === undefined || colourNear(frame.rgb, centre, tolerance)) &&
      (bands.top === undefined ||
        colourNear(frame.top, bands.top, tolerance)) &&
      (bands.bottom === undefined ||
        colourNear(frame.bottom, bands.bottom, tolerance));
  };
}

/** A predicate: a `state` event with the given connection state. */
export function stateIs(state: string): (event: PeerEvent) => boolean {
  return (event) => event.event === "state" && event.state === state;
}
