/**
 * Keyboard and pointer input of one window, as GLFW reports it while
 * events are polled. Every key and button keeps counts of its presses and
 * releases as well as whether it is down, so a press and release that both
 * happen between two frames are still seen (a reader compares counts with
 * the ones it saw last).
 *
 * @module
 */

/** What happened to one key or button. */
export interface PressRecord {
  /** Whether it is held down now. */
  down: boolean;
  /** Presses seen so far. */
  presses: number;
  /** Releases seen so far. */
  releases: number;
}

/** Input of one window. */
export class WindowInput {
  readonly #keys = new Map<number, PressRecord>();
  readonly #buttons = new Map<number, PressRecord>();
  /** Whether any pointer event (enter, move, button) has arrived yet. */
  pointerKnown = false;
  /** Whether the pointer is inside the window. */
  pointerInside = false;
  /** Pointer position in window coordinates (screen units, top left 0,0). */
  pointerX = 0;
  /** Pointer position in window coordinates (screen units, top left 0,0). */
  pointerY = 0;

  /** The record of GLFW key code `key`, or `undefined` before its first event. */
  key(key: number): PressRecord | undefined {
    return this.#keys.get(key);
  }

  /** The record of pointer button `button`, or `undefined` before its first event. */
  button(button: number): PressRecord | undefined {
    return this.#buttons.get(button);
  }

  /** Highest button number seen, or -1. */
  get highestButton(): number {
    let highest = -1;
    for (const button of this.#buttons.keys()) {
      highest = Math.max(highest, button);
    }
    return highest;
  }

  /** A key went down (`pressed`) or up. */
  onKey(key: number, pressed: boolean): void {
    record(this.#keys, key, pressed);
  }

  /** A pointer button went down (`pressed`) or up. */
  onButton(button: number, pressed: boolean): void {
    this.pointerKnown = true;
    record(this.#buttons, button, pressed);
  }

  /** The pointer moved to `x`,`y` (window coordinates). */
  onMove(x: number, y: number): void {
    this.pointerKnown = true;
    this.pointerInside = true;
    this.pointerX = x;
    this.pointerY = y;
  }

  /** The pointer entered or left the window. */
  onEnter(inside: boolean): void {
    this.pointerKnown = true;
    this.pointerInside = inside;
  }
}

function record(
  records: Map<number, PressRecord>,
  code: number,
  pressed: boolean,
): void {
  let entry = records.get(code);
  if (entry === undefined) {
    entry = { down: false, presses: 0, releases: 0 };
    records.set(code, entry);
  }
  if (pressed === entry.down && entry.presses + entry.releases > 0) return;
  entry.down = pressed;
  if (pressed) entry.presses++;
  else entry.releases++;
}
