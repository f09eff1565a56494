/**
 * `!key` and `!pointer`: keyboard and pointer input of the enclosing
 * `!window` written into the scene state, with Flitter's keys. They are
 * children of a `!window`, render nothing, and are fed by the window after
 * each frame (so expressions see input from the next frame on). Offscreen
 * they write nothing: their state stays `null`.
 *
 * `!key state=PREFIX name=NAME` (GLFW key names, lower case):
 * - `PREFIX`: `true` while the key is down, `false` when up, `null` before
 *   anything is known; with `toggle=true` (from Flitter's controller
 *   buttons) it flips on each press instead, starting `false`;
 * - `PREFIX;:pushed` as the key itself, `PREFIX;:released` its negation;
 * - `PREFIX;:pushed;:beat` and `PREFIX;:released;:beat`: the beat of the
 *   frame that saw the latest press or release (`null` before one).
 *
 * `!pointer state=PREFIX`:
 * - `PREFIX`: the pointer over the window's picture, `x;y` from 0 (left,
 *   top) to 1 (right, bottom), or `null` outside it;
 * - `PREFIX;0`, `PREFIX;1`, …: whether each button is down (`null` until
 *   the first pointer event).
 *
 * @module
 */

import {
  items,
  type Scalar,
  sym,
  type Value,
  vectorOf,
} from "../../expr/values.ts";
import { getLogger } from "../../log/logger.ts";
import { didYouMean } from "../../scene/_suggest.ts";
import type { Attributes } from "../../scene/attributes.ts";
import {
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
  type StateStore,
} from "../../scene/node.ts";
import { GLFW_KEYS, keyCode } from "../../window/keys.ts";
import type { ScreenWindow } from "../../window/native_window.ts";

const log = getLogger("scene");

/** Writes state keys under a prefix, remembering them to clear them later. */
class StateWriter {
  #prefix: Value = null;
  readonly #written = new Map<string, Value>();

  /** Sets the prefix; keys written under an old one are cleared. */
  setPrefix(state: StateStore, prefix: Value): void {
    if (formatKey(prefix) === formatKey(this.#prefix)) return;
    this.clear(state);
    this.#prefix = prefix;
  }

  get active(): boolean {
    return this.#prefix !== null;
  }

  /** Writes `value` under `PREFIX;…suffix`. */
  write(state: StateStore, suffix: readonly Scalar[], value: Value): void {
    if (this.#prefix === null) return;
    const key = vectorOf([...items(this.#prefix), ...suffix]);
    state.set(key, value);
    this.#written.set(formatKey(key), key);
  }

  /** Clears every key written. */
  clear(state: StateStore): void {
    for (const key of this.#written.values()) state.set(key, null);
    this.#written.clear();
  }
}

function formatKey(value: Value): string {
  return items(value).map((item) => `${typeof item}:${String(item)}`).join(
    ";",
  );
}

const PUSHED = [sym("pushed")];
const RELEASED = [sym("released")];
const PUSHED_BEAT = [sym("pushed"), sym("beat")];
const RELEASED_BEAT = [sym("released"), sym("beat")];
const NONE: readonly Scalar[] = [];

/** A child of `!window` fed with the window's input after each frame. */
export abstract class InputNode extends SceneNode {
  protected readonly writer = new StateWriter();

  /** @param ctx the context the node was created with (for `destroy`) */
  constructor(protected readonly ctx: RenderContext) {
    super();
  }

  /** Takes this frame's input of `window` into the scene state. */
  abstract receive(ctx: RenderContext, window: ScreenWindow): void;

  /** Nothing to draw. */
  render(): void {}

  /** Clears the state keys the node wrote. */
  override destroy(): void {
    this.writer.clear(this.ctx.state);
  }
}

/** `!key`: one key of the keyboard. */
export class KeyNode extends InputNode {
  #code: number | null = null;
  #toggle = false;
  #toggled = false;
  #presses = 0;
  #releases = 0;
  #warned: string | null = null;

  /** Reads `state=`, `name=` and `toggle=`. */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.writer.setPrefix(ctx.state, attrs.get("state"));
    const name = attrs.string("name", null);
    this.#code = name === null ? null : keyCode(name);
    if (name !== null && this.#code === null && this.#warned !== name) {
      this.#warned = name;
      log.warn(
        `${
          attrs.file ? `${attrs.file}: ` : ""
        }${attrs.path}.name: unknown key "${name}" (GLFW key names in lower case: a, 1, space, escape, f11, left_shift, …)${
          didYouMean(name.toLowerCase(), Object.keys(GLFW_KEYS))
        }`,
      );
    }
    this.#toggle = attrs.boolean("toggle", false);
    if (this.#toggle) this.writer.write(ctx.state, NONE, this.#toggled ? 1 : 0);
    return inherited;
  }

  /** Writes the key's state when it changed. */
  receive(ctx: RenderContext, window: ScreenWindow): void {
    if (this.#code === null || !this.writer.active) return;
    const record = window.input.key(this.#code);
    if (record === undefined) return;
    const state = ctx.state;
    const beat = ctx.frame.beat;
    if (record.presses !== this.#presses) {
      if ((record.presses - this.#presses) % 2 !== 0) {
        this.#toggled = !this.#toggled;
      }
      this.#presses = record.presses;
      this.writer.write(state, PUSHED_BEAT, beat);
    }
    if (record.releases !== this.#releases) {
      this.#releases = record.releases;
      this.writer.write(state, RELEASED_BEAT, beat);
    }
    const down = record.down ? 1 : 0;
    this.writer.write(
      state,
      NONE,
      this.#toggle ? (this.#toggled ? 1 : 0) : down,
    );
    this.writer.write(state, PUSHED, down);
    this.writer.write(state, RELEASED, 1 - down);
  }
}

/** Buttons reported `false` once the pointer is known, even if never pressed. */
const USUAL_BUTTONS = 3;

/** `!pointer`: the pointer's position over the picture and its buttons. */
export class PointerNode extends InputNode {
  /** Reads `state=`. */
  prepare(
    ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.writer.setPrefix(ctx.state, attrs.get("state"));
    return inherited;
  }

  /** Writes the position and the buttons. */
  receive(ctx: RenderContext, window: ScreenWindow): void {
    if (!this.writer.active) return;
    const input = window.input;
    this.writer.write(ctx.state, NONE, window.pointerPosition());
    if (!input.pointerKnown) return;
    const highest = Math.max(USUAL_BUTTONS - 1, input.highestButton);
    for (let button = 0; button <= highest; button++) {
      const record = input.button(button);
      this.writer.write(ctx.state, [button], record?.down ? 1 : 0);
    }
  }
}

registerNodeKind({
  name: "key",
  attributes: ["state", "name", "toggle"],
  create: (ctx) => new KeyNode(ctx),
});

registerNodeKind({
  name: "pointer",
  attributes: ["state"],
  create: (ctx) => new PointerNode(ctx),
});
