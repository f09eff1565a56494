import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { MediaError, VideoWriter } from "../../lib/media/video_writer.ts";
import { chooseVideoEncoder } from "../../lib/media/video_encoders.ts";
import { Logger, type LogLevel } from "../../lib/log/logger.ts";

/** Keeps log records (info and above) instead of printing them. */
class RecordingLogger extends Logger {
  records: string[] = [];
  constructor() {
    super("test");
  }
  override log(level: LogLevel, message: string): void {
    if (level !== "trace" && level !== "debug") {
      this.records.push(`${level} ${message}`);
    }
  }
}

type Rgb = [number, number, number];

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];

/** A frame of one colour, opaque. */
function solid(width: number, height: number, [r, g, b]: Rgb): Uint8Array {
  const frame = new Uint8Array(width * height * 4);
  for (let i = 0; i < frame.length; i += 4) frame.set([r, g, b, 255], i);
  return frame;
}

interface DecodedVideo {
  codec: string;
  width: number;
  height: number;
  frames: Uint8Array[];
}

/** Decodes a video file back to RGB24 frames with ffmpeg. */
async function decodeVideo(path: string): Promise<DecodedVideo> {
  const probe = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_streams",
      "-of",
      "json",
      path,
    ],
  }).output();
  assert(probe.success, new TextDecoder().decode(probe.stderr));
  const stream = JSON.parse(new TextDecoder().decode(probe.stdout)).streams[0];
  const decoded = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-i",
      path,
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
  }).output();
  assert(decoded.success, new TextDecoder().decode(decoded.stderr));
  const frameBytes = stream.width * stream.height * 3;
  assertEquals(decoded.stdout.length % frameBytes, 0);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < decoded.stdout.length; at += frameBytes) {
    frames.push(decoded.stdout.subarray(at, at + frameBytes));
  }
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    frames,
  };
}

function assertColour(
  video: DecodedVideo,
  frame: number,
  x: number,
  y: number,
  want: Rgb,
) {
  const i = (y * video.width + x) * 3;
  const got = [...video.frames[frame].subarray(i, i + 3)];
  assert(
    got.every((v, c) => Math.abs(v - want[c]) <= 24),
    `frame ${frame} at ${x},${y}: got ${got}, expected about ${want}`,
  );
}

async function withTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "video_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Records one second at 30 fps: 15 red frames, then 15 blue ones. */
async function recordOneSecond(
  path: string,
  codec?: string,
): Promise<VideoWriter> {
  const log = new RecordingLogger();
  const writer = VideoWriter.start(path, {
    width: 64,
    height: 64,
    fps: 30,
    codec,
    log,
  });
  for (let i = 0; i < 30; i++) {
    assert(
      writer.write(solid(64, 64, i < 15 ? RED : BLUE)),
      `frame ${i} refused`,
    );
    await writer.flush();
  }
  await writer.close();
  assertEquals(log.records, [`info ${path}: wrote 30 frames (1.00 s)`]);
  return writer;
}

Deno.test("a one-second 64x64 MP4 holds every flushed frame as H.264 with its colours", async () => {
  await withTempDir(async (dir) => {
    const writer = await recordOneSecond(`${dir}/clip.mp4`);
    assertEquals(writer.encoder, "libx264");
    assertEquals(writer.stats, { written: 30, dropped: 0, refused: 0 });
    const video = await decodeVideo(`${dir}/clip.mp4`);
    assertEquals([video.codec, video.width, video.height], ["h264", 64, 64]);
    assertEquals(video.frames.length, 30);
    assertColour(video, 0, 32, 32, RED);
    assertColour(video, 14, 5, 60, RED);
    assertColour(video, 15, 32, 32, BLUE);
    assertColour(video, 29, 60, 5, BLUE);
  });
});

Deno.test("a one-second 64x64 WebM holds every flushed frame as VP9 with its colours", async () => {
  await withTempDir(async (dir) => {
    const writer = await recordOneSecond(`${dir}/clip.webm`);
    assertEquals(writer.encoder, "libvpx-vp9");
    const video = await decodeVideo(`${dir}/clip.webm`);
    assertEquals([video.codec, video.width, video.height], ["vp9", 64, 64]);
    assertEquals(video.frames.length, 30);
    assertColour(video, 0, 32, 32, RED);
    assertColour(video, 29, 32, 32, BLUE);
  });
});

Deno.test("codec= picks another encoder, such as HEVC in MP4", async () => {
  await withTempDir(async (dir) => {
    const writer = await recordOneSecond(`${dir}/clip.mp4`, "h265");
    assertEquals(writer.encoder, "libx265");
    const video = await decodeVideo(`${dir}/clip.mp4`);
    assertEquals([video.codec, video.frames.length], ["hevc", 30]);
    assertColour(video, 29, 32, 32, BLUE);
  });
});

Deno.test("recording stops after the limit and refuses later frames", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/limited.mp4`;
    const log = new RecordingLogger();
    const options = { width: 64, height: 64, fps: 10, limit: 0.5, log };
    const writer = VideoWriter.start(path, options);
    const accepted: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      accepted.push(writer.write(solid(64, 64, i < 4 ? RED : BLUE)));
      await writer.flush();
    }
    assertEquals(accepted, [true, true, true, true, true, false, false, false]);
    assert(writer.finished);
    await writer.close();
    assertEquals(writer.stats, { written: 5, dropped: 0, refused: 3 });
    assertEquals(log.records, [
      `info ${path}: reached the limit of 0.5 s (5 frames)`,
      `info ${path}: wrote 5 frames (0.50 s)`,
    ]);
    const video = await decodeVideo(path);
    assertEquals(video.frames.length, 5);
    assertColour(video, 4, 32, 32, BLUE);
  });
});

Deno.test("frames that come faster than ffmpeg takes them are dropped, keeping the newest", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/burst.mp4`;
    const log = new RecordingLogger();
    const writer = VideoWriter.start(path, {
      width: 64,
      height: 64,
      fps: 30,
      log,
    });
    // No awaiting: the first frame is still being written when the others come.
    for (let i = 0; i < 10; i++) {
      assert(writer.write(solid(64, 64, i < 9 ? RED : BLUE)));
    }
    await writer.close();
    assertEquals(writer.stats, { written: 2, dropped: 8, refused: 0 });
    assertEquals(log.records, [
      `info ${path}: wrote 2 frames (0.07 s), dropped 8 while ffmpeg was busy`,
    ]);
    const video = await decodeVideo(path);
    assertEquals(video.frames.length, 2);
    assertColour(video, 0, 32, 32, RED);
    assertColour(video, 1, 32, 32, BLUE);
    assertEquals(writer.write(solid(64, 64, RED)), false);
  });
});

Deno.test("bottom-up rows are flipped and odd sizes are padded to even ones", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/odd.mp4`;
    const [width, height] = [33, 17];
    // Bottom-up: the first 8 rows are the bottom of the picture, blue.
    const frame = solid(width, height, RED);
    frame.set(solid(width, 8, BLUE));
    const log = new RecordingLogger();
    const writer = VideoWriter.start(path, {
      width,
      height,
      fps: 30,
      bottomUp: true,
      log,
    });
    writer.write(frame);
    await writer.close();
    const video = await decodeVideo(path);
    assertEquals([video.width, video.height, video.frames.length], [34, 18, 1]);
    assertColour(video, 0, 16, 2, RED);
    assertColour(video, 0, 16, 14, BLUE);
  });
});

Deno.test("a missing ffmpeg is a MediaError with the install hint", () => {
  const error = assertThrows(
    () =>
      VideoWriter.start("out/clip.mp4", {
        width: 64,
        height: 64,
        fps: 30,
        ffmpeg: "/nonexistent/ffmpeg",
      }),
    MediaError,
    "apt-get install ffmpeg",
  );
  assert(error.message.startsWith("out/clip.mp4: "), error.message);
});

Deno.test("ffmpeg's own failure is reported on close with its messages", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/taken.mp4`;
    await Deno.mkdir(path); // a folder where the file should go
    const log = new RecordingLogger();
    const writer = VideoWriter.start(path, {
      width: 64,
      height: 64,
      fps: 30,
      log,
    });
    writer.write(solid(64, 64, RED));
    const error = await assertRejects(
      () => writer.close(),
      MediaError,
      `${path}: ffmpeg`,
    );
    assert(/is a directory/i.test(error.message), error.message);
    assertEquals(writer.write(solid(64, 64, RED)), false);
  });
});

Deno.test("bad paths, codecs and sizes are refused before ffmpeg starts", async () => {
  await withTempDir(async (dir) => {
    const options = {
      width: 64,
      height: 64,
      fps: 30,
      log: new RecordingLogger(),
    };
    assertThrows(
      () => VideoWriter.start(`${dir}/absent/clip.mp4`, options),
      MediaError,
      `folder "${dir}/absent" does not exist`,
    );
    assertThrows(
      () => VideoWriter.start(`${dir}/clip.gif`, options),
      MediaError,
      "unsupported video file extension",
    );
    assertThrows(
      () =>
        VideoWriter.start(`${dir}/clip.webm`, { ...options, codec: "h264" }),
      MediaError,
      'WebM files hold only VP8, VP9 or AV1 video, not "h264"',
    );
    assertThrows(
      () =>
        VideoWriter.start(`${dir}/clip.mp4`, {
          ...options,
          codec: "theora2000",
        }),
      MediaError,
      'unknown video codec "theora2000"',
    );
    assertThrows(
      () => VideoWriter.start(`${dir}/c.mp4`, { ...options, fps: 0 }),
      RangeError,
    );
    assertThrows(
      () => VideoWriter.start(`${dir}/c.mp4`, { ...options, width: 1.5 }),
      TypeError,
    );
    const writer = VideoWriter.start(`${dir}/clip.mp4`, options);
    assertThrows(
      () => writer.write(new Uint8Array(5)),
      TypeError,
      "16384 RGBA bytes",
    );
    await writer.close();
    assertEquals(writer.stats.written, 0);
  });
});

Deno.test("codec names map to the first encoder the ffmpeg has", () => {
  const all = new Set([
    "libx264",
    "libx265",
    "libvpx-vp9",
    "libvpx",
    "libsvtav1",
    "libaom-av1",
  ]);
  assertEquals(chooseVideoEncoder("a.mp4", all).encoder, "libx264");
  assertEquals(chooseVideoEncoder("a.MKV", all).encoder, "libx264");
  assertEquals(chooseVideoEncoder("a.webm", all).encoder, "libvpx-vp9");
  assertEquals(chooseVideoEncoder("a.mp4", all, "HEVC").encoder, "libx265");
  assertEquals(chooseVideoEncoder("a.webm", all, "av1").encoder, "libsvtav1");
  assertEquals(chooseVideoEncoder("a.webm", all, "vp8").encoder, "libvpx");
  assertEquals(
    chooseVideoEncoder("a.webm", new Set(["libaom-av1"]), "av1").encoder,
    "libaom-av1",
  );
  assertEquals(chooseVideoEncoder("a.mp4", all, "libx264").encoder, "libx264");
  const x264 = chooseVideoEncoder("a.mp4", all, undefined, 18).args;
  assertEquals(x264.slice(x264.indexOf("-crf"), x264.indexOf("-crf") + 2), [
    "-crf",
    "18",
  ]);
  assertThrows(
    () => chooseVideoEncoder("a.mp4", new Set(["libvpx-vp9"]), "h264"),
    MediaError,
    'a.mp4: ffmpeg has no encoder for codec "h264" (tried libx264, libopenh264)',
  );
  assertThrows(
    () => chooseVideoEncoder("a.mp4", all, undefined, -1),
    RangeError,
  );
});

Deno.test("a recording never closed is still finished by ffmpeg when the process ends", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/unclosed.mp4`;
    const helper =
      new URL("./_unclosed_recording.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", helper, path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Should the writer keep the helper alive, end it rather than hang.
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill();
    }, 30_000);
    const run = await child.output();
    clearTimeout(timer);
    assert(!killed, "the helper did not exit: the idle writer kept it alive");
    assert(run.success, new TextDecoder().decode(run.stderr));
    assertEquals(new TextDecoder().decode(run.stdout), "wrote 10\n");
    // ffmpeg, in its own session, sees the end of its input and finishes
    // the file after the helper has gone: wait for that (bounded).
    let frames = 0;
    for (let attempt = 0; attempt < 100 && frames !== 10; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const probe = await new Deno.Command("ffprobe", {
        args: [
          ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
          ...["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
        ],
        stderr: "null",
      }).output();
      frames = Number(new TextDecoder().decode(probe.stdout).trim()) || 0;
    }
    assertEquals(frames, 10);
  });
});
