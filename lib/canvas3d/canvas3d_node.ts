/**
 * `!canvas3d`: a node of the render tree whose output is a 3D scene as a
 * camera sees it. Its children are the 3D kinds (`nodes3d.ts`); each frame
 * it collects them (`collect.ts`) and draws them (`renderer.ts`) once for
 * its camera (the default one its own camera attributes describe, or the
 * `!camera` named by `camera_id=`) into its output, and once for each
 * `!camera secondary=true` into that camera's own output, which
 * `!reference id=`, `texture_id=` and the like can use. Its transform,
 * material and render-group attributes apply to the whole scene.
 *
 * The picture has the node's size (`size=`, else the parent's; a camera's
 * own `size=` for secondary cameras) and its `colorbits=` (else the
 * inherited default, 16-bit float), linear and premultiplied; where
 * nothing is drawn it is transparent (or the fog colour when fog is on).
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import {
  COMMON_ATTRIBUTES,
  type Inherited,
  registerNodeKind,
  type RenderContext,
  SceneNode,
} from "../scene/node.ts";
import { formatProblem } from "../scene/errors.ts";
import { LogOnce } from "../log/log_once.ts";
import { DepthTarget } from "../gl/depth_target.ts";
import { formatForColorbits, type Texture } from "../gl/texture.ts";
import {
  CAMERA_ATTRIBUTES,
  GROUP_ATTRIBUTES,
  MATERIAL_ATTRIBUTES,
  TRANSFORM_ATTRIBUTES,
} from "./attribute_names.ts";
import {
  type CameraSettings,
  cameraSettings,
  DEFAULT_CAMERA,
} from "./camera.ts";
import { type Scene3D, SceneCollector } from "./collect.ts";
import { type Camera3D, CANVAS3D_KINDS } from "./nodes3d.ts";
import { Renderer3D } from "./renderer.ts";

/** A `!canvas3d` node. */
export class Canvas3DNode extends SceneNode {
  #attrs: Attributes | null = null;
  #width = 512;
  #height = 512;
  #colorbits: number | null = null;
  #renderer: Renderer3D | null = null;
  #target: DepthTarget | null = null;
  #rendered = false;
  readonly #collector = new SceneCollector();
  readonly #cameraTargets = new Map<Camera3D, DepthTarget>();
  /** Cameras given a picture in the last frame. */
  #pictured = new Set<Camera3D>();
  readonly #once = new LogOnce();

  /** The scene as the canvas's camera sees it. */
  override get output(): Texture | null {
    return this.#rendered ? this.#target?.texture ?? null : null;
  }

  /** Reads the size and `colorbits=`; the 3D children take nothing from it. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.#attrs = attrs;
    const [width, height] = attrs.vector("size", 2, null) ?? inherited.size;
    this.#width = Number.isFinite(width) ? Math.max(1, Math.round(width)) : 512;
    this.#height = Number.isFinite(height)
      ? Math.max(1, Math.round(height))
      : 512;
    this.#colorbits = attrs.number("colorbits", null) ?? inherited.colorbits;
    return inherited;
  }

  /** Collects the 3D scene and draws it for each camera that renders. */
  render(ctx: RenderContext, children: readonly SceneNode[]): void {
    const attrs = this.#attrs;
    if (attrs === null) return;
    const renderer = this.#renderer ??= new Renderer3D(ctx.gl);
    renderer.beginFrame();
    const base = cameraSettings(attrs, null, {
      ...DEFAULT_CAMERA,
      colorbits: this.#colorbits,
      size: [this.#width, this.#height],
    });
    const scene = this.#collector.collect(attrs, children, base);
    const primary = this.#primaryCamera(ctx, attrs, scene);
    const pictured = new Set<Camera3D>();
    // Secondary cameras first, so the main picture may show theirs.
    for (const camera of scene.cameras) {
      if (!camera.secondary || camera === primary) continue;
      let target = this.#cameraTargets.get(camera.node);
      if (target === undefined) {
        target = new DepthTarget(ctx.gl);
        this.#cameraTargets.set(camera.node, target);
      }
      this.#draw(ctx, scene, camera.settings, target);
      camera.node.texture = target.texture;
      pictured.add(camera.node);
    }
    this.#target ??= new DepthTarget(ctx.gl);
    this.#draw(ctx, scene, primary?.settings ?? base, this.#target);
    this.#rendered = true;
    if (primary !== null) {
      primary.node.texture = this.#target.texture;
      pictured.add(primary.node);
    }
    this.#release(pictured);
  }

  #primaryCamera(ctx: RenderContext, attrs: Attributes, scene: Scene3D) {
    const id = attrs.string("camera_id", null);
    if (id === null) return null;
    const camera = scene.cameras.find((camera) => camera.node.id === id);
    if (camera === undefined) {
      this.#once.warn(
        ctx.log,
        formatProblem(
          attrs.location("camera_id"),
          `no !camera with id "${id}" in this !canvas3d; using its own camera`,
        ),
      );
      return null;
    }
    return camera;
  }

  #draw(
    ctx: RenderContext,
    scene: Scene3D,
    camera: CameraSettings,
    target: DepthTarget,
  ): void {
    const [width, height] = camera.size ?? [this.#width, this.#height];
    this.#renderer!.render(
      scene,
      camera,
      target,
      width,
      height,
      formatForColorbits(camera.colorbits),
      (id) => ctx.lookup(id)?.output ?? null,
      (key, message) =>
        this.#once.warn(
          ctx.log,
          formatProblem(this.#attrs!.location(), message),
          key,
        ),
    );
  }

  /** Takes pictures away from cameras that no longer render; frees their targets. */
  #release(pictured: Set<Camera3D>): void {
    for (const camera of this.#pictured) {
      if (!pictured.has(camera)) camera.texture = null;
    }
    for (const [camera, target] of this.#cameraTargets) {
      if (!pictured.has(camera)) {
        target.destroy();
        this.#cameraTargets.delete(camera);
      }
    }
    this.#pictured = pictured;
  }

  /** Frees the pictures, meshes and programs. */
  override destroy(): void {
    for (const camera of this.#pictured) camera.texture = null;
    this.#pictured.clear();
    for (const target of this.#cameraTargets.values()) target.destroy();
    this.#cameraTargets.clear();
    this.#target?.destroy();
    this.#target = null;
    this.#renderer?.destroy();
    this.#renderer = null;
    this.#rendered = false;
  }
}

registerNodeKind({
  name: "canvas3d",
  attributes: [
    ...COMMON_ATTRIBUTES,
    "camera_id",
    ...CAMERA_ATTRIBUTES,
    ...TRANSFORM_ATTRIBUTES,
    ...GROUP_ATTRIBUTES,
    ...MATERIAL_ATTRIBUTES,
  ],
  childKinds: CANVAS3D_KINDS,
  create: () => new Canvas3DNode(),
});
