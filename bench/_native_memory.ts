/**
 * What a process's memory is made of, for the soak benchmark: RSS from
 * `/proc/self/status`, glibc's malloc figures (`mallinfo2`, through FFI:
 * bytes in use against bytes held free in its arenas) and, on request,
 * `malloc_trim(0)` (free arena memory handed back to the system), so that
 * memory still in use can be told from memory glibc keeps after it was
 * freed. Where glibc is not there (musl, macOS) the malloc figures are
 * `null`. The FFI part is `lib/webrtc/native_heap.ts`.
 *
 * @module
 */

import {
  nativeHeapFigures,
  trimNativeHeap,
} from "../lib/webrtc/native_heap.ts";

/** glibc's malloc figures, MiB. */
export interface MallocFigures {
  /** Bytes in use: small chunks in arenas plus mmapped chunks. */
  inUseMiB: number;
  /** Free bytes held in arenas (counted in RSS where touched). */
  freeMiB: number;
  /** Bytes of arena address space (main arena and thread arenas). */
  arenaMiB: number;
  /** Bytes in mmapped chunks (large allocations, returned on free). */
  mmapMiB: number;
}

const MIB = 1024 * 1024;

/** glibc's `mallinfo2()` (all arenas) in MiB, or `null` without glibc. */
export function mallocFigures(): MallocFigures | null {
  const heap = nativeHeapFigures();
  if (heap === null) return null;
  return {
    inUseMiB: heap.inUse / MIB,
    freeMiB: heap.free / MIB,
    arenaMiB: heap.arena / MIB,
    mmapMiB: heap.mmapped / MIB,
  };
}

/** `malloc_trim(0)`: hands free arena memory back; `false` without glibc. */
export function mallocTrim(): Promise<boolean> {
  return trimNativeHeap();
}

/** Fields of `/proc/self/status` in MiB: `VmRSS`, `VmHWM`, `RssAnon`, `RssFile`. */
export function procMemory(): {
  rssMiB: number;
  peakRssMiB: number;
  anonMiB: number;
  fileMiB: number;
} {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kib = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return {
    rssMiB: kib("VmRSS") / 1024,
    peakRssMiB: kib("VmHWM") / 1024,
    anonMiB: kib("RssAnon") / 1024,
    fileMiB: kib("RssFile") / 1024,
  };
}

/** Threads of this process. */
export function threadCount(): number {
  return [...Deno.readDirSync("/proc/self/task")].length;
}

/** utime + stime of this process (all threads), seconds. */
export function processCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}
