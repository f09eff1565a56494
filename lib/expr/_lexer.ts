/**
 * Splits expression text into tokens, each with its 1-based column.
 *
 * @module
 */

import { ExpressionSyntaxError } from "./syntax_error.ts";

/** What a token is. Keywords (`if`, `and`, …) arrive as names. */
export type TokenKind = "number" | "string" | "symbol" | "name" | "op" | "end";

/** One token of an expression. */
export interface Token {
  readonly kind: TokenKind;
  /** Operator text, name, symbol name (without `:`) or decoded string. */
  readonly text: string;
  /** The numeric value of a number token. */
  readonly number: number;
  /** 1-based column of the first character. */
  readonly column: number;
  /** The token exactly as written, for messages. */
  readonly raw: string;
}

const OPERATORS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "..",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  ",",
  ";",
  "|",
  "$",
  "=",
];

/** Flitter's SI-prefix suffixes on numbers (`10m` is 0.01). */
const SI_PREFIXES: Record<string, number> = {
  T: 1e12,
  G: 1e9,
  M: 1e6,
  k: 1e3,
  m: 1e-3,
  u: 1e-6,
  "µ": 1e-6,
  n: 1e-9,
  p: 1e-12,
};

const NAME_START = /[_\p{L}]/u;
const NAME_PART = /[_\p{L}\p{N}]/u;
const NAME = /[_\p{L}][_\p{L}\p{N}]*'*/uy;
const NUMBER =
  /(?:[0-9][_0-9]*(?:\.[0-9][_0-9]*)?|\.[0-9][_0-9]*)(?:[eE][-+]?[0-9][_0-9]*)?/y;

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "\n": "",
};

/** Tokenises `source`; the last token is always `end`. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  const fail = (at: number, detail: string): never => {
    throw new ExpressionSyntaxError(source, at + 1, detail);
  };
  const push = (
    kind: TokenKind,
    text: string,
    start: number,
    end: number,
    number = NaN,
  ) => {
    tokens.push({
      kind,
      text,
      number,
      column: start + 1,
      raw: source.slice(start, end),
    });
  };

  while (i < n) {
    const c = source[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
      continue;
    }
    const start = i;

    // Numbers: 1, 1.5, .5, 1e3, 1_000, 10m
    if ((c >= "0" && c <= "9") || (c === "." && isDigit(source[i + 1]))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(source)!;
      i += match[0].length;
      let value = Number(match[0].replaceAll("_", ""));
      const suffix = source[i];
      if (
        suffix !== undefined && suffix in SI_PREFIXES &&
        !isNamePart(source[i + 1])
      ) {
        value *= SI_PREFIXES[suffix];
        i++;
      }
      push("number", match[0], start, i, value);
      continue;
    }

    // Strings: '…', "…", '''…''', """…"""
    if (c === "'" || c === '"') {
      const triple = source.startsWith(c + c + c, i);
      const quote = triple ? c + c + c : c;
      i += quote.length;
      let text = "";
      for (;;) {
        if (i >= n) fail(start, "Unterminated string");
        const d = source[i];
        if (source.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        if (d === "\n" && !triple) fail(start, "Unterminated string");
        if (d === "\\") {
          const [decoded, length] = decodeEscape(source, i, fail);
          text += decoded;
          i += length;
        } else {
          text += d;
          i++;
        }
      }
      push("string", text, start, i);
      continue;
    }

    // Symbols: :name
    if (c === ":") {
      NAME.lastIndex = i + 1;
      const match = NAME.exec(source);
      if (match === null) fail(start, `Unexpected ":"`);
      i += 1 + match![0].length;
      push("symbol", match![0], start, i);
      continue;
    }

    // Names and keywords
    if (NAME_START.test(c)) {
      NAME.lastIndex = i;
      const match = NAME.exec(source)!;
      i += match[0].length;
      push("name", match[0], start, i);
      continue;
    }

    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (op === undefined) {
      const char = String.fromCodePoint(source.codePointAt(i)!);
      fail(start, `Unexpected ${JSON.stringify(char)}`);
    }
    i += op!.length;
    push("op", op!, start, i);
  }
  push("end", "", n, n);
  return tokens;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isNamePart(c: string | undefined): boolean {
  return c !== undefined && (NAME_PART.test(c) || c === "'");
}

/** Decodes the escape at `source[i]` (a backslash): [text, length]. */
function decodeEscape(
  source: string,
  i: number,
  fail: (at: number, detail: string) => never,
): [string, number] {
  const e = source[i + 1];
  if (e === undefined) return fail(i, "Unterminated string");
  if (e in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[e], 2];
  const hexLength = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (hexLength > 0) {
    const hex = source.slice(i + 2, i + 2 + hexLength);
    if (hex.length !== hexLength || !/^[0-9a-fA-F]+$/.test(hex)) {
      return fail(i, `Invalid escape "\\${e}${hex}"`);
    }
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return fail(i, `Invalid escape "\\${e}${hex}"`);
    return [String.fromCodePoint(code), 2 + hexLength];
  }
  // Unknown escapes keep their backslash, as in Python.
  return ["\\" + e, 2];
}
