/**
 * Draws a collected 3D scene ({@linkcode Scene3D}) as one camera sees it
 * into a {@linkcode DepthTarget}. Per render group: opaque instances are
 * drawn front to back (so hidden fragments are skipped early), one
 * instanced draw per mesh and texture set; then transparent ones back to
 * front with depth writing off, consecutive instances of the same mesh and
 * textures in one draw, blended over what is there. Textures are other
 * nodes' outputs, looked up by id each frame.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import type { DepthTarget } from "../gl/depth_target.ts";
import { GL } from "../gl/gles.ts";
import type { Texture, TextureFormat } from "../gl/texture.ts";
import { type CameraSettings, type CameraView, cameraView } from "./camera.ts";
import {
  groupLights,
  type Instance,
  type RenderGroup,
  type Scene3D,
} from "./collect.ts";
import { GpuMeshes } from "./gpu_meshes.ts";
import { PbrPrograms } from "./pbr_programs.ts";
import { type Material, TEXTURE_PROPERTIES } from "./material.ts";
import { type Mat4, writeNormalMatrix } from "./math3d.ts";
import type { MeshData } from "./mesh.ts";
import { INSTANCE_FLOATS } from "./pbr_glsl.ts";

/** Instances of one mesh with one set of textures. */
interface Batch {
  readonly mesh: MeshData;
  /** A material of the batch, for its textures and sampling. */
  readonly material: Material;
}

/** One instance to draw, with its distance for sorting. */
interface Item {
  instance: Instance;
  batch: Batch;
  depth: number;
}

/** Finds the output of the node with an id (`null`: none). */
export type TextureLookup = (id: string) => Texture | null;

/** Draws 3D scenes with one GL context. */
export class Renderer3D {
  readonly #meshes: GpuMeshes;
  readonly #programs: PbrPrograms;
  #instanceData = new Float32Array(INSTANCE_FLOATS * 64);
  readonly #batches = new Map<MeshData, Map<string, Batch>>();

  /** @param ctx the GL context */
  constructor(readonly ctx: GLContext) {
    this.#meshes = new GpuMeshes(ctx);
    this.#programs = new PbrPrograms(ctx);
  }

  /** Starts a frame (meshes unused for a while are freed). */
  beginFrame(): void {
    this.#meshes.beginFrame();
    this.#batches.clear();
  }

  /**
   * Draws `scene` as `camera` sees it into `target` (allocated as
   * `width`×`height` `format` with the camera's multisampling) and
   * resolves it. `lookup` finds texture sources; `warn` reports a problem
   * once per `key`.
   */
  render(
    scene: Scene3D,
    camera: CameraSettings,
    target: DepthTarget,
    width: number,
    height: number,
    format: TextureFormat,
    lookup: TextureLookup,
    warn: (key: string, message: string) => void,
  ): void {
    const ctx = this.ctx;
    const gl = ctx.gl;
    const view = cameraView(camera, width, height);
    target.ensure(width, height, format, camera.samples);
    target.bind();
    const fog = camera.fogMax > camera.fogMin;
    const fill = fog ? finalColour(camera, camera.fogColor) : [0, 0, 0];
    gl.glDepthMask(1);
    gl.glClearColor(fill[0], fill[1], fill[2], fog ? 1 : 0);
    gl.glClear(GL.COLOR_BUFFER_BIT | GL.DEPTH_BUFFER_BIT);
    const own = target.texture;
    const safeLookup: TextureLookup = (id) => {
      const texture = lookup(id);
      return texture === own ? null : texture; // never sample what is being drawn
    };
    try {
      for (const group of scene.groups) {
        if (group.instances.length === 0) continue;
        this.#drawGroup(group, camera, view, safeLookup, warn);
      }
    } finally {
      gl.glDisable(GL.DEPTH_TEST);
      gl.glDisable(GL.CULL_FACE);
      gl.glDepthMask(1);
      ctx.setBlend(false);
    }
    target.resolve();
  }

  #drawGroup(
    group: RenderGroup,
    camera: CameraSettings,
    view: CameraView,
    lookup: TextureLookup,
    warn: (key: string, message: string) => void,
  ): void {
    const ctx = this.ctx;
    const gl = ctx.gl;
    const settings = group.settings;
    const lights = groupLights(group);
    if (lights.length > settings.maxLights) {
      warn(
        `lights${settings.maxLights}`,
        `${lights.length} lights, but a group uses at most max_lights=${settings.maxLights}; the rest are left out`,
      );
    }
    this.#programs.beginGroup({
      camera,
      view,
      lights,
      maxLights: settings.maxLights,
    });
    if (settings.depthTest) gl.glEnable(GL.DEPTH_TEST);
    else gl.glDisable(GL.DEPTH_TEST);
    gl.glDepthFunc(GL.LEQUAL);
    if (settings.faceCull) {
      gl.glEnable(GL.CULL_FACE);
      gl.glCullFace(settings.cullFront ? GL.FRONT : GL.BACK);
    } else gl.glDisable(GL.CULL_FACE);
    // Sort: opaque front to back, transparent back to front.
    const opaque: Item[] = [];
    const transparent: Item[] = [];
    for (const instance of group.instances) {
      const item: Item = {
        instance,
        batch: this.#batch(instance),
        depth: settings.depthSort ? nearestDepth(instance, view.view) : 0,
      };
      const material = instance.material;
      if (
        material.transparency > 0 || material.textures.transparency !== null
      ) {
        transparent.push(item);
      } else opaque.push(item);
    }
    if (settings.depthSort) {
      opaque.sort((a, b) => a.depth - b.depth);
      transparent.sort((a, b) => b.depth - a.depth);
    }
    // Opaque items grouped by batch (keeping their order within each).
    const byBatch = new Map<Batch, Item[]>();
    for (const item of opaque) {
      const list = byBatch.get(item.batch);
      if (list === undefined) byBatch.set(item.batch, [item]);
      else list.push(item);
    }
    const ordered: Item[] = [];
    for (const list of byBatch.values()) ordered.push(...list);
    ordered.push(...transparent);
    this.#writeInstances(ordered);
    gl.glDepthMask(1);
    ctx.setBlend(false);
    this.#drawRuns(ordered, 0, opaque.length, lookup);
    if (transparent.length > 0) {
      gl.glDepthMask(0);
      ctx.setBlend(true);
      this.#drawRuns(ordered, opaque.length, ordered.length, lookup);
    }
  }

  /** Draws items `from` … `to` − 1, one draw per run of the same batch. */
  #drawRuns(
    items: readonly Item[],
    from: number,
    to: number,
    lookup: TextureLookup,
  ): void {
    let start = from;
    for (let i = from + 1; i <= to; i++) {
      if (i < to && items[i].batch === items[start].batch) continue;
      this.#drawRun(items, start, i, lookup);
      start = i;
    }
  }

  /** Draws items `from` … `to` − 1, all of one batch. */
  #drawRun(
    items: readonly Item[],
    from: number,
    to: number,
    lookup: TextureLookup,
  ): void {
    const batch = items[from].batch;
    const material = batch.material;
    let textured = 0;
    if (material.textureKey !== "") {
      TEXTURE_PROPERTIES.forEach((property, unit) => {
        const id = material.textures[property];
        const texture = id === null ? null : lookup(id);
        if (texture === null) return;
        texture.setSampling({
          repeat: material.repeat,
          border: material.border,
        });
        this.ctx.bindTexture(unit, texture.id);
        textured |= 1 << unit;
      });
    }
    this.#programs.use(textured);
    this.#meshes.draw(batch.mesh, from, to - from);
  }

  #batch(instance: Instance): Batch {
    const material = instance.material;
    const key = material.textureKey === ""
      ? ""
      : `${material.textureKey}|${
        material.border?.join() ?? ""
      }|${material.repeat.join()}`;
    let byKey = this.#batches.get(instance.mesh);
    if (byKey === undefined) {
      byKey = new Map();
      this.#batches.set(instance.mesh, byKey);
    }
    let batch = byKey.get(key);
    if (batch === undefined) {
      batch = { mesh: instance.mesh, material };
      byKey.set(key, batch);
    }
    return batch;
  }

  #writeInstances(items: readonly Item[]): void {
    const floats = items.length * INSTANCE_FLOATS;
    if (this.#instanceData.length < floats) {
      this.#instanceData = new Float32Array(
        Math.max(floats, this.#instanceData.length * 2),
      );
    }
    const data = this.#instanceData;
    for (let i = 0; i < items.length; i++) {
      const { matrix, material } = items[i].instance;
      const o = i * INSTANCE_FLOATS;
      for (let k = 0; k < 16; k++) data[o + k] = matrix[k];
      writeNormalMatrix(matrix, data, o + 16);
      const color = material.color, emissive = material.emissive;
      data[o + 25] = color[0];
      data[o + 26] = color[1];
      data[o + 27] = color[2];
      data[o + 28] = material.transparency;
      data[o + 29] = emissive[0];
      data[o + 30] = emissive[1];
      data[o + 31] = emissive[2];
      data[o + 32] = material.ao;
      data[o + 33] = material.metal;
      data[o + 34] = material.roughness;
      data[o + 35] = material.ior;
      const specular = material.specular;
      data[o + 36] = specular === null ? 0 : 1;
      data[o + 37] = specular?.[0] ?? 0;
      data[o + 38] = specular?.[1] ?? 0;
      data[o + 39] = specular?.[2] ?? 0;
    }
    this.#meshes.uploadInstances(data, floats);
  }

  /** Frees programs and meshes. */
  destroy(): void {
    this.#programs.destroy();
    this.#meshes.destroy();
  }
}

/** The camera's monochrome and tint applied to a colour (for the fog fill). */
function finalColour(camera: CameraSettings, rgb: readonly number[]): number[] {
  let [r, g, b] = rgb;
  if (camera.monochrome) r = g = b = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return [r * camera.tint[0], g * camera.tint[1], b * camera.tint[2]];
}

/**
 * Distance in front of the camera of the corner of the instance's bounding
 * box nearest to it (Flitter's sort key).
 */
function nearestDepth(instance: Instance, view: Mat4): number {
  const m = instance.matrix;
  // Row 2 of view × model: camera-space z as a function of model x, y, z.
  const r0 = view[2] * m[0] + view[6] * m[1] + view[10] * m[2] +
    view[14] * m[3];
  const r1 = view[2] * m[4] + view[6] * m[5] + view[10] * m[6] +
    view[14] * m[7];
  const r2 = view[2] * m[8] + view[6] * m[9] + view[10] * m[10] +
    view[14] * m[11];
  const r3 = view[2] * m[12] + view[6] * m[13] + view[10] * m[14] +
    view[14] * m[15];
  const { min, max } = instance.mesh;
  // Nearest: the largest z (the camera looks down −z).
  const z = r3 + Math.max(r0 * min[0], r0 * max[0]) +
    Math.max(r1 * min[1], r1 * max[1]) + Math.max(r2 * min[2], r2 * max[2]);
  return -z;
}
