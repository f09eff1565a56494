/**
 * Turns scene file text (TOML or JSON) into plain data, with syntax errors
 * located by line and column.
 *
 * @module
 */

import { parse as parseToml, TomlError } from "npm:smol-toml@1.6.0";
import { SceneError } from "./errors.ts";

/** Scene file syntaxes. */
export type SceneFormat = "toml" | "json";

/** The syntax of `file`, from its extension (`.json` → JSON, else TOML). */
export function formatOf(file: string): SceneFormat {
  return file.toLowerCase().endsWith(".json") ? "json" : "toml";
}

/** Line and column (1-based) of character `offset` in `text`. */
export function lineColumnOf(text: string, offset: number): [number, number] {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return [line, offset - start + 1];
}

/** Parses `text` as `format`; throws {@linkcode SceneError} on a syntax error. */
export function parseSceneText(
  text: string,
  file: string,
  format: SceneFormat = formatOf(file),
): unknown {
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      const lineColumn = /line (\d+) column (\d+)/.exec(message);
      let line: number | undefined;
      let column: number | undefined;
      if (lineColumn) [line, column] = [+lineColumn[1], +lineColumn[2]];
      else if (position) [line, column] = lineColumnOf(text, +position[1]);
      const problem = message.replace(/ (in JSON )?at position \d+.*$/s, "")
        .replace(/ \(line \d+ column \d+\)/, "");
      throw new SceneError({ file, line, column }, `Invalid JSON: ${problem}`);
    }
  }
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const problem = error.message.replace(/^Invalid TOML document: /, "")
        .split("\n")[0];
      throw new SceneError(
        { file, line: error.line, column: error.column },
        `Invalid TOML: ${problem}`,
      );
    }
    throw error;
  }
}
