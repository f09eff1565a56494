/**
 * JSON text laid out as Python's `json.dumps` writes it by default
 * (`", "` and `": "` separators, every non-ASCII character escaped as
 * `\uXXXX`), so that our broadcast messages are the same bytes the original
 * plugin sends. Any JSON parser reads them; matching the layout only makes
 * datagrams byte-identical to the original's for the same SDP.
 *
 * @module
 */

/** Writes `value` as Python's `json.dumps(value)` would. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot write ${value} as JSON`);
    }
    return JSON.stringify(value);
  }
  if (typeof value === "string") return asciiOnly(JSON.stringify(value));
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) =>
        `${asciiOnly(JSON.stringify(key))}: ${pythonJsonDumps(item)}`
      );
    return `{${entries.join(", ")}}`;
  }
  throw new TypeError(`Cannot write a ${typeof value} as JSON`);
}

/** Escapes every UTF-16 code unit from 0x7F up in JSON text as `\uXXXX`. */
function asciiOnly(json: string): string {
  return json.replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
