/**
 * The node kinds that exist inside `!canvas3d` ({@linkcode CANVAS3D_KINDS}):
 * `!transform`, `!material`, `!light`, `!camera`, `!group`, and the models
 * `!box`, `!sphere`, `!cylinder`, `!cone`, `!model`.
 *
 * They are ordinary scene nodes of the live tree, so live reload, per-frame
 * expressions and `if=` work for them as for any node, but they draw
 * nothing themselves: each keeps this frame's attributes and children, and
 * models their mesh, and `!canvas3d` walks them when it renders (see
 * `collect.ts`). The family is separate from the top-level kinds, which is
 * how `!transform` means the 3D transform here and the 2D one elsewhere.
 *
 * @module
 */

import type { Attributes } from "../scene/attributes.ts";
import {
  type Inherited,
  KindRegistry,
  type RenderContext,
  SceneNode,
} from "../scene/node.ts";
import type { Texture } from "../gl/texture.ts";
import {
  CAMERA_ATTRIBUTES,
  GROUP_ATTRIBUTES,
  LIGHT_ATTRIBUTES,
  MATERIAL_ATTRIBUTES,
  MODEL_ATTRIBUTES,
  TRANSFORM_ATTRIBUTES,
} from "./attribute_names.ts";
import {
  flatMesh,
  invertedMesh,
  type MeshData,
  meshFromTriangles,
} from "./mesh.ts";
import { type PrimitiveKind, primitiveMesh } from "./primitives.ts";
import { loadModelFile } from "./model_files.ts";
import { AttributeMemo } from "./attribute_memo.ts";
import type { Material } from "./material.ts";
import type { Mat4 } from "./math3d.ts";

const PRIMITIVE_NAMES: ReadonlySet<string> = new Set([
  "segments",
  "uv_map",
  "flat",
  "invert",
]);

/** The kinds found among the children of `!canvas3d` (and of each other). */
export const CANVAS3D_KINDS: KindRegistry = new KindRegistry({
  owner: "canvas3d",
});

/** What a 3D node does in the scene. */
export type Role =
  | "transform"
  | "material"
  | "light"
  | "camera"
  | "group"
  | "model";

const NO_CHILDREN: readonly SceneNode[] = [];

/** A node of a 3D scene: keeps its attributes and children for the canvas. */
export class Object3D extends SceneNode {
  /** This frame's attributes (`null` before the first `prepare`). */
  attrs: Attributes | null = null;
  /** This frame's present children. */
  children: readonly SceneNode[] = NO_CHILDREN;
  /** The material this node makes of its parent's (for `collect.ts`). */
  readonly material: AttributeMemo<Material> = new AttributeMemo();
  /** The node's local matrix, `null` for none (for `collect.ts`). */
  readonly local: AttributeMemo<Mat4 | null> = new AttributeMemo();

  /** @param role what the node does */
  constructor(readonly role: Role) {
    super();
  }

  /** Keeps the attributes; passes the parent's inheritance on. */
  prepare(
    _ctx: RenderContext,
    attrs: Attributes,
    inherited: Inherited,
  ): Inherited {
    this.attrs = attrs;
    return inherited;
  }

  /** Keeps the children. */
  render(_ctx: RenderContext, children: readonly SceneNode[]): void {
    this.children = children;
  }
}

/** `!camera`: its output, when it renders, is its picture. */
export class Camera3D extends Object3D {
  /** The picture the canvas drew for this camera, if any. */
  texture: Texture | null = null;

  constructor() {
    super("camera");
  }

  /** The camera's picture (this frame's once its canvas rendered). */
  override get output(): Texture | null {
    return this.texture;
  }

  /** Forgets the picture (its canvas owns it). */
  override destroy(): void {
    this.texture = null;
  }
}

/** A model kind: a primitive or `!model`. */
export type ModelKind = PrimitiveKind | "model";

/** A model node; `mesh` is this frame's mesh, or `null` while it has none. */
export class Model3D extends Object3D {
  /** The mesh to draw (the last good one when loading fails). */
  mesh: MeshData | null = null;
  #vectorsKey = "";
  readonly #primitive = new AttributeMemo<MeshData>();

  /** @param kind which model */
  constructor(readonly kind: ModelKind) {
    super("model");
  }

  /** Keeps the children and finds the mesh; throws (keeping the last good mesh) when it cannot. */
  override render(ctx: RenderContext, children: readonly SceneNode[]): void {
    super.render(ctx, children);
    const attrs = this.attrs;
    if (attrs === null) return;
    const kind = this.kind;
    if (kind !== "model") {
      this.mesh = this.#primitive.get(
        attrs,
        PRIMITIVE_NAMES,
        null,
        () => primitiveFor(kind, attrs),
      );
      return;
    }
    const flat = attrs.boolean("flat", false);
    const invert = attrs.boolean("invert", false);
    const filename = attrs.string("filename", null);
    if (filename !== null) {
      this.mesh = loadModelFile(
        ctx.resolvePath(filename),
        filename,
        flat,
        invert,
      );
      return;
    }
    this.mesh = this.#fromVectors(attrs, flat, invert);
  }

  /** `vertices=`, `faces=` and optional `uv=` (rebuilt only when they change). */
  #fromVectors(attrs: Attributes, flat: boolean, invert: boolean): MeshData {
    const vertices = attrs.get("vertices");
    const faces = attrs.get("faces");
    if (!Array.isArray(vertices) || !Array.isArray(faces)) {
      throw new Error(
        "!model needs filename= or vertices= and faces= (computing a hull for vertices alone is not supported)",
      );
    }
    const uv = attrs.get("uv");
    const key = `${vertices.join()}|${faces.join()}|${
      Array.isArray(uv) ? uv.join() : ""
    }|${flat}|${invert}`;
    if (key === this.#vectorsKey && this.mesh !== null) return this.mesh;
    const count = Math.floor(vertices.length / 3);
    if (
      faces.length % 3 !== 0 ||
      faces.some((index) =>
        typeof index !== "number" || !Number.isInteger(index) || index < 0 ||
        index >= count
      )
    ) {
      throw new Error(
        `faces= needs 3 vertex numbers per face, each from 0 to ${count - 1}`,
      );
    }
    let mesh = meshFromTriangles(
      "vertices",
      vertices.map(Number),
      faces as number[],
      Array.isArray(uv) ? uv.map(Number) : null,
    );
    if (flat) mesh = flatMesh(mesh);
    if (invert) mesh = invertedMesh(mesh);
    this.#vectorsKey = key;
    return mesh;
  }
}

/** The mesh of a primitive model node. */
function primitiveFor(kind: PrimitiveKind, attrs: Attributes): MeshData {
  const uvMap = attrs.symbol("uv_map", "standard");
  if (uvMap !== "standard" && uvMap !== "repeat") {
    attrs.warnShape("uv_map", attrs.get("uv_map"), ":standard or :repeat");
  }
  return primitiveMesh(kind, {
    segments: attrs.number("segments", 64),
    uvMap: uvMap === "repeat" ? "repeat" : "standard",
    flat: attrs.boolean("flat", false),
    invert: attrs.boolean("invert", false),
  });
}

function register(
  name: string,
  attributes: readonly string[],
  create: () => SceneNode,
): void {
  CANVAS3D_KINDS.register({
    name,
    attributes: ["id", "hidden", "size", ...attributes],
    childKinds: CANVAS3D_KINDS,
    create,
  });
}

register("transform", TRANSFORM_ATTRIBUTES, () => new Object3D("transform"));
register("material", MATERIAL_ATTRIBUTES, () => new Object3D("material"));
register("light", LIGHT_ATTRIBUTES, () => new Object3D("light"));
register(
  "camera",
  [...CAMERA_ATTRIBUTES, "secondary"],
  () => new Camera3D(),
);
register(
  "group",
  [...GROUP_ATTRIBUTES, ...TRANSFORM_ATTRIBUTES, ...MATERIAL_ATTRIBUTES],
  () => new Object3D("group"),
);
register("box", [...MODEL_ATTRIBUTES, "uv_map"], () => new Model3D("box"));
for (const kind of ["sphere", "cylinder", "cone"] as const) {
  register(kind, [...MODEL_ATTRIBUTES, "segments"], () => new Model3D(kind));
}
register(
  "model",
  [...MODEL_ATTRIBUTES, "filename", "vertices", "faces", "uv"],
  () => new Model3D("model"),
);
