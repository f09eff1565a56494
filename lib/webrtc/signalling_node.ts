/**
 * Scene nodes for signalling kinds: every registered signalling kind
 * (`!broadcast`, `!websocket`, …) becomes a node kind of the same name whose
 * instances only turn their attributes into the kind's configuration each
 * frame. A `!webrtc` parent reads {@linkcode SignallingNode.config} and runs
 * the signalling; the node itself draws nothing and has no output.
 *
 * Importing this module registers the node kinds, for the signalling kinds
 * registered so far and for any registered later.
 *
 * @module
 */

import { getLogger } from "../log/logger.ts";
import { LogOnce } from "../log/log_once.ts";
import type { Attributes } from "../scene/attributes.ts";
import { formatProblem } from "../scene/errors.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../scene/node.ts";
import {
  onSignallingKindRegistered,
  type SignallingKind,
} from "../signalling/signalling.ts";

/** One signalling node of a scene (e.g. `!broadcast call="cam1"`). */
export class SignallingNode extends SceneNode {
  #config: unknown = null;
  #key: string | null = null;
  #attrs: Attributes | null = null;
  /** What `configure` reported: each record once, until a working configuration. */
  readonly #reported = new LogOnce();
  readonly #log = this.#reported.logger(getLogger("signalling"));

  /** @param kind the signalling kind this node configures */
  constructor(readonly kind: SignallingKind) {
    super();
  }

  /** This frame's attributes (`null` before the first frame). */
  get attributes(): Attributes | null {
    return this.#attrs;
  }

  /** The configuration from this frame's attributes, or `null` when they are not usable. */
  get config(): unknown {
    return this.#config;
  }

  /** `kind` name and configuration as JSON (compare to see changes), or `null` without a configuration. */
  get configKey(): string | null {
    return this.#key;
  }

  /** Configures the kind from `attrs`; children inherit the parent's size. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.#attrs = attrs;
    let config: unknown = null;
    try {
      config = this.kind.configure(attrs, this.#log);
    } catch (error) {
      this.#log.error(
        formatProblem(
          attrs.location(),
          `cannot configure !${this.kind.name}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      );
    }
    const key = config === null || config === undefined
      ? null
      : `${this.kind.name} ${JSON.stringify(config)}`;
    if (key !== this.#key) {
      // A configuration that works (again) forgets the problems reported, so
      // each is reported afresh should it come back. (Not on a change to no
      // configuration: what this call just reported would print twice.)
      if (key !== null) this.#reported.reset();
      this.#key = key;
    }
    this.#config = key === null ? null : config;
    return inherited;
  }

  /** Draws nothing. */
  render(_ctx: RenderContext, _children: readonly SceneNode[]): void {}
}

onSignallingKindRegistered((kind) => {
  registerNodeKind({
    name: kind.name,
    attributes: [...COMMON_ATTRIBUTES, ...kind.attributes],
    // `!websocket id=` is the endpoint ID, not a node ID to look up.
    idRefersToOther: kind.attributes.includes("id"),
    load: kind.prepare && (() => kind.prepare!().catch(() => {})),
    create: () => new SignallingNode(kind),
  });
});
