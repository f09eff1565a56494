/**
 * Reads and validates a scene file.
 *
 * @module
 */

import { SceneError } from "./errors.ts";
import { buildSceneModel, type NodeModel, type SceneModel } from "./model.ts";
import type { NodeKind } from "./node.ts";
import { parseSceneText, type SceneFormat } from "./parse_text.ts";

/** Parses scene `text` (from `file`, for messages) into a model. */
export function loadSceneText(
  text: string,
  file: string,
  format?: SceneFormat,
): SceneModel {
  return buildSceneModel(parseSceneText(text, file, format), file);
}

/**
 * Reads `file` and builds its model, then awaits the `load()` of the kinds
 * it uses (see {@linkcode loadNodeKinds}); throws {@linkcode SceneError}.
 */
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
  const model = loadSceneText(text, file);
  await loadNodeKinds(model);
  return model;
}

/**
 * Awaits `NodeKind.load()` of every kind `model` uses that has one (e.g.
 * `!canvas`, whose drawing library is loaded on first use). Failures are
 * ignored here: the kind's nodes report them.
 */
export async function loadNodeKinds(model: SceneModel): Promise<void> {
  const kinds = new Set<NodeKind>();
  const visit = (nodes: readonly NodeModel[]) => {
    for (const node of nodes) {
      if (node.nodeKind.load !== undefined) kinds.add(node.nodeKind);
      visit(node.children);
    }
  };
  visit(model.nodes);
  if (kinds.size === 0) return;
  await Promise.allSettled([...kinds].map((kind) => kind.load!()));
}
