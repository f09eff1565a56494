import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
} from "../_assert.ts";
import { DEFAULT_VERTEX_SOURCE, GLContext } from "../../lib/gl/context.ts";
import { ShaderError } from "../../lib/gl/shader.ts";
import {
  acquireProgram,
  cachedProgramCount,
  ProgramHolder,
  releaseProgram,
  zeroTexture,
} from "../../lib/render/program_cache.ts";

const RED = `#version 330
out vec4 color;
void main() { color = vec4(1.0, 0.0, 0.0, 1.0); }
`;
const GREEN = RED.replace("1.0, 0.0, 0.0", "0.0, 1.0, 0.0");
const BROKEN = `#version 330
out vec4 color;
void main() { color = nonsense; }
`;

Deno.test("two users of the same sources share one program until the last releases it", () => {
  const gl = GLContext.create();
  try {
    const first = acquireProgram(gl, DEFAULT_VERTEX_SOURCE, RED, "first");
    const second = acquireProgram(gl, DEFAULT_VERTEX_SOURCE, RED, "second");
    assert(first === second, "one cache entry for equal sources");
    assertEquals(first.users, 2);
    assertEquals(cachedProgramCount(gl), 1);
    const other = acquireProgram(gl, DEFAULT_VERTEX_SOURCE, GREEN, "other");
    assert(other.program !== first.program, "other sources, other program");
    assertEquals(cachedProgramCount(gl), 2);
    releaseProgram(gl, first);
    assertEquals(cachedProgramCount(gl), 2);
    first.program.use(); // still alive for its other user
    releaseProgram(gl, second);
    assertEquals(cachedProgramCount(gl), 1);
    // Freed: a new user compiles it again.
    const again = acquireProgram(gl, DEFAULT_VERTEX_SOURCE, RED, "again");
    assert(again !== first, "a fresh entry after the last release");
    releaseProgram(gl, again);
    releaseProgram(gl, other);
    assertEquals(cachedProgramCount(gl), 0);
  } finally {
    gl.destroy();
  }
});

Deno.test("caches are per context", () => {
  const a = GLContext.create();
  const b = GLContext.create();
  try {
    const entry = acquireProgram(a, DEFAULT_VERTEX_SOURCE, RED, "a");
    assertEquals(cachedProgramCount(a), 1);
    assertEquals(cachedProgramCount(b), 0);
    releaseProgram(a, entry);
  } finally {
    b.destroy();
    a.destroy();
  }
});

Deno.test("a holder keeps its last good program while new sources fail", () => {
  const gl = GLContext.create();
  try {
    const holder = new ProgramHolder();
    assertEquals(holder.program, null);
    assertEquals(holder.select(gl, DEFAULT_VERTEX_SOURCE, RED, "red"), null);
    const red = holder.program;
    assert(red !== null, "holds the red program");
    assert(!holder.failing, "not failing");

    const failure = holder.select(gl, DEFAULT_VERTEX_SOURCE, BROKEN, "broken");
    assertInstanceOf(failure, ShaderError);
    assert(holder.program === red, "still draws with the red program");
    assert(holder.failing, "failing");
    assertEquals(cachedProgramCount(gl), 1);
    // The same broken sources give the same error, not another compile.
    assert(
      holder.select(gl, DEFAULT_VERTEX_SOURCE, BROKEN, "broken") === failure,
      "the remembered error",
    );

    assertEquals(
      holder.select(gl, DEFAULT_VERTEX_SOURCE, GREEN, "green"),
      null,
    );
    assert(holder.program !== red && holder.program !== null, "switched");
    assert(!holder.failing, "not failing after a good source");
    assertEquals(cachedProgramCount(gl), 1); // red released

    holder.release(gl);
    assertEquals(holder.program, null);
    assertEquals(cachedProgramCount(gl), 0);
  } finally {
    gl.destroy();
  }
});

Deno.test("a holder without a program throws the compile error", () => {
  const gl = GLContext.create();
  try {
    const holder = new ProgramHolder();
    assertThrows(
      () => holder.select(gl, DEFAULT_VERTEX_SOURCE, BROKEN, "broken"),
      ShaderError,
    );
    assertEquals(holder.program, null);
    assertEquals(cachedProgramCount(gl), 0);
  } finally {
    gl.destroy();
  }
});

Deno.test("the zero texture is one transparent pixel per context", () => {
  const gl = GLContext.create();
  try {
    const zero = zeroTexture(gl);
    assert(zeroTexture(gl) === zero, "made once");
    assertEquals([zero.width, zero.height], [1, 1]);
    assertEquals([...gl.readTarget(zero)], [0, 0, 0, 0]);
  } finally {
    gl.destroy();
  }
});
