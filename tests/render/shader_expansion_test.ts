import { assertEquals } from "../_assert.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import { sym, type Value } from "../../lib/expr/values.ts";
import type { FrameInfo } from "../../lib/scene/node.ts";
import {
  expandShaderSource,
  SourceInputs,
} from "../../lib/render/shader_expansion.ts";

const FRAME: FrameInfo = {
  time: 2,
  clock: 3,
  frame: 60,
  fps: 30,
  beat: 4,
  tempo: 120,
  delta: 1 / 30,
  startedAt: 0,
};

function attributes(values: Record<string, Value>): Attributes {
  return new Attributes("test", new Map(Object.entries(values)));
}

Deno.test("a template sees attributes, frame values, size, composite and child_textures", () => {
  const source = "${HEADER}\n" +
    "${mode} ${tint} ${time} ${beat} ${size} ${delta} ${alpha} ${passes}\n" +
    "${composite}: ${child_textures}\n";
  const text = expandShaderSource(
    source,
    attributes({
      mode: sym("lighten"),
      tint: [1, 0.5],
      time: 9,
      fragment: source,
    }),
    {
      frame: FRAME,
      width: 64,
      height: 32,
      beatDelta: 0.5,
      composite: "add",
      childCount: 2,
    },
  );
  assertEquals(
    text,
    "${HEADER}\nlighten [1, 0.5] 9 4 [64, 32] 0.5 1 1\n" +
      "add: [texture0, texture1]\n",
  );
});

Deno.test("sources need building again only when what picks them changes", () => {
  const fragment = "void main() {}";
  const inputs = new SourceInputs();
  const attrs = attributes({ fragment, composite: sym("over") });
  assertEquals(inputs.update(attrs, 2), false); // first time
  assertEquals(inputs.update(attrs, 2), true);
  assertEquals(inputs.update(attrs, 3), false); // another child count
  attrs.set("alpha", 0.5);
  assertEquals(inputs.update(attrs, 3), true); // other attributes do not count
  attrs.set("fragment", fragment + " ");
  assertEquals(inputs.update(attrs, 3), false);
  inputs.forget();
  assertEquals(inputs.update(attrs, 3), false); // forgotten: build again
  assertEquals(inputs.update(attrs, 3), true);
});
