import assert from "node:assert/strict";
import { FasterPath } from "../../lib/webrtc/faster_path.ts";

function run(costs: Record<"cpu" | "gpu", number[]>, samples = 3) {
  const choice = new FasterPath<"cpu" | "gpu">(["cpu", "gpu"], samples);
  const taken: string[] = [];
  const used = { cpu: 0, gpu: 0 };
  let decided: string | null = null;
  for (let call = 0; call < 20 && decided === null; call++) {
    const path = choice.next();
    taken.push(path);
    decided = choice.record(path, costs[path][used[path]++]);
  }
  return { choice, taken, decided };
}

Deno.test("FasterPath alternates, skips each path's first call, then keeps the lower median", () => {
  // gpu's first call is slow (compiling); it is still the faster path.
  const { choice, taken, decided } = run({
    cpu: [1, 2, 2, 2],
    gpu: [50, 1, 1, 9],
  });
  assert.deepEqual(taken, [
    "cpu",
    "gpu",
    "cpu",
    "gpu",
    "cpu",
    "gpu",
    "cpu",
    "gpu",
  ]);
  assert.equal(decided, "gpu");
  assert.equal(choice.chosen, "gpu");
  assert.equal(choice.next(), "gpu");
  assert.deepEqual(choice.medians(), { cpu: 2, gpu: 1 });
  assert.equal(choice.record("cpu", 0), null, "a decision is kept");
  assert.equal(choice.chosen, "gpu");
});

Deno.test("FasterPath keeps the first path on a tie and when it is faster", () => {
  assert.equal(run({ cpu: [5, 3, 3, 3], gpu: [5, 3, 3, 3] }).decided, "cpu");
  assert.equal(run({ cpu: [9, 1, 8, 1], gpu: [1, 2, 2, 2] }).decided, "cpu");
});
