import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { MediaError } from "../../lib/media/media_error.ts";
import { probeVideo, probeVideoSync } from "../../lib/media/video_probe.ts";
import {
  type DecodedFrame,
  VideoDecoder,
} from "../../lib/media/video_decoder.ts";
import type { Playback } from "../../lib/media/playback.ts";
import {
  decodedColor,
  eventually,
  ffmpegProcessesWith,
  identifyFrame,
  makeTestVideo,
} from "../_video.ts";

/** The frame a decoded picture shows, by its colour (top-left quarter). */
function shownFrame(frame: DecodedFrame | null, decoder: VideoDecoder): number {
  assert(frame !== null, "expected a frame");
  const { layout, width, height } = decoder.info;
  const { frame: k, distance } = identifyFrame(
    decodedColor(frame.data, layout, width, height, 8, 8),
  );
  assert(distance < 20, `colour ${distance} off the palette`);
  return k;
}

async function withFolder(body: (folder: string) => Promise<void>) {
  const folder = await Deno.makeTempDir({ prefix: "video_decoder_test_" });
  try {
    await body(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test("probeVideo tells the size, frame rate and frame count of H.264, WebM and RGB files", async () => {
  await withFolder(async (folder) => {
    await makeTestVideo(`${folder}/a.mp4`, {
      frames: 12,
      fps: 25,
      width: 32,
      height: 24,
    });
    const mp4 = await probeVideo(`${folder}/a.mp4`);
    assertEquals(
      [mp4.width, mp4.height, mp4.fps, mp4.frames, mp4.layout, mp4.codec],
      [32, 24, 25, 12, "i420", "h264"],
    );
    assertEquals(mp4.frameBytes, 32 * 24 * 3 / 2);
    // WebM does not store a frame count: it is counted.
    await makeTestVideo(`${folder}/b.webm`, {
      frames: 9,
      fps: 30000 / 1001,
      codecArgs: [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-pix_fmt",
        "yuv420p",
      ],
    });
    const webm = probeVideoSync(`${folder}/b.webm`);
    assertEquals([webm.frames, webm.codec], [9, "vp9"]);
    assert(Math.abs(webm.fps - 29.97) < 0.01, `fps ${webm.fps}`);
    await makeTestVideo(`${folder}/c.mkv`, {
      frames: 3,
      fps: 10,
      codecArgs: ["-c:v", "png", "-pix_fmt", "rgb24"],
    });
    const rgb = await probeVideo(`${folder}/c.mkv`);
    assertEquals([rgb.layout, rgb.decodeFormat, rgb.frameBytes], [
      "rgba",
      "rgba",
      64 * 48 * 4,
    ]);
  });
});

Deno.test("probeVideo names the file and its problem: missing, a folder, not a video", async () => {
  await withFolder(async (folder) => {
    await assertRejects(
      () => probeVideo(`${folder}/missing.mp4`),
      MediaError,
      `${folder}/missing.mp4: no such file`,
    );
    assertThrows(() => probeVideoSync(folder), MediaError, "is a folder");
    await Deno.writeTextFile(
      `${folder}/text.mp4`,
      "not a video at all\n".repeat(50),
    );
    await assertRejects(
      () => probeVideo(`${folder}/text.mp4`),
      MediaError,
      "not a video file ffmpeg can read",
    );
  });
});

Deno.test("a decoder gives exactly the frame asked for, in order and after seeks anywhere", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/seek.mp4`;
    // A keyframe every 30 frames, with B-frames: seeks decode from a keyframe.
    await makeTestVideo(path, { frames: 60, fps: 25 });
    const decoder = VideoDecoder.open(await probeVideo(path), {
      cacheBytes: 0,
    });
    const loop: Playback = { first: 0, length: 60, mode: "loop" };
    try {
      for (
        const tag of [0, 1, 2, 3, 4, 5, 47, 48, 31, 59, 29, 30, 1, 60, 61, -1]
      ) {
        const frame = decoder.frame(tag, loop, 1, true);
        const expected = ((tag % 60) + 60) % 60;
        assertEquals(frame?.source, expected, `tag ${tag}`);
        assertEquals(shownFrame(frame, decoder), expected, `tag ${tag}`);
      }
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("a decoder reads backwards and back and forth through ffmpeg, chunk by chunk", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/back.mp4`;
    await makeTestVideo(path, { frames: 40, fps: 10 });
    // Nothing kept in memory: every backward chunk is reversed by ffmpeg.
    const decoder = VideoDecoder.open(await probeVideo(path), {
      cacheBytes: 0,
    });
    try {
      const loop: Playback = { first: 0, length: 40, mode: "loop" };
      const backwards: number[] = [];
      for (let tag = 25; tag >= 8; tag--) {
        backwards.push(shownFrame(decoder.frame(tag, loop, -1, true), decoder));
      }
      assertEquals(backwards, Array.from({ length: 18 }, (_, i) => 25 - i));
      const bounce: Playback = { first: 30, length: 10, mode: "bounce" };
      const shown: number[] = [];
      for (let tag = 0; tag < 24; tag++) {
        shown.push(shownFrame(decoder.frame(tag, bounce, 1, true), decoder));
      }
      assertEquals(shown, [
        ...[30, 31, 32, 33, 34, 35, 36, 37, 38, 39],
        ...[38, 37, 36, 35, 34, 33, 32, 31, 30],
        ...[31, 32, 33, 34, 35],
      ]);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("a decoder plays an RGB file as RGBA frames", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/rgb.mkv`;
    await makeTestVideo(path, {
      frames: 6,
      fps: 10,
      codecArgs: ["-c:v", "png", "-pix_fmt", "rgb24"],
    });
    const decoder = VideoDecoder.open(await probeVideo(path));
    try {
      const clamp: Playback = { first: 0, length: 6, mode: "clamp" };
      assertEquals(shownFrame(decoder.frame(4, clamp, 1, true), decoder), 4);
      // Beyond the end a clamped playhead holds the last frame.
      assertEquals(shownFrame(decoder.frame(9, clamp, 1, true), decoder), 5);
      const frame = decoder.frame(9, clamp, 1, true)!;
      assertEquals(decodedColor(frame.data, "rgba", 64, 48, 60, 44), [
        255,
        255,
        255,
      ]);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("without waiting, a decoder answers at once and the frame comes later", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/later.mp4`;
    await makeTestVideo(path, { frames: 20, fps: 10 });
    const decoder = VideoDecoder.open(await probeVideo(path));
    const loop: Playback = { first: 0, length: 20, mode: "loop" };
    try {
      assertEquals(decoder.frame(7, loop, 1, false), null);
      let frame: DecodedFrame | null = null;
      await eventually(
        () => (frame = decoder.frame(7, loop, 1, false)) !== null,
        "frame 7 decoded",
      );
      assertEquals(shownFrame(frame, decoder), 7);
      assertEquals(decoder.restarts, 1);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("without waiting, the newest decoded frame before the one asked for stands in for it", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/stand_in.mp4`;
    await makeTestVideo(path, { frames: 40, fps: 10 });
    const decoder = VideoDecoder.open(await probeVideo(path), {
      cacheBytes: 0,
      slots: 4,
    });
    const loop: Playback = { first: 0, length: 40, mode: "loop" };
    try {
      assertEquals(shownFrame(decoder.frame(0, loop, 1, true), decoder), 0);
      // Frames 1–4 fill the ring; 9 is within reach, so no seek.
      await eventually(
        () => decoder.frame(4, loop, 1, false)?.tag === 4,
        "frame 4 decoded",
      );
      const standIn = decoder.frame(9, loop, 1, false);
      assert(standIn !== null && standIn.tag >= 4 && standIn.tag <= 9);
      assertEquals(shownFrame(standIn, decoder), standIn.tag);
      let exact: DecodedFrame | null = null;
      await eventually(
        () => (exact = decoder.frame(9, loop, 1, false))?.tag === 9,
        "frame 9 decoded",
      );
      assertEquals(shownFrame(exact, decoder), 9);
      assertEquals(decoder.restarts, 1);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("a file ffprobe reads but ffmpeg cannot decode fails with ffmpeg's message", async () => {
  await withFolder(async (folder) => {
    const good = `${folder}/good.mp4`;
    await makeTestVideo(good, {
      frames: 20,
      fps: 10,
      codecArgs: [
        "-c:v",
        "libx264",
        "-movflags",
        "+faststart",
        "-pix_fmt",
        "yuv420p",
      ],
    });
    // Keep the header (ahead of the data with +faststart), scramble the pictures.
    const bytes = await Deno.readFile(good);
    const mdat = new TextDecoder("latin1").decode(bytes).indexOf("mdat");
    let seed = 1;
    for (let i = mdat + 4; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    const bad = `${folder}/bad.mp4`;
    await Deno.writeFile(bad, bytes);
    const decoder = VideoDecoder.open(await probeVideo(bad));
    try {
      const error = assertThrows(
        () => decoder.frame(0, { first: 0, length: 20, mode: "loop" }, 1, true),
        MediaError,
        "ffmpeg could not decode it",
      );
      assert(error.message.startsWith(`${bad}: `), error.message);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("a short loop is decoded once, then played from memory", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/short.mp4`;
    await makeTestVideo(path, { frames: 12, fps: 10 });
    const decoder = VideoDecoder.open(await probeVideo(path), { slots: 4 });
    const loop: Playback = { first: 0, length: 12, mode: "loop" };
    try {
      const shown: number[] = [];
      for (let tag = 0; tag < 40; tag++) {
        shown.push(shownFrame(decoder.frame(tag, loop, 1, true), decoder));
      }
      assertEquals(shown, Array.from({ length: 40 }, (_, tag) => tag % 12));
      // Laps 3 and 4 come from memory: no ffmpeg runs any more.
      await eventually(
        () => ffmpegProcessesWith(folder).length === 0,
        "ffmpeg processes gone",
      );
      assertEquals(decoder.restarts, 1);
    } finally {
      await decoder.close();
    }
  });
});

Deno.test("closing a decoder ends its ffmpeg processes", async () => {
  await withFolder(async (folder) => {
    const path = `${folder}/close.mp4`;
    await makeTestVideo(path, { frames: 30, fps: 10 });
    const decoder = VideoDecoder.open(await probeVideo(path), {
      cacheBytes: 0,
      slots: 3,
    });
    // The ring is full and the next lap is started ahead: ffmpeg waits on its pipe.
    decoder.frame(0, { first: 0, length: 30, mode: "loop" }, 1, true);
    assert(ffmpegProcessesWith(folder).length > 0, "ffmpeg should be running");
    await decoder.close();
    assertEquals(ffmpegProcessesWith(folder), []);
  });
});
