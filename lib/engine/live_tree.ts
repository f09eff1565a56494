/**
 * The live tree: node instances mirroring a scene model, kept across frames
 * and across reloads while a node's place and kind stay the same.
 *
 * Per frame the walk evaluates only the attributes that are expressions
 * (constants were set once), checks `if` conditions, and calls each node's
 * `prepare`, then its children, then its `render`.
 *
 * @module
 */

import type { EvaluationScope } from "../expr/expression.ts";
import { asString, isTruthy } from "../expr/values.ts";
import type { Logger } from "../log/logger.ts";
import type {
  Inherited,
  NodeKind,
  RenderContext,
  SceneNode,
} from "../scene/node.ts";
import { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import type { AttributeSource, NodeModel } from "../scene/model.ts";

/** One node of the live tree. */
export class LiveNode {
  /** The node's instance while it exists (`if` true), else `null`. */
  instance: SceneNode | null = null;
  /** Children instances that existed in the last frame, in order. */
  #present: SceneNode[] = [];
  #presenceChanged = true;
  #failure: string | null = null;
  readonly #kind: NodeKind;
  /** Whether this node or one below may await work in a frame (`NodeKind.settles`). */
  readonly maySettle: boolean;

  /**
   * @param model the scene model node
   * @param attributes the attribute values (constants set already)
   * @param children live children, one per model child
   */
  constructor(
    public model: NodeModel,
    public attributes: Attributes,
    public children: LiveNode[],
  ) {
    this.#kind = model.nodeKind;
    this.maySettle = (this.#kind.settles ?? false) ||
      children.some((child) => child.maySettle);
  }

  /** Instances of the children present in the last frame. */
  get presentChildren(): readonly SceneNode[] {
    return this.#present;
  }

  /** Evaluates, prepares and renders this node and its subtree for one frame. */
  update(
    ctx: RenderContext,
    scope: EvaluationScope,
    inherited: Inherited,
    ids: Map<string, SceneNode>,
    log: Logger,
  ): boolean {
    const passed = this.#begin(ctx, scope, inherited, ids, log);
    if (passed === null) return false;
    for (const child of this.children) {
      const had = child.instance;
      const present = child.update(ctx, scope, passed, ids, log);
      this.#noteChild(child, had, present);
    }
    this.#finish(ctx, log);
    return true;
  }

  /**
   * As {@linkcode update}, awaiting each node's `settle()` (after its
   * children, before its `render`) while the event loop runs.
   */
  async updateAsync(
    ctx: RenderContext,
    scope: EvaluationScope,
    inherited: Inherited,
    ids: Map<string, SceneNode>,
    log: Logger,
  ): Promise<boolean> {
    if (!this.maySettle) return this.update(ctx, scope, inherited, ids, log);
    const passed = this.#begin(ctx, scope, inherited, ids, log);
    if (passed === null) return false;
    for (const child of this.children) {
      const had = child.instance;
      const present = await child.updateAsync(ctx, scope, passed, ids, log);
      ctx.gl.ensureCurrent();
      this.#noteChild(child, had, present);
    }
    const instance = this.instance!;
    let settling: Promise<unknown> | null = null;
    try {
      settling = instance.settle(ctx, this.#presentNow());
    } catch (error) {
      this.#report(error, log);
    }
    if (settling !== null) {
      try {
        await settling;
      } catch (error) {
        this.#report(error, log);
      }
    }
    if (this.instance !== instance) return false; // destroyed meanwhile
    ctx.gl.ensureCurrent(); // another engine may have rendered meanwhile
    this.#finish(ctx, log);
    return true;
  }

  /** Evaluates and prepares the node; returns what its children inherit, or `null` when absent. */
  #begin(
    ctx: RenderContext,
    scope: EvaluationScope,
    inherited: Inherited,
    ids: Map<string, SceneNode>,
    log: Logger,
  ): Inherited | null {
    const model = this.model;
    if (
      model.condition !== null && !isTruthy(evaluate(model.condition, scope))
    ) {
      if (this.instance !== null) this.destroy(ids);
      return null;
    }
    if (this.instance === null) {
      this.instance = this.#kind.create(ctx);
      this.#presenceChanged = true;
    }
    const instance = this.instance;
    const attributes = this.attributes;
    for (const name of model.dynamic) {
      attributes.set(name, evaluate(model.attributes.get(name)!, scope));
    }
    const id = attributes.has("id") && !this.#kind.idRefersToOther
      ? asString(attributes.get("id"))
      : null;
    if (id !== instance.id) {
      if (instance.id !== null && ids.get(instance.id) === instance) {
        ids.delete(instance.id);
      }
      instance.id = id;
    }
    if (id !== null) ids.set(id, instance);
    instance.hidden = attributes.boolean("hidden", false);
    let passed = inherited;
    try {
      passed = instance.prepare(ctx, attributes, inherited);
    } catch (error) {
      this.#report(error, log);
    }
    return passed;
  }

  #noteChild(child: LiveNode, had: SceneNode | null, present: boolean): void {
    if (present !== (had !== null) || child.instance !== had) {
      this.#presenceChanged = true;
    }
  }

  /** The children present this frame. */
  #presentNow(): readonly SceneNode[] {
    if (this.#presenceChanged) {
      this.#present = [];
      for (const child of this.children) {
        if (child.instance !== null) this.#present.push(child.instance);
      }
      this.#presenceChanged = false;
    }
    return this.#present;
  }

  #finish(ctx: RenderContext, log: Logger): void {
    const present = this.#presentNow();
    try {
      this.instance!.render(ctx, present);
      this.#failure = null;
    } catch (error) {
      this.#report(error, log);
    }
  }

  /** Destroys this node's instance and its subtree's. */
  destroy(ids: Map<string, SceneNode>): void {
    for (const child of this.children) child.destroy(ids);
    if (this.instance !== null) {
      if (
        this.instance.id !== null && ids.get(this.instance.id) === this.instance
      ) {
        ids.delete(this.instance.id);
      }
      try {
        this.instance.destroy();
      } catch {
        // a node failing to clean up must not stop the others
      }
      this.instance = null;
      this.#presenceChanged = true;
    }
  }

  #report(error: unknown, log: Logger): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.#failure) return;
    this.#failure = message;
    log.error(
      message.includes(this.model.path) ? message : formatProblem({
        file: this.attributes.file,
        path: `${this.model.path} (!${this.model.kind})`,
      }, message),
    );
  }
}

/** Evaluates an attribute source in `scope`. */
export function evaluate(source: AttributeSource, scope: EvaluationScope) {
  return source.constant ? source.value : source.expression.evaluate(scope);
}

/**
 * Builds live nodes for `models`, taking over instances from `previous`
 * where a node keeps its kind and place: matched first by a constant `id=`,
 * then by being the n-th sibling of that kind. Unmatched old nodes are
 * destroyed.
 */
export function reconcile(
  models: readonly NodeModel[],
  previous: readonly LiveNode[],
  file: string,
  ids: Map<string, SceneNode>,
): LiveNode[] {
  const unmatched = new Set(previous);
  const byId = new Map<string, LiveNode>();
  for (const old of previous) {
    const id = constantId(old.model);
    if (id !== null) byId.set(`${old.model.kind}#${id}`, old);
  }
  const result = models.map((model, index) => {
    let match: LiveNode | undefined;
    const id = constantId(model);
    if (id !== null) {
      const candidate = byId.get(`${model.kind}#${id}`);
      if (
        candidate && unmatched.has(candidate) &&
        candidate.model.nodeKind === model.nodeKind
      ) match = candidate;
    }
    if (match === undefined) {
      // The same kind record, not only the name: names are per registry.
      const kind = model.nodeKind;
      const ordinal = models.slice(0, index).filter((m) => m.nodeKind === kind)
        .length;
      const candidate = previous.filter((old) => old.model.nodeKind === kind)[
        ordinal
      ];
      if (candidate && unmatched.has(candidate)) match = candidate;
    }
    const attributes = new Attributes(model.path, new Map(), file);
    // Every attribute takes its place in the scene's order (expressions are
    // filled in each frame): Flitter's 3D !transform applies them in order.
    for (const [name, source] of model.attributes) {
      attributes.set(name, source.constant ? source.value : null);
    }
    if (match !== undefined) {
      unmatched.delete(match);
      const children = reconcile(model.children, match.children, file, ids);
      const live = new LiveNode(model, attributes, children);
      live.instance = match.instance;
      return live;
    }
    return new LiveNode(
      model,
      attributes,
      reconcile(model.children, [], file, ids),
    );
  });
  for (const old of unmatched) old.destroy(ids);
  return result;
}

function constantId(model: NodeModel): string | null {
  const source = model.attributes.get("id");
  if (source === undefined || !source.constant) return null;
  return asString(source.value);
}
