/**
 * Builds the single `flitter_webrtc` executable into `dist/` with
 * `deno compile`: the CLI (scenes, demo and the signalling server), the
 * example scenes and the npm packages, the wrtc native addon included
 * (`--self-extracting`, so the addon is a real file on disk when it loads).
 *
 * `deno compile` needs Deno's `denort` runtime, which it downloads from
 * Deno's site unless `DENORT_BIN` names a local copy. Where that download
 * is impossible, this says so in one sentence and exits 1.
 *
 * Usage: deno task compile [--target TRIPLE]
 *
 * @module
 */

const output = "dist/flitter_webrtc";
const args = [
  "compile",
  "-A",
  "--self-extracting",
  "--include",
  "examples",
  "--include",
  "lib/render/nodes/_image_encoder_worker.ts",
  "--include",
  "lib/media/_video_decode_worker.ts",
  "--output",
  output,
  ...Deno.args,
  "cli.ts",
];
const result = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "piped",
}).output();
const errors = new TextDecoder().decode(result.stderr);
if (result.success) {
  await Deno.stderr.write(result.stderr);
  console.log(
    `Built ${output}: run "${output} run SCENE" or "${output} --port=8080".`,
  );
  Deno.exit(0);
}
if (/denort|dl\.deno\.land|error sending request|dns error/i.test(errors)) {
  console.error(
    `deno compile could not download the denort ${Deno.version.deno} runtime it builds on (no route to Deno's download site from here); set DENORT_BIN to a local denort binary or run "deno task compile" where that site is reachable.`,
  );
} else {
  await Deno.stderr.write(result.stderr);
}
Deno.exit(1);
