import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  formatLocation,
  formatProblem,
  SceneError,
} from "../../lib/scene/errors.ts";
import { Attributes } from "../../lib/scene/attributes.ts";

Deno.test("formatProblem writes file: place: problem, leaving out what is not known", () => {
  assertEquals(
    formatProblem({ file: "scene.toml", path: "nodes[0].size" }, "bad"),
    "scene.toml: nodes[0].size: bad",
  );
  assertEquals(
    formatProblem({ file: "scene.toml", line: 7, column: 12 }, "Invalid TOML"),
    "scene.toml:7:12: Invalid TOML",
  );
  assertEquals(
    formatProblem({ file: "s.json", path: "nodes[0].alpha", column: 5 }, "x"),
    "s.json: nodes[0].alpha (column 5): x",
  );
  assertEquals(
    formatProblem({ file: "", path: "nodes[0]" }, "x"),
    "nodes[0]: x",
  );
  assertEquals(formatProblem({ file: "scene.toml" }, "x"), "scene.toml: x");
  assertEquals(formatLocation({ file: "" }), "");
  assertEquals(formatProblem({ file: "" }, "x"), "x");
});

Deno.test("SceneError messages and Attributes.location() use the same form", () => {
  const error = new SceneError({ file: "a.toml", path: "nodes[1]" }, "oops");
  assertEquals(error.message, "a.toml: nodes[1]: oops");
  assertEquals(error.problem, "oops");
  const attrs = new Attributes("nodes[0].children[2]", new Map(), "a.toml");
  assertEquals(attrs.location(), {
    file: "a.toml",
    path: "nodes[0].children[2]",
  });
  assertEquals(
    formatProblem(attrs.location("ice"), "bad URL"),
    "a.toml: nodes[0].children[2].ice: bad URL",
  );
});

Deno.test("a wrongly shaped attribute is warned about once, in the file: place: problem form", () => {
  const warnings: string[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    const attrs = new Attributes(
      "nodes[0]",
      new Map([["size", "big"]]),
      "a.toml",
    );
    for (let frame = 0; frame < 3; frame++) {
      assertEquals(attrs.vector("size", 2, [1, 1]), [1, 1]);
    }
    attrs.set("size", "huge");
    attrs.vector("size", 2, null);
    assertEquals(warnings.length, 1, warnings.join("\n"));
    assertEquals(
      warnings[0].replace(/^.*? WARN {2}scene: /, ""),
      'a.toml: nodes[0].size: expected 2 numbers, got "big"',
    );
  } finally {
    console.error = originalError;
  }
});
