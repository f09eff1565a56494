/**
 * Walks a 3D scene (the children of `!canvas3d`, as nodes of
 * `nodes3d.ts`) into what one frame draws: render groups with their models'
 * instances (mesh, world matrix, material) and lights, and the `!camera`
 * nodes with their settings. Transforms and materials pass down the tree;
 * a light lights the models of its own group and of the groups inside it,
 * wherever it stands among them. Hidden nodes are left out with everything
 * inside them.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import type { SceneNode } from "../scene/node.ts";
import { type CameraSettings, cameraSettings } from "./camera.ts";
import { type Light, lightFrom } from "./lights.ts";
import {
  DEFAULT_MATERIAL,
  deriveMaterial,
  type Material,
  MATERIAL_NAMES,
} from "./material.ts";
import { identity, type Mat4, multiply } from "./math3d.ts";
import type { MeshData } from "./mesh.ts";
import { type Camera3D, type Model3D, Object3D } from "./nodes3d.ts";
import {
  applyTransforms,
  PLACEMENT_NAMES,
  placementMatrix,
  TRANSFORM_NAMES,
  transformMatrix,
} from "./placement.ts";

/** One model to draw. */
export interface Instance {
  readonly mesh: MeshData;
  /** Model → world. */
  readonly matrix: Mat4;
  readonly material: Material;
}

/** How a render group draws (`!canvas3d` and `!group` attributes). */
export interface GroupSettings {
  /** Most lights used (`max_lights=`, default 50). */
  readonly maxLights: number;
  /** Depth testing (`depth_test=`, default on). */
  readonly depthTest: boolean;
  /** Instances sorted by depth (`depth_sort=`, default on; off without depth testing). */
  readonly depthSort: boolean;
  /** Faces culled (`face_cull=`, default on). */
  readonly faceCull: boolean;
  /** Front faces culled instead of back faces (`cull_face=:front`). */
  readonly cullFront: boolean;
}

/** Models drawn together under the same lights. */
export interface RenderGroup {
  readonly settings: GroupSettings;
  readonly instances: Instance[];
  /** Lights of this group itself. */
  readonly lights: Light[];
  /** The group it is in (whose lights apply too), or `null`. */
  readonly parent: RenderGroup | null;
}

/** A `!camera` of the scene. */
export interface SceneCamera {
  readonly node: Camera3D;
  readonly settings: CameraSettings;
  /** Rendered even when not the canvas's camera (`secondary=`). */
  readonly secondary: boolean;
}

/** One frame's 3D scene. */
export interface Scene3D {
  /** Render groups, the canvas's own first. */
  readonly groups: RenderGroup[];
  readonly cameras: SceneCamera[];
}

/** The lights that apply to `group`: its own and those of the groups around it. */
export function groupLights(group: RenderGroup): Light[] {
  const lights: Light[] = [];
  for (let g: RenderGroup | null = group; g !== null; g = g.parent) {
    lights.push(...g.lights);
  }
  return lights;
}

/** Collects scenes, reusing matrices from frame to frame. */
export class SceneCollector {
  #matrices: Mat4[] = [];
  #used = 0;
  #cameras: SceneCamera[] = [];
  #groups: RenderGroup[] = [];
  #defaultCamera: CameraSettings | null = null;

  /**
   * The scene inside a canvas with attributes `attrs` (its transform,
   * material and group settings) and `children`; `camera` is the default
   * camera, which `!camera` nodes take unset settings from.
   */
  collect(
    attrs: Attributes,
    children: readonly SceneNode[],
    camera: CameraSettings,
  ): Scene3D {
    this.#used = 0;
    this.#cameras = [];
    this.#groups = [];
    this.#defaultCamera = camera;
    const base = identity(this.#matrix());
    const matrix = applyTransforms(base, attrs, this.#matrix())
      ? this.#matrices[this.#used - 1]
      : base;
    const material = deriveMaterial(DEFAULT_MATERIAL, attrs);
    const root = this.#group(attrs, null, DEFAULT_SETTINGS);
    this.#walk(children, matrix, material, root);
    return { groups: this.#groups, cameras: this.#cameras };
  }

  #group(
    attrs: Attributes,
    parent: RenderGroup | null,
    inherited: GroupSettings,
  ): RenderGroup {
    const depthTest = attrs.boolean("depth_test", inherited.depthTest);
    const cull = attrs.symbol("cull_face", null);
    if (cull !== null && cull !== "back" && cull !== "front") {
      attrs.warnShape("cull_face", attrs.get("cull_face"), ":back or :front");
    }
    const group: RenderGroup = {
      settings: {
        maxLights: Math.max(
          1,
          Math.min(
            MAX_LIGHTS_LIMIT,
            Math.round(attrs.number("max_lights", inherited.maxLights)),
          ),
        ),
        depthTest,
        depthSort: depthTest &&
          attrs.boolean("depth_sort", inherited.depthSort),
        faceCull: attrs.boolean("face_cull", inherited.faceCull),
        cullFront: cull === null ? inherited.cullFront : cull === "front",
      },
      instances: [],
      lights: [],
      parent,
    };
    this.#groups.push(group);
    return group;
  }

  #matrix(): Mat4 {
    if (this.#used === this.#matrices.length) {
      this.#matrices.push(new Float64Array(16));
    }
    return this.#matrices[this.#used++];
  }

  /** `matrix` times the node's own transform attributes. */
  #local(node: Object3D, matrix: Mat4): Mat4 {
    const local = node.local.get(
      node.attrs!,
      TRANSFORM_NAMES,
      null,
      () => transformMatrix(node.attrs!),
    );
    return local === null ? matrix : multiply(matrix, local, this.#matrix());
  }

  #walk(
    nodes: readonly SceneNode[],
    matrix: Mat4,
    material: Material,
    group: RenderGroup,
  ): void {
    for (const node of nodes) {
      if (!(node instanceof Object3D) || node.hidden) continue;
      const attrs = node.attrs;
      if (attrs === null) continue;
      switch (node.role) {
        case "transform":
          this.#walk(
            node.children,
            this.#local(node, matrix),
            material,
            group,
          );
          break;
        case "material":
          this.#walk(
            node.children,
            matrix,
            materialOf(node, material),
            group,
          );
          break;
        case "light": {
          const light = lightFrom(attrs, matrix);
          if (light !== null) group.lights.push(light);
          break;
        }
        case "camera":
          this.#cameras.push({
            node: node as Camera3D,
            settings: cameraSettings(attrs, matrix, this.#defaultCamera!),
            secondary: attrs.boolean("secondary", false),
          });
          break;
        case "group": {
          const inner = this.#group(attrs, group, group.settings);
          this.#walk(
            node.children,
            this.#local(node, matrix),
            materialOf(node, material),
            inner,
          );
          break;
        }
        case "model": {
          const mesh = (node as Model3D).mesh;
          if (mesh === null || mesh.indices.length === 0) break;
          const local = node.local.get(
            attrs,
            PLACEMENT_NAMES,
            null,
            () => placementMatrix(attrs),
          )!;
          group.instances.push({
            mesh,
            matrix: multiply(matrix, local, this.#matrix()),
            material: materialOf(node, material),
          });
          break;
        }
      }
    }
  }
}

/** `parent` changed by the node's material attributes (remembered while they stay). */
function materialOf(node: Object3D, parent: Material): Material {
  return node.material.get(
    node.attrs!,
    MATERIAL_NAMES,
    parent,
    () => deriveMaterial(parent, node.attrs!),
  );
}

/** The most lights a group may ask for. */
export const MAX_LIGHTS_LIMIT = 500;

const DEFAULT_SETTINGS: GroupSettings = {
  maxLights: 50,
  depthTest: true,
  depthSort: true,
  faceCull: true,
  cullFront: false,
};
