/**
 * glibc's malloc heap, which libwebrtc allocates from: its figures
 * (`mallinfo2`) and handing the memory it keeps free back to the system
 * (`malloc_trim(0)`), both through FFI.
 *
 * Why: libwebrtc's threads allocate and free a great deal in a call (codec
 * buffers and 720p frames, packets, a connection's transports), and glibc
 * keeps most of what is freed in its per-thread arenas rather than
 * returning it, so the RSS of a process that makes many calls grows
 * although the memory in use hardly does. Measured with
 * `bench/soak_bench.ts --cycles=100` (1280x720 calls set up, held 2 s and
 * torn down): RSS per endpoint went from 162 to 887 and 795 MiB, 2.3–4.0
 * MiB per call, while glibc's bytes in use grew 0.08–0.14 MiB per call and
 * up to 700 MiB lay free in its arenas. So a `WrtcPeerSession` asks for a
 * trim ({@linkcode scheduleNativeHeapTrim}) each time it closes a peer
 * connection: one `malloc_trim(0)` a second later (closes in that time
 * share it), on a thread of its own, so no frame waits for it (it takes
 * 5–70 ms there). With it the same run ended at 464 and 374 MiB (0.8–2.0
 * MiB per call). What is left is fragmentation of the arenas, which
 * `GLIBC_TUNABLES=glibc.malloc.arena_max=2` at start-up reduces further
 * (the limit cannot be set once the process runs: `mallopt` then was
 * measured to change nothing).
 *
 * A long call does the same more slowly: over a 30-minute 1280x720 call
 * (`bench/soak_bench.ts --minutes=30`) the bytes in use stayed flat after
 * minute 3 while the free bytes glibc kept grew from about 45 to 70 MiB
 * per endpoint, and the RSS with them. So while a call is up the heap is
 * also trimmed every {@linkcode CALL_TRIM_INTERVAL_MS}
 * ({@linkcode trimWhileCallUp}).
 *
 * Where glibc is missing (musl, macOS) or FFI is not permitted (it is
 * wherever wrtc runs: the addon needs it too; nothing asks for it), the
 * figures are `null` and trimming does nothing.
 *
 * @module
 */

/** glibc's malloc figures, in bytes (all arenas). */
export interface NativeHeapFigures {
  /** In use: chunks in the arenas plus mmapped chunks. */
  inUse: number;
  /** Free, kept in the arenas (part of the RSS where touched). */
  free: number;
  /** The arenas' size (main arena and thread arenas). */
  arena: number;
  /** In mmapped chunks (large allocations, returned at once when freed). */
  mmapped: number;
}

/** How long (ms) after a connection closes the heap is trimmed. */
export const TRIM_DELAY_MS = 1000;

/** `struct mallinfo2`: ten `size_t` fields. */
const MALLINFO2 = {
  struct: [
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
    "usize",
  ],
} as const;

const SYMBOLS = {
  mallinfo2: { parameters: [], result: MALLINFO2 },
  malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: true },
} as const;

let libc: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;

function openLibc(): Deno.DynamicLibrary<typeof SYMBOLS> | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux") return libc;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return libc;
    }
    libc = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    // not glibc, or no FFI permission: nothing to trim
  }
  return libc;
}

/** glibc's `mallinfo2()` for the whole process, or `null` without glibc. */
export function nativeHeapFigures(): NativeHeapFigures | null {
  const lib = openLibc();
  if (lib === null) return null;
  const bytes = lib.symbols.mallinfo2();
  const fields = new BigUint64Array(bytes.buffer, bytes.byteOffset, 10);
  const [arena, , , , hblkhd, , , uordblks, fordblks] = [...fields].map(
    Number,
  );
  return { inUse: uordblks + hblkhd, free: fordblks, arena, mmapped: hblkhd };
}

let trims = 0;
let running: Promise<boolean> | null = null;

/**
 * `malloc_trim(0)` on a thread of its own: resolves `true` once glibc has
 * handed back what it could, `false` without glibc. Calls made while one
 * runs share it.
 */
export function trimNativeHeap(): Promise<boolean> {
  if (running !== null) return running;
  const lib = openLibc();
  if (lib === null) return Promise.resolve(false);
  trims++;
  running = lib.symbols.malloc_trim(0n).then(() => true, () => false)
    .finally(() => running = null);
  return running;
}

/** How many trims have started in this process (for tests and benchmarks). */
export function nativeHeapTrims(): number {
  return trims;
}

/** How often (ms) the heap is trimmed while a call is up. */
export const CALL_TRIM_INTERVAL_MS = 60_000;

let callsUp = 0;
let periodic: ReturnType<typeof setInterval> | null = null;

/**
 * Trims the heap every {@linkcode CALL_TRIM_INTERVAL_MS} while at least
 * one call is up (one timer for all, which does not keep the process
 * alive); returns the function that says this call is over (safe to call
 * twice).
 */
export function trimWhileCallUp(): () => void {
  if (openLibc() === null) return () => {};
  callsUp++;
  if (periodic === null) {
    periodic = setInterval(() => void trimNativeHeap(), CALL_TRIM_INTERVAL_MS);
    Deno.unrefTimer(periodic);
  }
  let over = false;
  return () => {
    if (over) return;
    over = true;
    if (--callsUp === 0 && periodic !== null) {
      clearInterval(periodic);
      periodic = null;
    }
  };
}

/** How many calls hold periodic trims now (for tests). */
export function callsTrimmed(): number {
  return callsUp;
}

let pending: ReturnType<typeof setTimeout> | null = null;

/**
 * Trims the heap {@linkcode TRIM_DELAY_MS} from now, unless a trim is
 * already due then (calls in between share it). The timer does not keep
 * the process alive.
 */
export function scheduleNativeHeapTrim(): void {
  if (pending !== null || openLibc() === null) return;
  pending = setTimeout(() => {
    pending = null;
    trimNativeHeap();
  }, TRIM_DELAY_MS);
  Deno.unrefTimer(pending);
}
