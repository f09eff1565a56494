// The layering of lib/ that the README's development notes describe: a
// module imports only from its own layer or the layers below it, and no
// file under lib/ grows past 500 lines.
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const LIB = new URL("../../lib/", import.meta.url).pathname;

/** Rank of each top-level part of lib/ (lower ranks are lower layers). */
const LAYERS: Record<string, number> = {
  log: 0,
  expr: 1,
  gl: 1,
  media: 1,
  window: 1,
  scene: 2,
  render: 3,
  canvas: 3,
  canvas3d: 3,
  signalling: 3,
  webrtc: 4,
  engine: 5,
  "kinds.ts": 5,
  server: 6,
  cli: 7,
};

function* sources(folder: string): Generator<string> {
  for (const entry of Deno.readDirSync(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** The part of lib/ a path lies in (`render`, `kinds.ts`, …). */
function partOf(path: string): string {
  return relative(LIB, path).split("/")[0];
}

/** Relative imports of a source file (static, dynamic and `export … from`). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"|(?:^|\n)\s*import\s*"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    found.push(match[1] ?? match[2] ?? match[3]);
  }
  return found;
}

Deno.test("no module under lib/ imports from a layer above its own", () => {
  const violations: string[] = [];
  for (const file of sources(LIB)) {
    const from = partOf(file);
    assert.ok(from in LAYERS, `lib/${from} has no layer in this test`);
    for (const specifier of importsOf(Deno.readTextFileSync(file))) {
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(LIB)) {
        violations.push(`${relative(LIB, file)} imports ${specifier}`);
        continue;
      }
      const to = partOf(target);
      if (LAYERS[to] > LAYERS[from]) {
        violations.push(
          `lib/${relative(LIB, file)} (${from}) imports lib/${
            relative(LIB, target)
          } (${to}, a higher layer)`,
        );
      }
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("the import scan finds the imports it is meant to judge", () => {
  assert.deepEqual(
    importsOf(
      `import { a } from "../x.ts";\nimport type {\n  B,\n} from "./y.ts";\n` +
        `import "./z.ts";\nexport { c } from "../c.ts";\n` +
        `const m = await import("../m.ts");\nimport x from "npm:ws";\n`,
    ),
    ["../x.ts", "./y.ts", "./z.ts", "../c.ts", "../m.ts"],
  );
});

Deno.test("no file under lib/ is over 500 lines", () => {
  const long: string[] = [];
  for (const file of sources(LIB)) {
    const lines = Deno.readTextFileSync(file).split("\n").length - 1;
    if (lines > 500) long.push(`lib/${relative(LIB, file)}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});
