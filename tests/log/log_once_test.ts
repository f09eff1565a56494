import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Logger, type LogLevel, setLogLevel } from "../../lib/log/logger.ts";
import { LogOnce } from "../../lib/log/log_once.ts";
import { Attributes } from "../../lib/scene/attributes.ts";
import type { Value } from "../../lib/expr/values.ts";
import { SignallingNode } from "../../lib/webrtc/signalling_node.ts";
import type { SignallingKind } from "../../lib/signalling/signalling.ts";

/** A logger that keeps its records instead of printing them. */
class RecordingLogger extends Logger {
  readonly records: string[] = [];
  override log(level: LogLevel, message: string): void {
    this.records.push(`${level} ${message}`);
  }
}

Deno.test("LogOnce logs a message the first time its key is seen, until reset", () => {
  const log = new RecordingLogger("test");
  const once = new LogOnce();
  for (let frame = 0; frame < 3; frame++) {
    once.warn(log, "a: bad");
    once.warn(log, "b: bad");
  }
  assertEquals(log.records, ["warn a: bad", "warn b: bad"]);
  assertEquals(once.warn(log, "a: bad"), false);
  once.reset();
  assertEquals(once.warn(log, "a: bad"), true);
  assertEquals(log.records, ["warn a: bad", "warn b: bad", "warn a: bad"]);
});

Deno.test("LogOnce keys: one message per key, whatever the message says", () => {
  const log = new RecordingLogger("test");
  const once = new LogOnce();
  once.warn(log, "size: got 1;2;3", "size");
  once.warn(log, "size: got 4", "size");
  once.log(log, "error", "alpha: got :x", "alpha");
  assertEquals(log.records, ["warn size: got 1;2;3", "error alpha: got :x"]);
  assertEquals(once.first("size"), false);
  assertEquals(once.first("other"), true);
  assertEquals(once.size, 3);
});

Deno.test("LogOnce forgets everything when it reaches its limit", () => {
  const once = new LogOnce(2);
  assertEquals([once.first("a"), once.first("b"), once.first("a")], [
    true,
    true,
    false,
  ]);
  assertEquals(once.first("c"), true); // the limit: a and b are forgotten
  assertEquals(once.size, 1);
  assertEquals(once.first("a"), true);
});

Deno.test("LogOnce.logger() prints each distinct level and message once, under the target's name", () => {
  const target = new RecordingLogger("signalling");
  const once = new LogOnce();
  const log = once.logger(target);
  assertEquals(log.name, "signalling");
  for (let frame = 0; frame < 3; frame++) {
    log.warn("x: bad");
    log.error("x: bad");
    log.info("y");
  }
  assertEquals(target.records, ["warn x: bad", "error x: bad", "info y"]);
  once.reset();
  log.warn("x: bad");
  assertEquals(target.records.length, 4);
});

Deno.test("a signalling node reports a configuration problem once, and again after a working configuration", () => {
  const printed: string[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  setLogLevel("info");
  const kind: SignallingKind<{ id: string }> = {
    name: "once_test",
    attributes: ["id"],
    configure(attrs, log) {
      const id = attrs.string("id", null);
      if (id === null) {
        log.warn(`${attrs.path}: needs id=`);
        return null;
      }
      return { id };
    },
    start: () => ({ close() {} }),
  };
  try {
    const node = new SignallingNode(kind as SignallingKind);
    // The node reads neither the context nor what its parent passes down.
    type Prepare = Parameters<SignallingNode["prepare"]>;
    const frame = (values: [string, Value][]) =>
      node.prepare(
        {} as Prepare[0],
        new Attributes("nodes[0]", new Map(values)),
        null as unknown as Prepare[2],
      );
    for (let i = 0; i < 3; i++) frame([]);
    assertEquals(printed.length, 1, printed.join("\n"));
    frame([["id", "a"]]);
    frame([["id", "b"]]);
    for (let i = 0; i < 3; i++) frame([]);
    assertEquals(printed.length, 2, printed.join("\n"));
    assertEquals(
      printed.every((line) => line.endsWith("nodes[0]: needs id=")),
      true,
    );
  } finally {
    console.error = originalError;
  }
});
