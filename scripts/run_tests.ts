/**
 * Runs every test file: most in one `deno test` process, and the files that
 * use libwebrtc (marked `deno-test-isolated`) each in their own process, two
 * at a time.
 *
 * Why: the prebuilt wrtc addon may abort or crash the process when Deno
 * tears down a runtime that holds its objects (`~RTCVideoTrackSource` throws
 * once the factory is gone; seen with gdb), which would also stop every later
 * file. So an isolated file is judged by its TAP report, test by test: it
 * passes when every test it registers (counted first by a run that filters
 * them all out) reported `ok`, whatever the status of the process after its
 * last test.
 *
 * Skipped tests: a test that cannot run here (`ignore:` because a tool such
 * as python3-aiortc or Chromium is missing, or the run is not root) is
 * reported as skipped, by name, and never counted as passed. The last line
 * is `tests: N passed, N failed`, with `, N skipped` appended when any were.
 * When every test is required, a skipped test is also a failure (counted in
 * `failed` as well, and the run exits 1): with `--require-all` (which
 * `deno task test`, and so `npm test`, passes) or when the `CI` environment
 * variable is set to anything but `""`, `0` or `false`. `--allow-skips`
 * turns that off again (the last of the two flags wins).
 *
 * Usage: deno run -A scripts/run_tests.ts [--require-all|--allow-skips] [FILTER]
 * (run inside scripts/in_loopback_netns.sh; `deno task test` does).
 *
 * @module
 */

import { relative } from "node:path";

const MARKER = "deno-test-isolated";
const ISOLATED_CONCURRENCY = 2;

/** Whether `value` (an environment variable) is set to something true. */
function truthy(value: string | undefined): boolean {
  return value !== undefined && !["", "0", "false", "no"].includes(
    value.trim().toLowerCase(),
  );
}

/** Why a skipped test fails the run, or `null` when skips are allowed. */
let requireAll: string | null = truthy(Deno.env.get("CI")) ? "CI is set" : null;
const positional: string[] = [];
for (const arg of Deno.args) {
  if (arg === "--require-all") requireAll = "--require-all";
  else if (arg === "--allow-skips") requireAll = null;
  else if (arg.startsWith("--")) {
    console.error(`run_tests.ts: unknown option ${arg}`);
    Deno.exit(2);
  } else positional.push(arg);
}
const filter = positional[0] ?? "";

async function findTests(folder: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) found.push(...await findTests(path));
    else if (/_test\.ts$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

const files = (await findTests("tests")).filter((file) =>
  file.includes(filter)
);
const isolated: string[] = [];
const shared: string[] = [];
for (const file of files) {
  const head = (await Deno.readTextFile(file)).slice(0, 400);
  (head.includes(MARKER) ? isolated : shared).push(file);
}

// Tests never show windows on the desktop they run from: the window tests
// start X servers (and a Wayland compositor) of their own and name them.
Deno.env.delete("DISPLAY");
Deno.env.delete("WAYLAND_DISPLAY");

const deno = Deno.execPath();
const commonFlags = ["test", "-A", "--quiet"];
let passed = 0;
let failed = 0;
const failures: string[] = [];
/** Skipped (ignored) tests, as `file: name`. */
const skipped: string[] = [];

async function runShared(): Promise<void> {
  if (shared.length === 0) return;
  const junit = await Deno.makeTempFile({ suffix: ".xml" });
  try {
    const command = new Deno.Command(deno, {
      args: [
        ...commonFlags,
        `--junit-path=${junit}`,
        "--doc",
        ...shared,
        "mod.ts",
        "lib/",
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const child = command.spawn();
    const [output, status] = await Promise.all([
      collect(child.stdout, child.stderr, true),
      child.status,
    ]);
    const text = strip(output);
    const summary = /(\d+) passed[^|]*\| (\d+) failed/.exec(text);
    if (summary) {
      passed += Number(summary[1]);
      failed += Number(summary[2]);
    }
    const report = await Deno.readTextFile(junit).catch(() => "");
    const ignored = skippedInJunit(report);
    const ignoredCount = Number(/\| (\d+) ignored/.exec(text)?.[1] ?? 0);
    skipped.push(...ignored);
    // Without a readable report, still count what the summary says.
    for (let i = ignored.length; i < ignoredCount; i++) {
      skipped.push("shared run: an ignored test (no JUnit report to name it)");
    }
    if (!status.success) {
      if (!summary || Number(summary[2]) === 0) failed++;
      failures.push(
        `shared run (${shared.length} files) exited ${status.code}`,
      );
    }
  } finally {
    await Deno.remove(junit).catch(() => {});
  }
}

/** `file: name` of every skipped test case in a JUnit report from `deno test --junit-path`. */
function skippedInJunit(report: string): string[] {
  const found: string[] = [];
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of report.matchAll(testcase)) {
    if (!/<skipped\b/.test(match[2] ?? "")) continue;
    const attribute = (name: string) =>
      unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(match[1])?.[1] ?? "");
    const file = attribute("classname").replace(/^\.\//, "");
    found.push(`${file}: ${attribute("name")}`);
  }
  return found;
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi,
    (_, entity: string) => {
      const named: Record<string, string> = {
        lt: "<",
        gt: ">",
        quot: '"',
        apos: "'",
        amp: "&",
      };
      if (entity[0] !== "#") return named[entity.toLowerCase()];
      return String.fromCodePoint(
        entity[1].toLowerCase() === "x"
          ? parseInt(entity.slice(2), 16)
          : Number(entity.slice(1)),
      );
    },
  );
}

interface TapResult {
  /** Tests that passed (`ok` without `# SKIP`). */
  ok: number;
  notOk: string[];
  /** Names of tests (and steps) reported `ok … # SKIP`. */
  skipped: string[];
  /** Top-level tests among `skipped`. */
  skippedTests: number;
  planned: number | null;
  output: string;
  code: number;
}

/** How many tests `file` registers (a run that filters them all out). */
async function countTests(file: string): Promise<number | null> {
  const output = await new Deno.Command(deno, {
    args: [...commonFlags, "--filter", "^$", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = strip(new TextDecoder().decode(output.stdout));
  const match = /(\d+) filtered out/.exec(text);
  return match ? Number(match[1]) : null;
}

async function runIsolated(file: string): Promise<TapResult> {
  const planned = await countTests(file);
  const command = new Deno.Command(deno, {
    args: [...commonFlags, "--reporter=tap", file],
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const [output, status] = await Promise.all([
    collect(child.stdout, child.stderr, false),
    child.status,
  ]);
  let ok = 0;
  const notOk: string[] = [];
  const skipped: string[] = [];
  let skippedTests = 0;
  for (const line of strip(output).split("\n")) {
    // `ok N - name # SKIP` (indented for a step): ignored, not passed.
    const skip = /^(\s*)ok \d+ - (.*) # SKIP\b/.exec(line);
    if (skip) {
      skipped.push(skip[1] === "" ? skip[2] : `(step) ${skip[2]}`);
      if (skip[1] === "") skippedTests++;
    } else if (/^ok \d+ /.test(line)) ok++;
    else if (/^not ok \d+ /.test(line)) notOk.push(line);
  }
  return {
    ok,
    notOk,
    skipped,
    skippedTests,
    planned,
    output,
    code: status.code,
  };
}

async function collect(
  stdout: ReadableStream<Uint8Array>,
  stderr: ReadableStream<Uint8Array>,
  echo: boolean,
): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: typeof Deno.stdout,
  ) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (echo) await sink.write(chunk);
    }
  };
  await Promise.all([pump(stdout, Deno.stdout), pump(stderr, Deno.stderr)]);
  return text;
}

function strip(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Whether a file's process died by a signal before all its tests reported, none having failed. */
function diedMidway(result: TapResult): boolean {
  return result.planned !== null && result.notOk.length === 0 &&
    result.ok + result.skippedTests < result.planned && result.code > 128;
}

const started = performance.now();
await runShared();
const queue = [...isolated];
async function worker(): Promise<void> {
  while (queue.length > 0) {
    const file = queue.shift()!;
    const began = performance.now();
    let result = await runIsolated(file);
    if (diedMidway(result)) {
      // The prebuilt wrtc addon very rarely crashes mid-run too (seen once in
      // ~10 suite runs, SIGSEGV between two tests). Run such a file once more,
      // saying so; a second crash, or any failed assertion, still fails.
      console.log(
        `note ${
          relative(".", file)
        }: the process died (exit ${result.code}) after ${
          result.ok + result.skippedTests
        } of ${result.planned} tests, none failed; running it again\n${result.output}`,
      );
      result = await runIsolated(file);
    }
    const complete = result.planned !== null &&
      result.ok + result.notOk.length + result.skippedTests ===
        result.planned;
    const good = complete && result.notOk.length === 0;
    passed += result.ok;
    failed += result.notOk.length + (complete ? 0 : 1);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const name = relative(".", file);
    skipped.push(...result.skipped.map((test) => `${name}: ${test}`));
    const skips = result.skipped.length > 0
      ? `, ${result.skipped.length} skipped`
      : "";
    if (good) {
      console.log(
        `ok   ${name}: ${result.ok} tests${skips} (${seconds} s, isolated)`,
      );
      // The tests say why they skip (a "Skipping …" warning): show it.
      for (const line of strip(result.output).split("\n")) {
        if (skips && /\bskipping\b/i.test(line)) console.log(`     ${line}`);
      }
    } else {
      console.log(
        `FAIL ${name}: ${result.ok} ok, ${result.notOk.length} failed${
          complete
            ? ""
            : `, incomplete (planned ${result.planned}, exit ${result.code})`
        }`,
      );
      console.log(result.output);
      failures.push(name);
    }
  }
}
await Promise.all(
  Array.from({ length: ISOLATED_CONCURRENCY }, () => worker()),
);
const seconds = ((performance.now() - started) / 1000).toFixed(0);
if (skipped.length > 0) {
  console.log(
    requireAll
      ? `\nSkipped, and counted as failed (every test is required: ${requireAll}; --allow-skips allows skips):`
      : "\nSkipped:",
  );
  for (const test of skipped) console.log(`  ${test}`);
  if (requireAll) {
    failed += skipped.length;
    failures.push(`${skipped.length} skipped test(s)`);
  }
}
if (failures.length > 0) console.log(`\nFailed: ${failures.join(", ")}`);
console.log(`\nTook ${seconds} s.`);
console.log(
  `tests: ${passed} passed, ${failed} failed${
    skipped.length > 0 ? `, ${skipped.length} skipped` : ""
  }`,
);
Deno.exit(failed === 0 && failures.length === 0 ? 0 : 1);
