/**
 * Builds a Skia path from Flitter's path commands, keeping track of the
 * current point (which SVG-style arcs start from). Angles are in turns,
 * as everywhere in Flitter, and run clockwise on the canvas (y points
 * down).
 *
 * @module
 */

import type { SkiaModule, SkiaPath } from "./skia.ts";

const TAU = Math.PI * 2;

/** The centre form of an SVG arc, for `ellipse()`. */
export interface CenterArc {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  /** Start angle, radians. */
  start: number;
  /** Signed sweep, radians (negative: anticlockwise on the canvas). */
  sweep: number;
}

/**
 * Converts an SVG endpoint arc (from `x1,y1` to `x2,y2`, radii `rx,ry`
 * rotated by `phi` radians, the `large` arc or not, clockwise on the
 * canvas or not) to its centre form, scaling the radii up when they cannot
 * reach (as SVG does). `null` when the arc is a straight line (a zero
 * radius) or nothing (the same point).
 */
export function svgArcToCenter(
  x1: number,
  y1: number,
  rx: number,
  ry: number,
  phi: number,
  large: boolean,
  clockwise: boolean,
  x2: number,
  y2: number,
): CenterArc | null {
  if (x1 === x2 && y1 === y2) return null;
  rx = Math.abs(rx);
  ry = Math.abs(ry);
  if (rx === 0 || ry === 0) return null;
  const cos = Math.cos(phi);
  const sin = Math.sin(phi);
  const dx = (x1 - x2) / 2;
  const dy = (y1 - y2) / 2;
  const xp = cos * dx + sin * dy;
  const yp = -sin * dx + cos * dy;
  const lambda = (xp * xp) / (rx * rx) + (yp * yp) / (ry * ry);
  if (lambda > 1) {
    rx *= Math.sqrt(lambda);
    ry *= Math.sqrt(lambda);
  }
  const numerator = rx * rx * ry * ry - rx * rx * yp * yp - ry * ry * xp * xp;
  const denominator = rx * rx * yp * yp + ry * ry * xp * xp;
  let factor = Math.sqrt(Math.max(0, numerator / denominator));
  if (large === clockwise) factor = -factor;
  const cxp = factor * rx * yp / ry;
  const cyp = -factor * ry * xp / rx;
  const cx = cos * cxp - sin * cyp + (x1 + x2) / 2;
  const cy = sin * cxp + cos * cyp + (y1 + y2) / 2;
  const angle = (ux: number, uy: number, vx: number, vy: number) =>
    Math.atan2(ux * vy - uy * vx, ux * vx + uy * vy);
  const ux = (xp - cxp) / rx;
  const uy = (yp - cyp) / ry;
  const vx = (-xp - cxp) / rx;
  const vy = (-yp - cyp) / ry;
  const start = angle(1, 0, ux, uy);
  let sweep = angle(ux, uy, vx, vy);
  if (!clockwise && sweep > 0) sweep -= TAU;
  if (clockwise && sweep < 0) sweep += TAU;
  return { cx, cy, rx, ry, start, sweep };
}

/** The turn (0..0.5) between the directions a→b and b→c; 0 when any is a point. */
function turnAngle(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
): number {
  const x1 = bx - ax, y1 = by - ay, x2 = cx - bx, y2 = cy - by;
  const l1 = Math.hypot(x1, y1), l2 = Math.hypot(x2, y2);
  if (l1 === 0 || l2 === 0) return 0;
  const cos = Math.min(1, Math.max(-1, (x1 * x2 + y1 * y2) / (l1 * l2)));
  return Math.acos(cos) / TAU;
}

/** A path under construction. */
export class PathBuilder {
  /** The Skia path. */
  readonly path: SkiaPath;
  #x = 0;
  #y = 0;
  #startX = 0;
  #startY = 0;
  #hasPoint = false;

  /** An empty path. */
  constructor(skia: SkiaModule) {
    this.path = new skia.Path2D();
  }

  /** Starts a new contour at `x,y`. */
  moveTo(x: number, y: number): void {
    this.path.moveTo(x, y);
    this.#x = this.#startX = x;
    this.#y = this.#startY = y;
    this.#hasPoint = true;
  }

  /** A straight line to `x,y` (from the origin when the path is empty). */
  lineTo(x: number, y: number): void {
    if (!this.#hasPoint) this.moveTo(0, 0);
    this.path.lineTo(x, y);
    this.#x = x;
    this.#y = y;
  }

  /** A quadratic curve via `c1` to `x,y`, or cubic via `c1`, `c2`. */
  curveTo(c1: number[], c2: number[] | null, x: number, y: number): void {
    if (!this.#hasPoint) this.moveTo(0, 0);
    if (c2 === null) this.path.quadraticCurveTo(c1[0], c1[1], x, y);
    else this.path.bezierCurveTo(c1[0], c1[1], c2[0], c2[1], x, y);
    this.#x = x;
    this.#y = y;
  }

  /**
   * An SVG-style elliptical arc from the current point to `x,y` with radii
   * `rx,ry` rotated by `rotation` turns; `large` takes the longer way
   * round, `ccw` goes anticlockwise.
   */
  arcTo(
    rx: number,
    ry: number,
    rotation: number,
    large: boolean,
    ccw: boolean,
    x: number,
    y: number,
  ): void {
    if (!this.#hasPoint) this.moveTo(0, 0);
    const arc = svgArcToCenter(
      this.#x,
      this.#y,
      rx,
      ry,
      rotation * TAU,
      large,
      !ccw,
      x,
      y,
    );
    if (arc === null) {
      if (x !== this.#x || y !== this.#y) this.lineTo(x, y);
      return;
    }
    this.path.ellipse(
      arc.cx,
      arc.cy,
      arc.rx,
      arc.ry,
      rotation * TAU,
      arc.start,
      arc.start + arc.sweep,
      arc.sweep < 0,
    );
    this.#x = x;
    this.#y = y;
  }

  /**
   * An arc of the ellipse at `cx,cy` with radii `rx,ry` from `start` turns
   * through `sweep` turns (negative: anticlockwise), joined to the current
   * point by a line unless `moveTo` (or the path is empty).
   */
  arc(
    cx: number,
    cy: number,
    rx: number,
    ry: number,
    start: number,
    sweep: number,
    moveTo: boolean,
  ): void {
    const a0 = start * TAU;
    const a1 = (start + sweep) * TAU;
    const x0 = cx + rx * Math.cos(a0), y0 = cy + ry * Math.sin(a0);
    if (moveTo || !this.#hasPoint) this.moveTo(x0, y0);
    this.path.ellipse(cx, cy, Math.abs(rx), Math.abs(ry), 0, a0, a1, sweep < 0);
    this.#x = cx + rx * Math.cos(a1);
    this.#y = cy + ry * Math.sin(a1);
  }

  /** A closed rectangle, with corners rounded by `rx,ry` when not zero. */
  rect(x: number, y: number, w: number, h: number, rx = 0, ry = 0): void {
    if (rx > 0 || ry > 0) this.path.roundRect(x, y, w, h, [{ x: rx, y: ry }]);
    else this.path.rect(x, y, w, h);
    this.#x = this.#startX = x;
    this.#y = this.#startY = y;
    this.#hasPoint = true;
  }

  /** A closed ellipse at `cx,cy` with radii `rx,ry`. */
  ellipse(cx: number, cy: number, rx: number, ry: number): void {
    this.moveTo(cx + rx, cy);
    this.path.ellipse(cx, cy, Math.abs(rx), Math.abs(ry), 0, 0, TAU);
    this.close();
  }

  /**
   * A line through `points` (x,y pairs) as a new contour; with `curve` > 0
   * corners are rounded by quadratic curves through the midpoints of the
   * segments (all of them from 0.5, else those turning by at most `curve`
   * turns, as Flitter's `!line`); `close` closes it.
   */
  polyline(points: readonly number[], curve: number, close: boolean): void {
    const n = Math.floor(points.length / 2);
    if (n === 0) return;
    const x = (i: number) => points[(i % n) * 2];
    const y = (i: number) => points[(i % n) * 2 + 1];
    if (curve <= 0 || n < 3) {
      this.moveTo(x(0), y(0));
      for (let i = 1; i < n; i++) this.lineTo(x(i), y(i));
      if (close) this.close();
      return;
    }
    const mid = (i: number): [number, number] => [
      (x(i) + x(i + 1)) / 2,
      (y(i) + y(i + 1)) / 2,
    ];
    const corner = (i: number) => {
      // Through corner i, from the middle of the segment before it to the
      // middle of the one after it.
      const [ax, ay] = mid(i - 1 + n);
      const [bx, by] = mid(i);
      if (
        curve >= 0.5 || turnAngle(ax, ay, x(i), y(i), bx, by) <= curve
      ) this.curveTo([x(i), y(i)], null, bx, by);
      else {
        this.lineTo(x(i), y(i));
        this.lineTo(bx, by);
      }
    };
    if (close) {
      const [sx, sy] = mid(0);
      this.moveTo(sx, sy);
      for (let i = 1; i <= n; i++) corner(i);
      this.close();
    } else {
      this.moveTo(x(0), y(0));
      this.lineTo(...mid(0));
      for (let i = 1; i < n - 1; i++) corner(i);
      this.lineTo(x(n - 1), y(n - 1));
    }
  }

  /** Closes the contour (back to its start). */
  close(): void {
    if (!this.#hasPoint) return;
    this.path.closePath();
    this.#x = this.#startX;
    this.#y = this.#startY;
  }
}
