/**
 * {@linkcode PbrPrograms}: the shading programs of one renderer, a variant
 * per set of features (how many lights of each kind, which properties come
 * from textures, fog, monochrome; see `pbr_glsl.ts`), compiled when first
 * needed and kept (a scene whose number of lights changes compiles once per
 * new number); and their per-group uniforms (camera and lights), set once
 * per program and group.
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { ShaderProgram } from "../gl/shader.ts";
import type { CameraSettings, CameraView } from "./camera.ts";
import {
  DIRECTIONAL_VEC3S,
  type Light,
  PackedLights,
  POSITIONAL_VEC4S,
} from "./lights.ts";
import { TEXTURE_PROPERTIES } from "./material.ts";
import {
  fragmentSource,
  type ShaderFeatures,
  VERTEX_SOURCE,
} from "./pbr_glsl.ts";

/** What one render group is shaded with. */
export interface GroupShading {
  readonly camera: CameraSettings;
  readonly view: CameraView;
  readonly lights: readonly Light[];
  readonly maxLights: number;
}

/** The programs of one renderer. */
export class PbrPrograms {
  readonly #programs = new Map<string, ShaderProgram>();
  /** Programs whose uniforms hold the current group's camera and lights. */
  readonly #prepared = new Set<ShaderProgram>();
  #shading: GroupShading | null = null;
  readonly #lights = new PackedLights();
  readonly #viewProjection = new Float32Array(16);

  /** @param ctx the GL context */
  constructor(readonly ctx: GLContext) {}

  /** Starts a render group: programs used from now on get its uniforms. */
  beginGroup(shading: GroupShading): void {
    this.#shading = shading;
    this.#prepared.clear();
    this.#lights.pack(shading.lights, shading.maxLights);
  }

  /**
   * Uses the program for this group with the properties in `textures`
   * (bit n: `TEXTURE_PROPERTIES[n]`) taken from textures; returns it.
   */
  use(textures: number): ShaderProgram {
    const shading = this.#shading!;
    const { camera } = shading;
    const features: ShaderFeatures = {
      directional: this.#lights.directionalCount,
      positional: this.#lights.kinds,
      textures,
      fog: camera.fogMax > camera.fogMin,
      monochrome: camera.monochrome,
    };
    const key =
      `${features.directional}:${features.positional.join()}:${textures}:${
        features.fog ? 1 : 0
      }${features.monochrome ? 1 : 0}`;
    let program = this.#programs.get(key);
    if (program === undefined) {
      program = ShaderProgram.compile(
        this.ctx,
        VERTEX_SOURCE,
        fragmentSource(features),
        "!canvas3d",
      );
      program.use();
      TEXTURE_PROPERTIES.forEach((property, unit) =>
        program!.set(`${property}_texture`, unit)
      );
      this.#programs.set(key, program);
    }
    program.use();
    if (!this.#prepared.has(program)) {
      this.#setCamera(program, shading);
      this.#setLights(program);
      this.#prepared.add(program);
    }
    return program;
  }

  #setCamera(program: ShaderProgram, shading: GroupShading): void {
    const { camera, view } = shading;
    this.#viewProjection.set(view.viewProjection);
    const info = program.uniforms.get("view_projection");
    if (info !== undefined) program.setArray(info, this.#viewProjection);
    program.set("view_position", view.position);
    program.set("view_direction", view.direction);
    program.set("orthographic", camera.orthographic ? 1 : 0);
    program.set("fog_color", camera.fogColor);
    program.set("fog_range", [
      camera.fogMin,
      camera.fogMax,
      Math.max(camera.fogCurve, 1e-3),
    ]);
    program.set("tint", camera.tint);
  }

  #setLights(program: ShaderProgram): void {
    const packed = this.#lights;
    const ambient = program.uniforms.get("ambient_light");
    if (ambient !== undefined) program.setArray(ambient, packed.ambient);
    const directional = program.uniforms.get("directional_lights");
    if (directional !== undefined && packed.directionalCount > 0) {
      const vectors = packed.directionalCount * DIRECTIONAL_VEC3S;
      program.setArray(
        directional,
        packed.directional.subarray(0, vectors * 3),
        vectors,
      );
    }
    const positional = program.uniforms.get("positional_lights");
    if (positional !== undefined && packed.positionalCount > 0) {
      const vectors = packed.positionalCount * POSITIONAL_VEC4S;
      program.setArray(
        positional,
        packed.positional.subarray(0, vectors * 4),
        vectors,
      );
    }
  }

  /** Frees the programs. */
  destroy(): void {
    for (const program of this.#programs.values()) program.destroy();
    this.#programs.clear();
    this.#prepared.clear();
  }
}
