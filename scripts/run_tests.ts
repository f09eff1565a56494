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
 * Usage: deno run -A scripts/run_tests.ts [FILTER]   (run inside
 * scripts/in_loopback_netns.sh; `deno task test` does).
 *
 * @module
 */

import { relative } from "node:path";

const MARKER = "deno-test-isolated";
const ISOLATED_CONCURRENCY = 2;
const filter = Deno.args[0] ?? "";

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

const deno = Deno.execPath();
const commonFlags = ["test", "-A", "--quiet"];
let passed = 0;
let failed = 0;
const failures: string[] = [];

async function runShared(): Promise<void> {
  if (shared.length === 0) return;
  const command = new Deno.Command(deno, {
    args: [...commonFlags, "--doc", ...shared, "mod.ts", "lib/"],
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const [output, status] = await Promise.all([
    collect(child.stdout, child.stderr, true),
    child.status,
  ]);
  const summary = /(\d+) passed[^|]*\| (\d+) failed/.exec(strip(output));
  if (summary) {
    passed += Number(summary[1]);
    failed += Number(summary[2]);
  }
  if (!status.success) {
    if (!summary || Number(summary[2]) === 0) failed++;
    failures.push(`shared run (${shared.length} files) exited ${status.code}`);
  }
}

interface TapResult {
  ok: number;
  notOk: string[];
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
  for (const line of strip(output).split("\n")) {
    if (/^ok \d+ /.test(line)) ok++;
    else if (/^not ok \d+ /.test(line)) notOk.push(line);
  }
  return { ok, notOk, planned, output, code: status.code };
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
    result.ok < result.planned && result.code > 128;
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
        }: the process died (exit ${result.code}) after ${result.ok} of ${result.planned} tests, none failed; running it again\n${result.output}`,
      );
      result = await runIsolated(file);
    }
    const complete = result.planned !== null &&
      result.ok + result.notOk.length === result.planned;
    const good = complete && result.notOk.length === 0;
    passed += result.ok;
    failed += result.notOk.length + (complete ? 0 : 1);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const name = relative(".", file);
    if (good) {
      console.log(`ok   ${name}: ${result.ok} tests (${seconds} s, isolated)`);
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
if (failures.length > 0) console.log(`\nFailed: ${failures.join(", ")}`);
console.log(`\nTook ${seconds} s.`);
console.log(`tests: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 && failures.length === 0 ? 0 : 1);
