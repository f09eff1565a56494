/**
 * Meshes on the GPU: a vertex array per mesh (its vertex and index
 * buffers), made when a mesh is first drawn and freed when it has not been
 * drawn for a while, and the instance buffer every draw takes its
 * per-instance attributes from (see `pbr_glsl.ts` for the layout).
 *
 * @module
 */

import type { GLContext } from "../gl/context.ts";
import { GL } from "../gl/gles.ts";
import type { MeshData } from "./mesh.ts";
import { VERTEX_FLOATS } from "./mesh.ts";
import { ATTRIBUTE, INSTANCE_FLOATS, INSTANCE_LAYOUT } from "./pbr_glsl.ts";

/** Frames a mesh stays on the GPU without being drawn. */
const IDLE_FRAMES = 120;

interface GpuMesh {
  vertexArray: number;
  vertexBuffer: number;
  indexBuffer: number;
  count: number;
  lastUsed: number;
}

/** The GPU copies of the meshes one renderer draws, and its instance buffer. */
export class GpuMeshes {
  readonly #meshes = new Map<MeshData, GpuMesh>();
  #instanceBuffer = 0;
  #instanceBytes = 0;
  #frame = 0;

  /** @param ctx the GL context */
  constructor(readonly ctx: GLContext) {}

  /** Starts a frame: meshes not drawn for a while are freed. */
  beginFrame(): void {
    this.#frame++;
    for (const [mesh, gpu] of this.#meshes) {
      if (this.#frame - gpu.lastUsed > IDLE_FRAMES) {
        this.#free(gpu);
        this.#meshes.delete(mesh);
      }
    }
  }

  /** Replaces the instance buffer's contents with the first `floats` of `data`. */
  uploadInstances(data: Float32Array<ArrayBuffer>, floats: number): void {
    const gl = this.ctx.gl;
    if (this.#instanceBuffer === 0) {
      const ids = new Uint32Array(1);
      gl.glGenBuffers(1, ids);
      this.#instanceBuffer = ids[0];
    }
    gl.glBindBuffer(GL.ARRAY_BUFFER, this.#instanceBuffer);
    const bytes = floats * 4;
    if (bytes > this.#instanceBytes) {
      this.#instanceBytes = Math.max(bytes, this.#instanceBytes * 2);
      gl.glBufferData(
        GL.ARRAY_BUFFER,
        BigInt(this.#instanceBytes),
        null,
        GL.STREAM_DRAW,
      );
    }
    gl.glBufferSubData(
      GL.ARRAY_BUFFER,
      0n,
      BigInt(bytes),
      data.subarray(0, floats),
    );
  }

  /**
   * Draws `count` instances of `mesh` whose data starts at instance
   * `first` of the instance buffer (with the program and target in use).
   */
  draw(mesh: MeshData, first: number, count: number): void {
    const gpu = this.#upload(mesh);
    gpu.lastUsed = this.#frame;
    const ctx = this.ctx;
    const gl = ctx.gl;
    ctx.bindVertexArray(gpu.vertexArray);
    gl.glBindBuffer(GL.ARRAY_BUFFER, this.#instanceBuffer);
    const stride = INSTANCE_FLOATS * 4;
    const base = first * stride;
    const point = (location: number, size: number, offset: number) =>
      gl.glVertexAttribPointer(
        location,
        size,
        GL.FLOAT,
        0,
        stride,
        Deno.UnsafePointer.create(BigInt(base + offset * 4)),
      );
    for (let column = 0; column < 4; column++) {
      point(ATTRIBUTE.model + column, 4, INSTANCE_LAYOUT.model + column * 4);
    }
    for (let column = 0; column < 3; column++) {
      point(
        ATTRIBUTE.normalMatrix + column,
        3,
        INSTANCE_LAYOUT.normalMatrix + column * 3,
      );
    }
    point(ATTRIBUTE.color, 4, INSTANCE_LAYOUT.color);
    point(ATTRIBUTE.emissive, 4, INSTANCE_LAYOUT.emissive);
    point(ATTRIBUTE.properties, 4, INSTANCE_LAYOUT.properties);
    point(ATTRIBUTE.specular, 3, INSTANCE_LAYOUT.specular);
    gl.glDrawElementsInstanced(
      GL.TRIANGLES,
      gpu.count,
      GL.UNSIGNED_INT,
      null,
      count,
    );
  }

  #upload(mesh: MeshData): GpuMesh {
    let gpu = this.#meshes.get(mesh);
    if (gpu !== undefined) return gpu;
    const ctx = this.ctx;
    const gl = ctx.gl;
    const ids = new Uint32Array(3);
    gl.glGenVertexArrays(1, ids);
    gl.glGenBuffers(2, ids.subarray(1));
    gpu = {
      vertexArray: ids[0],
      vertexBuffer: ids[1],
      indexBuffer: ids[2],
      count: mesh.indices.length,
      lastUsed: this.#frame,
    };
    ctx.bindVertexArray(gpu.vertexArray);
    gl.glBindBuffer(GL.ARRAY_BUFFER, gpu.vertexBuffer);
    gl.glBufferData(
      GL.ARRAY_BUFFER,
      BigInt(mesh.vertices.byteLength),
      mesh.vertices,
      GL.STATIC_DRAW,
    );
    const stride = VERTEX_FLOATS * 4;
    const vertexAttribute = (
      location: number,
      size: number,
      offset: number,
    ) => {
      gl.glVertexAttribPointer(
        location,
        size,
        GL.FLOAT,
        0,
        stride,
        Deno.UnsafePointer.create(BigInt(offset * 4)),
      );
      gl.glEnableVertexAttribArray(location);
    };
    vertexAttribute(ATTRIBUTE.position, 3, 0);
    vertexAttribute(ATTRIBUTE.normal, 3, 3);
    vertexAttribute(ATTRIBUTE.uv, 2, 6);
    for (
      let location = ATTRIBUTE.model;
      location <= ATTRIBUTE.specular;
      location++
    ) {
      gl.glEnableVertexAttribArray(location);
      gl.glVertexAttribDivisor(location, 1);
    }
    gl.glBindBuffer(GL.ELEMENT_ARRAY_BUFFER, gpu.indexBuffer);
    gl.glBufferData(
      GL.ELEMENT_ARRAY_BUFFER,
      BigInt(mesh.indices.byteLength),
      mesh.indices,
      GL.STATIC_DRAW,
    );
    this.#meshes.set(mesh, gpu);
    return gpu;
  }

  #free(gpu: GpuMesh): void {
    const ctx = this.ctx;
    ctx.bindVertexArray(0);
    ctx.gl.glDeleteVertexArrays(1, new Uint32Array([gpu.vertexArray]));
    ctx.gl.glDeleteBuffers(
      2,
      new Uint32Array([gpu.vertexBuffer, gpu.indexBuffer]),
    );
  }

  /** Frees every mesh and the instance buffer. */
  destroy(): void {
    for (const gpu of this.#meshes.values()) this.#free(gpu);
    this.#meshes.clear();
    if (this.#instanceBuffer !== 0) {
      this.ctx.gl.glDeleteBuffers(1, new Uint32Array([this.#instanceBuffer]));
      this.#instanceBuffer = 0;
      this.#instanceBytes = 0;
    }
  }
}
