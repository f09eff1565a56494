/**
 * Reads and validates a scene file.
 *
 * @module
 */

import { SceneError } from "./errors.ts";
import { buildSceneModel, type SceneModel } from "./model.ts";
import { parseSceneText, type SceneFormat } from "./parse_text.ts";

/** Parses scene `text` (from `file`, for messages) into a model. */
export function loadSceneText(
  text: string,
  file: string,
  format?: SceneFormat,
): SceneModel {
  return buildSceneModel(parseSceneText(text, file, format), file);
}

/** Reads `file` and builds its model; throws {@linkcode SceneError}. */
export async function loadSceneFile(file: string): Promise<SceneModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "File not found"
      : `Cannot read the file (${(error as Error).message})`;
    throw new SceneError({ file }, reason, { cause: error });
  }
  return loadSceneText(text, file);
}
