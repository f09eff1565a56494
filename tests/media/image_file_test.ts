import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import {
  detectImageFormat,
  flipRows,
  MediaError,
  readImageFile,
  readImageFileSync,
  writeImageFile,
  writeImageFileSync,
} from "../../lib/media/image_file.ts";
import type { DecodedImage } from "../../lib/media/image_file.ts";

/** A 16x8 image: left half opaque red, right half half-transparent blue. */
function testImage(): DecodedImage {
  const width = 16, height = 8;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (x < width / 2) data.set([255, 0, 0, 255], i);
      else data.set([0, 0, 255, 128], i);
    }
    // A green row marker on the top row, first pixel, to check row order.
  }
  data.set([0, 255, 0, 255], 0);
  return { width, height, data };
}

function pixel(image: DecodedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return [...image.data.subarray(i, i + 4)];
}

function assertNear(actual: number[], expected: number[], tolerance: number) {
  for (let c = 0; c < expected.length; c++) {
    assert(
      Math.abs(actual[c] - expected[c]) <= tolerance,
      `channel ${c}: got ${actual}, expected ${expected} ± ${tolerance}`,
    );
  }
}

async function withTempDir(body: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "media_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a PNG round trip keeps every pixel, alpha included, rows top-down", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/picture.png`;
    const original = testImage();
    await writeImageFile(path, original);
    const bytes = await Deno.readFile(path);
    assertEquals(detectImageFormat(bytes), "png");
    const image = await readImageFile(path);
    assertEquals([image.width, image.height], [16, 8]);
    assertEquals(image.data, original.data);
    assertEquals(pixel(image, 0, 0), [0, 255, 0, 255]);
    assertEquals(pixel(image, 0, 7), [255, 0, 0, 255]);
    assertEquals(pixel(image, 15, 7), [0, 0, 255, 128]);
  });
});

Deno.test("a JPEG round trip keeps colours within tolerance and makes them opaque", async () => {
  await withTempDir(async (dir) => {
    for (const name of ["photo.jpg", "photo.JPEG"]) {
      const path = `${dir}/${name}`;
      const original = testImage();
      await writeImageFile(path, original, { quality: 95 });
      assertEquals(detectImageFormat(await Deno.readFile(path)), "jpeg");
      const image = await readImageFile(path);
      assertEquals([image.width, image.height], [16, 8]);
      assertNear(pixel(image, 2, 5), [255, 0, 0, 255], 12);
      // JPEG has no alpha: the blue is written as if opaque.
      assertNear(pixel(image, 13, 5), [0, 0, 255, 255], 12);
    }
  });
});

Deno.test("JPEG quality changes the file size", async () => {
  await withTempDir(async (dir) => {
    const width = 64, height = 64;
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    await writeImageFile(`${dir}/low.jpg`, { width, height, data }, {
      quality: 10,
    });
    await writeImageFile(`${dir}/high.jpg`, { width, height, data }, {
      quality: 100,
    });
    const low = (await Deno.stat(`${dir}/low.jpg`)).size;
    const high = (await Deno.stat(`${dir}/high.jpg`)).size;
    assert(
      low < high,
      `quality 10 gave ${low} bytes, quality 100 gave ${high}`,
    );
  });
});

Deno.test("the format is read from the content, not the file name", async () => {
  await withTempDir(async (dir) => {
    await writeImageFile(`${dir}/real.png`, testImage());
    await writeImageFile(`${dir}/real.jpg`, testImage());
    await Deno.rename(`${dir}/real.png`, `${dir}/disguised.jpg`);
    await Deno.rename(`${dir}/real.jpg`, `${dir}/disguised.png`);
    const fromPng = await readImageFile(`${dir}/disguised.jpg`);
    assertEquals(fromPng.data, testImage().data); // lossless: it was read as PNG
    const fromJpeg = readImageFileSync(`${dir}/disguised.png`);
    assertNear(pixel(fromJpeg, 2, 5), [255, 0, 0, 255], 12);
  });
});

Deno.test("signatures are recognised for PNG and JPEG only", () => {
  assertEquals(
    detectImageFormat(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0])),
    "png",
  );
  assertEquals(
    detectImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xdb])),
    "jpeg",
  );
  assertEquals(detectImageFormat(new Uint8Array([137, 80, 78, 71])), null);
  assertEquals(detectImageFormat(new TextEncoder().encode("GIF89a....")), null);
  assertEquals(detectImageFormat(new Uint8Array([0x42, 0x4d, 0, 0])), null);
  assertEquals(detectImageFormat(new Uint8Array()), null);
});

Deno.test("reading a file that is not an image names the file and the problem", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/logo.png`;
    await Deno.writeTextFile(path, "GIF89a but not really");
    const error = await assertRejects(() => readImageFile(path), MediaError);
    assertEquals(error.message, `${path}: not a PNG or JPEG image`);
    assertEquals(error.path, path);
  });
});

Deno.test("reading a missing file or a folder says so", async () => {
  await withTempDir(async (dir) => {
    const missing = `${dir}/nothing.png`;
    const error = await assertRejects(() => readImageFile(missing), MediaError);
    assertEquals(error.message, `${missing}: file not found`);
    assertThrows(
      () => readImageFileSync(missing),
      MediaError,
      "file not found",
    );
    await assertRejects(() => readImageFile(dir), MediaError, "is a folder");
  });
});

Deno.test("reading a damaged PNG or JPEG says which format was damaged", async () => {
  await withTempDir(async (dir) => {
    await writeImageFile(`${dir}/whole.png`, testImage());
    await writeImageFile(`${dir}/whole.jpg`, testImage());
    for (
      const [name, format] of [["whole.png", "PNG"], ["whole.jpg", "JPEG"]]
    ) {
      const bytes = await Deno.readFile(`${dir}/${name}`);
      const cut = `${dir}/cut_${name}`;
      await Deno.writeFile(cut, bytes.subarray(0, 40));
      await assertRejects(
        () => readImageFile(cut),
        MediaError,
        `${cut}: damaged ${format} image`,
      );
    }
  });
});

Deno.test("writing picks the format by extension and refuses others", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/picture.gif`;
    const error = await assertRejects(
      () => writeImageFile(path, testImage()),
      MediaError,
    );
    assertEquals(
      error.message,
      `${path}: unsupported image file extension (use .png, .jpg or .jpeg)`,
    );
    assertThrows(
      () => writeImageFileSync(`${dir}/noextension`, testImage()),
      MediaError,
    );
    assertEquals([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("writing into a missing folder names the folder", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/absent/picture.png`;
    await assertRejects(
      () => writeImageFile(path, testImage()),
      MediaError,
      `folder "${dir}/absent" does not exist`,
    );
  });
});

Deno.test("writing replaces an existing file and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/frame.png`;
    await Deno.writeTextFile(path, "old content");
    writeImageFileSync(path, testImage());
    assertEquals((await readImageFile(path)).data, testImage().data);
    await writeImageFile(path, testImage());
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["frame.png"]);
  });
});

Deno.test("writing a malformed image is a TypeError", async () => {
  await withTempDir(async (dir) => {
    const bad = { width: 4, height: 4, data: new Uint8Array(10) };
    await assertRejects(
      () => writeImageFile(`${dir}/bad.png`, bad),
      TypeError,
      "64 RGBA bytes",
    );
    assertThrows(
      () => writeImageFileSync(`${dir}/bad.png`, { ...bad, width: 0 }),
      TypeError,
      "positive integers",
    );
    assertThrows(
      () => writeImageFileSync(`${dir}/q.jpg`, testImage(), { quality: 0 }),
      RangeError,
    );
  });
});

Deno.test("grey, palette, 16-bit and grey-alpha PNGs and ffmpeg's JPEGs are read as RGBA8", async () => {
  await withTempDir(async (dir) => {
    const make = async (name: string, pixelFormat: string) => {
      const args = [
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "color=c=0x3366CC:s=4x2",
      ];
      args.push("-frames:v", "1", "-pix_fmt", pixelFormat, `${dir}/${name}`);
      const { success } = await new Deno.Command("ffmpeg", { args }).output();
      assert(success, `ffmpeg could not make ${name}`);
    };
    const cases: [string, string, number[]][] = [
      ["grey.png", "gray", [98, 98, 98, 255]],
      ["grey_alpha.png", "ya8", [98, 98, 98, 255]],
      ["deep.png", "rgb48be", [51, 102, 204, 255]],
      ["palette.png", "pal8", [51, 102, 204, 255]],
      ["ffmpeg.jpg", "yuvj444p", [51, 102, 204, 255]],
    ];
    for (const [name, pixelFormat, expected] of cases) {
      await make(name, pixelFormat);
      const image = await readImageFile(`${dir}/${name}`);
      assertEquals(
        [image.width, image.height, image.data.length],
        [4, 2, 32],
        name,
      );
      // Mean colour: ffmpeg dithers the palette image.
      const mean = [0, 1, 2, 3].map((c) =>
        Math.round(
          image.data.filter((_, i) => i % 4 === c).reduce((a, b) => a + b) / 8,
        )
      );
      assertNear(mean, expected, 12);
    }
  });
});

Deno.test("flipRows turns an image upside down and back", () => {
  const image = testImage();
  const flipped = flipRows(image);
  assertEquals(pixel(flipped, 0, 7), [0, 255, 0, 255]);
  assertEquals(pixel(flipped, 0, 0), [255, 0, 0, 255]);
  assertEquals(flipRows(flipped).data, image.data);
  assertEquals(image.data, testImage().data); // the original is untouched
});
