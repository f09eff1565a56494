import {
  deepStrictEqual as assertEquals,
  match,
  ok as assert,
  rejects,
  throws,
} from "node:assert/strict";
import {
  temporaryPathBeside,
  writeFileAtomic,
  writeFileAtomicSync,
} from "../../lib/media/atomic_write.ts";

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("writeFileAtomic creates and replaces a file, leaving nothing else behind", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/frame.png`;
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assertEquals(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4]));
    assertEquals(await Deno.readFile(path), new Uint8Array([4]));
    writeFileAtomicSync(path, new Uint8Array([5, 6]));
    assertEquals(await Deno.readFile(path), new Uint8Array([5, 6]));
    assertEquals(names(dir), ["frame.png"]);
  });
});

Deno.test("a failed atomic write leaves the target as it was and removes its temporary file", async () => {
  await inTempDir(async (dir) => {
    // A folder in the way: the rename fails after the temporary file is written.
    const path = `${dir}/taken`;
    await Deno.mkdir(path);
    await Deno.writeTextFile(`${path}/inside`, "x");
    await rejects(writeFileAtomic(path, new Uint8Array([1])));
    throws(() => writeFileAtomicSync(path, new Uint8Array([1])));
    assertEquals(names(dir), ["taken"]);
    assertEquals(names(path), ["inside"]);
    // A missing folder: the file system's own error.
    await rejects(
      writeFileAtomic(`${dir}/missing/a.png`, new Uint8Array([1])),
      Deno.errors.NotFound,
    );
    throws(
      () => writeFileAtomicSync(`${dir}/missing/a.png`, new Uint8Array([1])),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("temporary files are hidden, beside the target and unique", () => {
  const a = temporaryPathBeside("/out/frame.png");
  const b = temporaryPathBeside("/out/frame.png");
  match(a, new RegExp(`^/out/\\.frame\\.png\\.${Deno.pid}-[0-9a-f]{8}\\.tmp$`));
  assert(a !== b);
});
