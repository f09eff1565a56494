/**
 * libwebrtc field trials for the `@roamhq/wrtc` addon loaded in this process.
 *
 * libwebrtc reads tuning switches ("field trials", e.g.
 * `WebRTC-ForcePlayoutDelay/min_ms:0,max_ms:0/`) from one process-wide
 * string set by `webrtc::field_trial::InitFieldTrialsFromString`. Chrome sets
 * it from its command line; wrtc has no way to, and the function is not
 * exported from `wrtc.node`. The addon ships with its symbol table, though,
 * so this module finds the function there: it parses the ELF file that
 * `/proc/self/maps` shows is loaded, takes the function's address relative to
 * where the file is mapped, checks that the code in memory is byte for byte
 * the code in the file, and only then calls it through Deno FFI. Anything
 * unexpected (another OS, a stripped or different build) makes
 * {@linkcode setWrtcFieldTrials} throw a {@linkcode FieldTrialsError} and
 * change nothing.
 *
 * libwebrtc keeps the pointer it is given, so the string lives in a buffer
 * this module never frees. Trials are read as objects are built, so set them
 * before the first peer connection, and after the addon was loaded
 * (`await loadWrtc()`; importing this module does not load it). Finding the
 * function reads about 5 MB of the addon's symbol table once (some 20 ms).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { isWrtcLoaded } from "./_wrtc.ts";

/**
 * The field trials this project runs libwebrtc with unless told otherwise:
 * lowest latency over smoothness, for live visuals.
 *
 * - `WebRTC-ForcePlayoutDelay` 0/0: received frames are decoded and handed
 *   over as soon as they are complete, with no jitter buffer holding them
 *   back (measured: 720p30 glass-to-glass p50 119 → 84 ms on loopback).
 * - `WebRTC-ForceSendPlayoutDelay` 0/0: our outgoing video asks the peer's
 *   receiver for the same through the RTP `playout-delay` header extension
 *   (honoured by libwebrtc peers such as Chrome where negotiated).
 * - `WebRTC-BurstyPacer` 40 ms: a frame's packets leave at once instead of
 *   being spread over ~25 ms by the pacer (720p30 p50 84 → 50 ms).
 *
 * On a network with much jitter, frames then show as unevenly as they
 * arrive; `flitter_webrtc run --field-trials=` (empty) restores libwebrtc's
 * defaults.
 */
export const LOW_LATENCY_FIELD_TRIALS: string =
  "WebRTC-ForcePlayoutDelay/min_ms:0,max_ms:0/" +
  "WebRTC-ForceSendPlayoutDelay/min_ms:0,max_ms:0/" +
  "WebRTC-BurstyPacer/burst:40ms/";

const INIT_FIELD_TRIALS_SYMBOL =
  "_ZN6webrtc11field_trial25InitFieldTrialsFromStringEPKc";
/** `webrtc::field_trial::trials_init_string` (a `const char*`, file-local). */
const TRIALS_STRING_SYMBOL = "_ZN6webrtc11field_trialL18trials_init_stringE";
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const SECTION_TYPE_SYMTAB = 2;
const SEGMENT_TYPE_LOAD = 1;
/** Bytes of the function compared between the file and memory. */
const CODE_CHECK_BYTES = 64;

/** Field trials could not be set in the loaded wrtc addon. */
export class FieldTrialsError extends Error {
  /** Makes the error; `message` says what went wrong. */
  constructor(message: string) {
    super(`cannot set libwebrtc field trials: ${message}`);
    this.name = "FieldTrialsError";
  }
}

/** One mapping of the addon file, from `/proc/self/maps`. */
interface AddonMapping {
  path: string;
  start: bigint;
}

/** Where a symbol lies in the file and in the loaded image. */
interface SymbolLocation {
  /** Virtual address in the file's own address space. */
  address: bigint;
  /** Offset of that address in the file (`null` for zero-filled data). */
  fileOffset: number | null;
}

let activeTrials: string | null = null;
let defaultsAttempted = false;
/** Keeps every string handed to libwebrtc alive: it stores the pointer. */
const retainedStrings: Uint8Array[] = [];
let initFunction: Deno.UnsafeFnPointer<InitDefinition> | null = null;

type InitDefinition = {
  readonly parameters: readonly ["buffer"];
  readonly result: "void";
};

/** The field-trial string last set with {@linkcode setWrtcFieldTrials}. */
export function activeWrtcFieldTrials(): string | null {
  return activeTrials;
}

/**
 * Checks a field-trial string's shape: `Name/group/` pairs, each part
 * non-empty, as libwebrtc requires. The empty string (no trials) is valid.
 */
export function isValidFieldTrials(trials: string): boolean {
  if (trials === "") return true;
  if (!trials.endsWith("/")) return false;
  const parts = trials.slice(0, -1).split("/");
  return parts.length % 2 === 0 && parts.every((part) => part.length > 0);
}

/**
 * Sets libwebrtc's field trials in the loaded wrtc addon, replacing earlier
 * ones. Throws {@linkcode FieldTrialsError} where that cannot be done
 * safely (the addon not loaded yet included: `await loadWrtc()` first);
 * nothing is changed then.
 */
export function setWrtcFieldTrials(trials: string): void {
  if (!isValidFieldTrials(trials)) {
    throw new FieldTrialsError(
      `"${trials}" is not of the form Name/group/Name/group/`,
    );
  }
  if (activeTrials === trials) return;
  initFunction ??= locateInitFunction();
  const text = new TextEncoder().encode(`${trials}\0`);
  retainedStrings.push(text);
  initFunction.call(text);
  activeTrials = trials;
}

/**
 * Applies {@linkcode LOW_LATENCY_FIELD_TRIALS} unless field trials were
 * set already; called before each peer connection is made (and by a
 * `!webrtc` node once the addon has loaded). Where they cannot be set, logs
 * one warning and leaves libwebrtc's defaults.
 */
export function ensureWrtcFieldTrials(log: Logger): void {
  // Without the addon there is no peer connection to come yet: try later.
  if (activeTrials !== null || defaultsAttempted || !isWrtcLoaded()) return;
  defaultsAttempted = true;
  try {
    setWrtcFieldTrials(LOW_LATENCY_FIELD_TRIALS);
    log.debug(`libwebrtc field trials: ${LOW_LATENCY_FIELD_TRIALS}`);
  } catch (error) {
    if (!(error instanceof FieldTrialsError)) throw error;
    log.warn(
      `${error.message}; calls use libwebrtc's default jitter buffer and pacing (more latency)`,
    );
  }
}

function locateInitFunction(): Deno.UnsafeFnPointer<InitDefinition> {
  const pointer = addonSymbol(INIT_FIELD_TRIALS_SYMBOL, true);
  return new Deno.UnsafeFnPointer(
    pointer as Deno.PointerObject<InitDefinition>,
    { parameters: ["buffer"], result: "void" } as const,
  );
}

/**
 * The field-trial string libwebrtc itself holds now (read from its
 * `trials_init_string`), `""` when none. Throws
 * {@linkcode FieldTrialsError} where it cannot be found.
 */
export function libwebrtcFieldTrials(): string {
  const variable = addonSymbol(TRIALS_STRING_SYMBOL, false);
  const value = new Deno.UnsafePointerView(variable).getPointer();
  return value === null ? "" : Deno.UnsafePointerView.getCString(value);
}

/**
 * The address of a symbol of the loaded addon. `isCode`: also check that
 * the bytes there are the function's bytes in the file.
 */
function addonSymbol(name: string, isCode: boolean): Deno.PointerObject {
  if (Deno.build.os !== "linux") {
    throw new FieldTrialsError(`not supported on ${Deno.build.os}`);
  }
  if (!isWrtcLoaded()) {
    throw new FieldTrialsError(
      "the wrtc addon is not loaded yet (await loadWrtc() first)",
    );
  }
  const mapping = findAddonMapping();
  using elf = new ElfReader(mapping.path);
  const symbol = elf.findSymbol(name);
  const pointer = Deno.UnsafePointer.create(mapping.start + symbol.address);
  if (pointer === null) throw new FieldTrialsError(`${name} has no address`);
  if (isCode) {
    if (symbol.fileOffset === null) {
      throw new FieldTrialsError(`${name} is not code in ${mapping.path}`);
    }
    const inMemory = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(pointer, CODE_CHECK_BYTES),
    );
    const inFile = elf.read(symbol.fileOffset, CODE_CHECK_BYTES);
    if (!inMemory.every((byte, index) => byte === inFile[index])) {
      throw new FieldTrialsError(
        `the code of ${name} in memory differs from ${mapping.path}`,
      );
    }
  }
  return pointer;
}

/** The addon's first mapping (file offset 0), whose start is its load base. */
function findAddonMapping(): AddonMapping {
  const maps = Deno.readTextFileSync("/proc/self/maps");
  for (const line of maps.split("\n")) {
    // start-end perms offset dev inode path
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const path = fields.slice(5).join(" ");
    if (!path.endsWith("/wrtc.node") || !/^0+$/.test(fields[2])) continue;
    return { path, start: BigInt(`0x${fields[0].split("-")[0]}`) };
  }
  throw new FieldTrialsError("wrtc.node is not mapped in this process");
}

/**
 * Where `wanted` is a whole NUL-terminated string of the table `strings`
 * (preceded by a NUL too), or -1. Jumps between candidates with the typed
 * array's native `indexOf`.
 */
function wholeString(strings: Uint8Array, wanted: Uint8Array): number {
  const n = wanted.length;
  for (
    let i = strings.indexOf(wanted[0], 1);
    i >= 0;
    i = strings.indexOf(wanted[0], i + 1)
  ) {
    if (strings[i - 1] !== 0 || strings[i + n] !== 0) continue;
    let j = 1;
    while (j < n && strings[i + j] === wanted[j]) j++;
    if (j === n) return i;
  }
  return -1;
}

/** Reads what it needs of a 64-bit little-endian ELF shared object. */
class ElfReader implements Disposable {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  readonly #header: DataView;

  constructor(path: string) {
    this.#path = path;
    this.#file = Deno.openSync(path, { read: true });
    const bytes = this.read(0, 64);
    const isElf64LittleEndian =
      ELF_MAGIC.every((byte, i) => bytes[i] === byte) && bytes[4] === 2 &&
      bytes[5] === 1;
    if (!isElf64LittleEndian) {
      this.#file.close();
      throw new FieldTrialsError(
        `${path} is not a 64-bit little-endian ELF file`,
      );
    }
    this.#header = new DataView(bytes.buffer);
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }

  /** `length` bytes at `offset` of the file. */
  read(offset: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    for (let done = 0; done < length;) {
      const count = this.#file.readSync(bytes.subarray(done));
      if (count === null) {
        throw new FieldTrialsError(`${this.#path} ends early`);
      }
      done += count;
    }
    return bytes;
  }

  /** Finds `name` in the symbol table (`.symtab`). */
  findSymbol(name: string): SymbolLocation {
    const sections = this.#table(0x28, 0x3a, 0x3c);
    const wanted = new TextEncoder().encode(name);
    for (const section of sections) {
      if (section.getUint32(4, true) !== SECTION_TYPE_SYMTAB) continue;
      const symbols = this.#contents(section);
      const strings = this.#contents(sections[section.getUint32(40, true)]);
      const entrySize = Number(section.getBigUint64(56, true)) || 24;
      const view = new DataView(symbols.buffer);
      // Each entry's name offset, as words (`read` gives aligned bytes; the
      // file is little-endian, as is every machine wrtc runs on).
      const words = new Uint32Array(symbols.buffer, 0, symbols.length >>> 2);
      const step = entrySize >>> 2;
      const at = (nameAt: number) => {
        for (let w = 0; (w + step) * 4 <= symbols.length; w += step) {
          if (words[w] === nameAt) return w * 4;
        }
        return -1;
      };
      // The name as a whole string of the table first (wrtc.node's tables
      // hold about 100,000 names); a name stored only as the tail of a
      // longer one falls through to comparing every entry's name.
      const whole = wholeString(strings, wanted);
      let entry = whole < 0 ? -1 : at(whole);
      for (
        let k = 0;
        entry < 0 && k + entrySize <= symbols.length;
        k += entrySize
      ) {
        const nameAt = view.getUint32(k, true);
        if (
          strings[nameAt + wanted.length] === 0 &&
          wanted.every((byte, i) => strings[nameAt + i] === byte)
        ) entry = k;
      }
      if (entry < 0) continue;
      const address = view.getBigUint64(entry + 8, true);
      if (address === 0n) break;
      return { address, fileOffset: this.#fileOffsetOf(address) };
    }
    throw new FieldTrialsError(`${this.#path} has no symbol ${name}`);
  }

  /** The entries of the program (segment) or section header table. */
  #table(offsetAt: number, sizeAt: number, countAt: number): DataView[] {
    const offset = Number(this.#header.getBigUint64(offsetAt, true));
    const size = this.#header.getUint16(sizeAt, true);
    const count = this.#header.getUint16(countAt, true);
    const bytes = this.read(offset, size * count);
    return Array.from(
      { length: count },
      (_, index) => new DataView(bytes.buffer, index * size, size),
    );
  }

  /** A section's bytes. */
  #contents(section: DataView): Uint8Array {
    return this.read(
      Number(section.getBigUint64(24, true)),
      Number(section.getBigUint64(32, true)),
    );
  }

  /** The file offset of a virtual address, through the loadable segments. */
  #fileOffsetOf(address: bigint): number | null {
    for (const segment of this.#table(0x20, 0x36, 0x38)) {
      if (segment.getUint32(0, true) !== SEGMENT_TYPE_LOAD) continue;
      const fileOffset = segment.getBigUint64(8, true);
      const virtualAddress = segment.getBigUint64(16, true);
      const fileSize = segment.getBigUint64(32, true);
      if (address >= virtualAddress && address < virtualAddress + fileSize) {
        return Number(address - virtualAddress + fileOffset);
      }
    }
    return null;
  }
}
