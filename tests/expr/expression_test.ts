import {
  deepStrictEqual as assertEquals,
  ok,
  throws,
} from "node:assert/strict";
import {
  compileExpression,
  type EvaluationScope,
  ExpressionSyntaxError,
} from "../../lib/expr/expression.ts";
import {
  FlitterSymbol,
  formatValue,
  sym,
  type Value,
} from "../../lib/expr/values.ts";

/** A scope of fixed names, state and files, counting what it is asked. */
class TableScope implements EvaluationScope {
  lookups = 0;
  stateLookups = 0;
  reads: string[] = [];

  constructor(
    readonly names: Record<string, Value> = NAMES,
    readonly stateTable: Record<string, Value> = STATE,
    readonly files: Record<string, string> = FILES,
  ) {}

  lookup(name: string): Value | undefined {
    this.lookups++;
    return Object.hasOwn(this.names, name) ? this.names[name] : undefined;
  }

  state(key: Value): Value {
    this.stateLookups++;
    return this.stateTable[formatValue(key)] ?? null;
  }

  readText(path: string): string | null {
    this.reads.push(path);
    return this.files[path] ?? null;
  }
}

const NAMES: Record<string, Value> = {
  time: 2,
  x: 3,
  v: [1, 2, 3],
  s: "hi",
  key: sym("webrtc"),
  one: [7],
  none: [],
};

const STATE: Record<string, Value> = {
  ":webrtc": sym("connected"),
  ":a;1": 42,
  '"k"': "text",
  ":v": [5, 6],
};

const FILES: Record<string, string> = { "notes.txt": "Hello\nworld\n" };

function evaluate(source: string, scope = new TableScope()): Value {
  return compileExpression(source).evaluate(scope);
}

/** Cases checked with exact (deep, NaN-aware) equality. */
function exactTable(name: string, cases: [string, Value][]): void {
  Deno.test(name, () => {
    for (const [source, expected] of cases) {
      assertEquals(evaluate(source), expected, `${source}`);
    }
  });
}

/** Cases whose numbers may differ from the expected by rounding. */
function approximateTable(name: string, cases: [string, number[]][]): void {
  Deno.test(name, () => {
    for (const [source, expected] of cases) {
      const value = evaluate(source);
      const actual = typeof value === "number" ? [value] : value;
      ok(Array.isArray(actual), `${source}: ${formatValue(value)}`);
      assertEquals(actual.length, expected.length, source);
      actual.forEach((item, i) => {
        ok(
          typeof item === "number" && Math.abs(item - expected[i]) < 1e-12,
          `${source}: item ${i} is ${formatValue(item)}, expected ${
            expected[i]
          }`,
        );
      });
    }
  });
}

exactTable(
  "number literals accept decimals, exponents, underscores and SI suffixes",
  [
    ["1", 1],
    ["1.5", 1.5],
    ["1e3", 1000],
    ["2.5e-1", 0.25],
    [".5", 0.5],
    ["1_000", 1000],
    ["0123", 123],
    ["1.234_567_890e9", 1234567890],
    ["1.2_3E1_0_0_0", Infinity],
    ["10m", 10 * 1e-3],
    ["3k", 3000],
    ["2M", 2e6],
    ["4G", 4e9],
    ["1T", 1e12],
    ["5u", 5 * 1e-6],
    ["5µ", 5 * 1e-6],
    ["7n", 7 * 1e-9],
    ["2p", 2 * 1e-12],
  ],
);

exactTable("string literals take either quote and backslash escapes", [
  ["'single'", "single"],
  ['"double"', "double"],
  ["'a\\nb'", "a\nb"],
  ["'tab\\there'", "tab\there"],
  ['"say \\"hi\\""', 'say "hi"'],
  ["'it\\'s'", "it's"],
  ["'\\u00e9t\\xe9'", "été"],
  ["'back\\\\slash'", "back\\slash"],
  ["'\\q stays'", "\\q stays"],
  ["'''tri'ple'''", "tri'ple"],
  ['"""two\nlines"""', "two\nlines"],
  ["''", ""],
]);

exactTable("symbols, true, false and null are literals", [
  [":connected", sym("connected")],
  [":x'", sym("x'")],
  ["true", 1],
  ["false", 0],
  ["null", null],
]);

exactTable("semicolons compose vectors and drop nulls", [
  ["1;2;3", [1, 2, 3]],
  ["1;null;2", [1, 2]],
  ["null;null", null],
  ["null;5", 5],
  ["(1;2);(3;4)", [1, 2, 3, 4]],
  ["'a';1;:b", ["a", 1, sym("b")]],
  ["v;4", [1, 2, 3, 4]],
  ["s;' there'", ["hi", " there"]],
]);

exactTable("operators follow Flitter's precedence", [
  ["1 + 2 * 3", 7],
  ["(1 + 2) * 3", 9],
  ["2 * 3 ** 2", 18],
  ["-2 ** 2", -4],
  ["2 ** 3 ** 2", 64],
  ["2 ** -1", 0.5],
  ["-x * 2", -6],
  ["10 - 4 - 3", 3],
  ["12 / 3 / 2", 2],
  ["7 - 2 * 3 // 2", 4],
  ["x;x+1", [3, 4]],
  ["(x;x)+1", [4, 4]],
  ["1 + 2 == 3", 1],
  ["not 1 == 2", 1],
  ["not 0 and 0", 0],
  ["1 or 0 and 0", 1],
  ["0 and 1 or 2", 2],
  ["1 if 0 else 2;3", [2, 3]],
  ["1;2 if 0 else 3", [1, 3]],
  ["1 < 2 == 1", 1],
  ["0..3 + 1", [0, 1, 2, 3]],
  ["1..4 == (1;2;3)", 1],
  ["x > 2 and x < 4", 1],
  ["not not 5", 1],
  ["- - 4", 4],
  // Flitter's own parser tests: 0-((1//2)%3) + ((+4)*-(5**6))/7
  ["0-1//2%3++4*-5**6/7", -62500 / 7],
  ["(x-1)//2%3++x*(-2)**(6/3)", 1 + 12],
  ["+ -4", -4],
]);

exactTable("arithmetic broadcasts the shorter vector cyclically", [
  ["(1;2;3;4) + (10;20)", [11, 22, 13, 24]],
  ["(1;2;3) * 2", [2, 4, 6]],
  ["2 - (1;2)", [1, 0]],
  ["(1;2;3;4;5;6;7;8;9) + (1;2;3)", [2, 4, 6, 5, 7, 9, 8, 10, 12]],
  ["(1;2) + (10;20;30)", [11, 22, 31]],
  ["v * v", [1, 4, 9]],
  ["(4;9) ** 0.5", [2, 3]],
  ["-v", [-1, -2, -3]],
  ["+v", [1, 2, 3]],
]);

exactTable("arithmetic on null or anything not a number is null", [
  ["null + 1", null],
  ["1 - null", null],
  ["1 + 'a'", null],
  ["(1;'a') * 2", null],
  ["2 * (1;'a')", null],
  ["(1;2) * (3;'a')", null],
  [":a + 1", null],
  ["-'a'", null],
  ["+'a'", null],
  ["-null", null],
  ["undefined_name * 2", null],
  ["s * 2", null],
]);

exactTable("division by zero gives infinities and NaN, and // and % floor", [
  ["1 / 0", Infinity],
  ["-1 / 0", -Infinity],
  ["0 / 0", NaN],
  ["7 // 2", 3],
  ["-7 // 2", -4],
  ["7 // 0", Infinity],
  ["-7 % 3", 2],
  ["7 % -3", -2],
  ["5.5 % 2", 1.5],
  ["5 % 0", NaN],
  ["(-3..3) % 3", [0, 1, 2, 0, 1, 2]],
  ["(-3..3) // 3", [-1, -1, -1, 0, 0, 0]],
  ["(1;2) / 0", [Infinity, Infinity]],
]);

exactTable("comparisons compare whole vectors and give 1, 0 or null", [
  ["1 == 1", 1],
  ["(1;2) == (1;2)", 1],
  ["(1;2) == (1;2;3)", 0],
  ["(1;2) == 1", 0],
  [":a == :a", 1],
  [":a == :b", 0],
  [":a == 'a'", 0],
  ["'x' == 'x'", 1],
  ["'x' != 'y'", 1],
  ["null == null", 1],
  ["null == 0", 0],
  ["1 == '1'", 0],
  ["0/0 == 0/0", 0],
  ["(1;2) < (1;3)", 1],
  ["(1;2) < (1;2;0)", 1],
  ["(1;2;0) > (1;2)", 1],
  ["(2;0) > (1;9)", 1],
  ["'abc' < 'abd'", 1],
  ["1 < 'a'", null],
  ["(1;2) >= (1;'a')", null],
  ["2 >= 2", 1],
  ["3 <= 2", 0],
  ["2 < 2", 0],
  ["3 > 2", 1],
  ["null < 1", 1],
  ["key == :webrtc", 1],
  ["v == (1;2;3)", 1],
]);

exactTable("and, or and xor return operands by Flitter truthiness", [
  ["0 or 'x'", "x"],
  ["'' or null", null],
  ["(0;0) or 7", 7],
  ["(0;1) or 7", [0, 1]],
  ["2 and 3", 3],
  ["0 and 3", 0],
  ["null and 1", null],
  ["s and v", [1, 2, 3]],
  ["1 xor 0", 1],
  ["0 xor 2", 2],
  ["1 xor 2", 0],
  ["0 xor 0", 0],
  ["not null", 1],
  ["not (0;0)", 1],
  ["not (0;1)", 0],
  ["not 'a'", 0],
  ["not ''", 1],
  ["not :sym", 0],
]);

exactTable("inline if/else picks a branch, and is null without else", [
  ["1 if x > 2 else 2", 1],
  ["1 if x > 5 else 2", 2],
  ["1 if x > 5", null],
  ["'a' if null else 'b'", "b"],
  ["1 if 0 else 2 if 0 else 3", 3],
  ["1 if 0 else 2 if 1 else 3", 2],
  ["(1;0;0) if $:webrtc == :connected else (0;0;1)", [1, 0, 0]],
]);

exactTable("indexing floors, wraps around and accepts vectors of indices", [
  ["v[0]", 1],
  ["v[-1]", 3],
  ["v[3]", 1],
  ["v[1.7]", 2],
  ["v[-0.5]", 3],
  ["v[0;2]", [1, 3]],
  ["v[..2]", [1, 2]],
  ["5[..3]", [5, 5, 5]],
  ["('a';'b')[1]", "b"],
  ["null[0]", null],
  ["v[null]", null],
  ["v['a']", null],
  ["v[1/0]", null],
  ["v[0] + 1", 2],
  ["v[1][0]", 2],
  ["(v;4)[3]", 4],
]);

exactTable("ranges run from start by step up to but not including stop", [
  ["..5", [0, 1, 2, 3, 4]],
  ["1..21|5", [1, 6, 11, 16]],
  ["3..0|-1", [3, 2, 1]],
  ["0..1|0.25", [0, 0.25, 0.5, 0.75]],
  ["0..1", 0],
  ["0..0", null],
  ["1..0", null],
  ["0..3|0", null],
  ["'a'..3", null],
  ["0..(1;2)", null],
  ["1..x", [1, 2]],
  ["0..1/0", null],
  // Flitter's own range tests: the count is ceil((stop - start) / step)
  ["..9.9", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ["..10.3", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  ["0.5..10.5|1.5", [0.5, 2, 3.5, 5, 6.5, 8, 9.5]],
  ["0.5..10.5|-1.5", null],
  ["10.5..0.5|-1.5", [10.5, 9, 7.5, 6, 4.5, 3, 1.5]],
  ["10.5..0.5|-10.5", 10.5],
]);

exactTable("inline for and where bind local names as in Flitter", [
  ["x*2 for x in ..4", [0, 2, 4, 6]],
  ["(x;x*5) for x in ..3", [0, 0, 1, 5, 2, 10]],
  ["(x+y for x;y in (1;2;3;4;5))", [3, 7]],
  ["((x;y) for x;y in (1;2;3))", [1, 2, 3]],
  ["(x;y for x;y in (1;2;3))", [3, 2]],
  ["x*time for x in v", [2, 4, 6]],
  ["sum(x for x in v)", 6],
  ["(i for i in ..2) for j in ..2", [0, 1, 0, 1]],
  ["x;(y for y in ..x)", [3, 0, 1, 2]],
  ["x for x in null", null],
  ["x*x where x=10", 100],
  ["x;x*x where x=10", [3, 100]],
  ["a+b where a=1 b=a*2", 3],
  ["(a;b) where a;b=v", [1, 2]],
  ["(a;b;c) where a;b;c=(7;8)", [7, 8, 7]],
  ["(a;b;c) where a;b;c=7;8", [7, 7, 7, 8]],
  ["a;(b where a;b=v)", 2],
  ["(a;b) where a;b=null", null],
  ["x where x=x+1", 4],
  ["(v[i] for i in ..3) where v=5;6", [5, 5, 5, 6]],
  ["(v[i] for i in ..3) where v=(5;6)", [5, 6, 5]],
  ["((a;b) where b=a*2) where a=3", [3, 6]],
  ["(i*j for i in ..3) for j in 1;2", [0, 1, 2, 2]],
  ["(i*j for i in ..3) for j in (1;2)", [0, 1, 2, 0, 2, 4]],
  ["((k where k=j*10) for j in ..3)", [0, 10, 20]],
]);

Deno.test("uniform, normal and beta streams are reproducible and indexable", () => {
  const scope = new TableScope({ beat: 7.3, i: 2 });
  const first = evaluate("uniform(:x)[0]", scope);
  ok(typeof first === "number" && first >= 0 && first < 1);
  assertEquals(evaluate("uniform(:x)[0.9]", scope), first);
  assertEquals(evaluate("uniform(:x)[0;0]", scope), [first, first]);
  ok(evaluate("uniform(:x)[1]", scope) !== first);
  ok(evaluate("uniform(:y)[0]", scope) !== first);
  assertEquals(
    evaluate("uniform(:x;i)[beat]", scope),
    evaluate("uniform(:x;2.9)[7]", scope),
  );
  for (const source of ["uniform", "normal", "beta"]) {
    const values = evaluate(`${source}(:s)[-2..3]`, scope);
    ok(Array.isArray(values) && values.length === 5, source);
    assertEquals(evaluate(`${source}(:s)`, scope), null);
    assertEquals(evaluate(`${source}(null)[0]`, scope), null);
    assertEquals(evaluate(`${source}(:s)['a']`, scope), null);
  }
  ok(compileExpression("normal(:n)[..4]").isConstant);
  ok(!compileExpression("uniform(:x)[beat]").isConstant);
});

Deno.test("random streams have the documented distributions", () => {
  const n = 20000;
  const moments = (source: string) => {
    const xs = evaluate(`${source}[..${n}]`) as number[];
    const mean = xs.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n);
    let lag = 0;
    for (let i = 1; i < n; i++) lag += (xs[i] - mean) * (xs[i - 1] - mean);
    return { mean, sd, lag1: lag / (n - 1) / (sd * sd), xs };
  };
  const near = (actual: number, expected: number, tolerance: number) =>
    Math.abs(actual - expected) < tolerance;
  const uniform = moments("uniform(:u)");
  ok(uniform.xs.every((x) => x >= 0 && x < 1));
  ok(
    near(uniform.mean, 0.5, 0.01) && near(uniform.sd, Math.sqrt(1 / 12), 0.01),
  );
  ok(near(uniform.lag1, 0, 0.03), `lag-1 correlation ${uniform.lag1}`);
  const normal = moments("normal(:n)");
  ok(near(normal.mean, 0, 0.03) && near(normal.sd, 1, 0.03));
  ok(near(normal.lag1, 0, 0.03), `lag-1 correlation ${normal.lag1}`);
  const beta = moments("beta(:b)");
  ok(beta.xs.every((x) => x >= 0 && x < 1));
  ok(near(beta.mean, 0.5, 0.01) && near(beta.sd, Math.sqrt(1 / 20), 0.01));
  const other = evaluate(`uniform(:u;1)[..${n}]`) as number[];
  let cross = 0;
  for (let i = 0; i < n; i++) cross += (uniform.xs[i] - 0.5) * (other[i] - 0.5);
  ok(near(cross / n * 12, 0, 0.03), "streams of different seeds correlate");
});

exactTable("$ looks up state by the key's value", [
  ["$:webrtc", sym("connected")],
  ["$:webrtc == :connected", 1],
  ["$:webrtc == :failed", 0],
  ["$(:a;1)", 42],
  ["$'k'", "text"],
  ["$key", sym("connected")],
  ["$:missing", null],
  ["$:v[1]", 6],
  ["$:v * 2", [10, 12]],
  ["$null", null],
]);

exactTable(
  "unbound names are null; one-item and empty vectors are normalised",
  [
    ["URL", null],
    ["URL;1", 1],
    ["undefined + 1", null],
    ["time", 2],
    ["one == 7", 1],
    ["one", 7],
    ["none", null],
    ["none == null", 1],
  ],
);

exactTable("built-in maths functions work item by item", [
  ["abs(-3;4)", [3, 4]],
  ["floor(1.5;-1.5)", [1, -2]],
  ["ceil(1.2)", 2],
  ["round(2.5;-2.5;1.4)", [3, -3, 1]],
  ["fract(1.25;-0.25)", [0.25, 0.75]],
  ["sqrt(16;9)", [4, 3]],
  ["exp(0)", 1],
  ["log(1)", 0],
  ["log2(8)", 3],
  ["log10(1000)", 3],
  ["sign(-2;0;5)", [-1, 0, 1]],
  ["abs('a')", null],
  ["sqrt(null)", null],
  ["hypot(3;4)", 5],
  ["hypot(3, 4)", 5],
  ["hypot(3;30, 4;40)", [5, 50]],
  ["normalize(3;4)", [0.6, 0.8]],
  ["normalize(0;0)", null],
  ["clamp(-1;0.5;2, 0, 1)", [0, 0.5, 1]],
  ["clamp(5, 0;10, 1;20)", [1, 10]],
  ["map(0.25, 10, 20)", 12.5],
  ["map(0;1, 10, 20)", [10, 20]],
  ["mix(10, 20, 0.25)", 12.5],
]);

approximateTable("trigonometric built-ins take and give turns", [
  ["sin(0.25)", [1]],
  ["sin(0;0.25;0.75)", [0, 1, -1]],
  ["cos(0.5)", [-1]],
  ["tan(0.125)", [1]],
  ["asin(1)", [0.25]],
  ["acos(0)", [0.25]],
  ["atan(1)", [0.125]],
  ["atan2(1, 0)", [0.25]],
  ["angle(0;1)", [0.25]],
  ["angle(-1, 0)", [0.5]],
  ["angle(1;0;0;1)", [0, 0.25]],
  ["polar(0.25)", [0, 1]],
  ["polar(0;0.5)", [1, 0, -1, 0]],
  ["sin(time*0.1)*0.5+0.5;0;1", [Math.sin(0.4 * Math.PI) * 0.5 + 0.5, 0, 1]],
]);

exactTable("vector built-ins: len, sum, accumulate, min, max, zip", [
  ["len(v)", 3],
  ["len(null)", 0],
  ["len('abc')", 1],
  ["sum(v)", 6],
  ["sum(1;2;3;4, 2)", [4, 6]],
  ["sum('a')", null],
  ["sum(null)", null],
  ["accumulate(1;2;3)", [1, 3, 6]],
  ["accumulate(1;2;3;4, 2)", [1, 2, 4, 6]],
  ["min(3;1;2)", 1],
  ["max(3;1;2)", 3],
  ["min(2, 1)", 1],
  ["max(2, 7, 5)", 7],
  ["max(1;5, 3)", 3],
  ["min('b';'a')", "a"],
  ["min(null)", null],
  ["min(1;'a')", null],
  ["minindex(4, 2, 9)", 1],
  ["maxindex(3;7;5)", 1],
  ["zip(1;2, 3;4)", [1, 3, 2, 4]],
  ["zip(1;2;3;4, 0)", [1, 0, 2, 0, 3, 0, 4, 0]],
  ["zip(null, 1;2)", [1, 2]],
]);

exactTable("waveform, easing and colour built-ins match Flitter's", [
  ["sine(0;0.5;1)", [0, 1, 0]],
  ["sawtooth(1.25;-0.25)", [0.25, 0.75]],
  ["triangle(0;0.5;0.25)", [0, 1, 0.5]],
  ["square(0.25;0.75)", [0, 1]],
  ["bounce(0.5)", 1],
  ["sharkfin(0;0.5)", [0, 1]],
  ["impulse(0;0.25)", [0, 1]],
  ["impulse(0.5, 0.5)", 1],
  ["linear(-1;0.5;2)", [0, 0.5, 1]],
  ["quad(0.25;0.5;0.75)", [0.125, 0.5, 0.875]],
  ["snap(0;0.5;1)", [0, 0.5, 1]],
  ["hsv(0;1;1)", [1, 0, 0]],
  ["hsv(0;0;1)", [1, 1, 1]],
  ["hsl(0;1;0.5)", [1, 0, 0]],
  ["hsl(1;0.5)", null],
]);

exactTable("text built-ins: chr, ord, split and str", [
  ["chr(72;105)", "Hi"],
  ["ord('A')", 65],
  ["ord('Hi')", [72, 105]],
  ["split('a\\nb\\n')", ["a", "b"]],
  ["split('one')", "one"],
  ["str(1;:x;'y';2.5)", "1xy2.5"],
  ["str(null)", null],
  ["'n=';str(x)", ["n=", "3"]],
]);

exactTable("unknown functions and wrong argument counts give null", [
  ["nosuch(1)", null],
  ["sin(1, 2)", null],
  ["sin()", null],
  ["map(1, 2)", null],
]);

Deno.test("read() returns the file's text through the scope", () => {
  const scope = new TableScope();
  assertEquals(evaluate("read('notes.txt')", scope), "Hello\nworld\n");
  assertEquals(evaluate("split(read('notes.txt'))", scope), ["Hello", "world"]);
  assertEquals(evaluate("read('missing.txt')", scope), null);
  assertEquals(evaluate("read(null)", scope), null);
  assertEquals(scope.reads, ["notes.txt", "notes.txt", "missing.txt"]);
});

Deno.test("syntax errors name the problem and its 1-based column", () => {
  const cases: [string, number, string][] = [
    ["1 +", 4, "Unexpected end of expression"],
    ["(1 + 2))", 8, 'Unexpected ")"'],
    ["1 2", 3, 'Unexpected "2"'],
    ["'abc", 1, "Unterminated string"],
    ["x + 'abc\ndef'", 5, "Unterminated string"],
    ["1 @ 2", 3, 'Unexpected "@"'],
    ["", 1, "Unexpected end of expression"],
    ["   ", 4, "Unexpected end of expression"],
    ["sin(1", 6, "Unexpected end of expression"],
    ["v[1", 4, "Unexpected end of expression"],
    ["x if", 5, "Unexpected end of expression"],
    ["1 + if", 5, 'Unexpected "if"'],
    ["(x)(1)", 4, 'Expected a function name before "("'],
    [": a", 1, 'Unexpected ":"'],
    ["f(1,)", 5, 'Unexpected ")"'],
    ["1 ; ; 2", 5, 'Unexpected ";"'],
    ["x for x in", 11, "Unexpected end of expression"],
    ["x while y", 3, 'Unexpected "while"'],
    ["1 'a'", 3, "Unexpected string 'a'"],
    ["'\\x4g'", 2, 'Invalid escape "\\x4g"'],
    ["a = 1", 3, 'Unexpected "="'],
    ["2x", 2, 'Unexpected "x"'],
    ["x for 1 in v", 7, 'Unexpected "1"'],
    ["x for x v", 9, 'Unexpected "v"'],
    ["x where y", 10, "Unexpected end of expression"],
    ["x where in=1", 9, 'Unexpected "in"'],
  ];
  for (const [source, column, detail] of cases) {
    throws(() => compileExpression(source), (caught) => {
      ok(caught instanceof ExpressionSyntaxError, source);
      assertEquals(
        [caught.column, caught.detail, caught.source],
        [column, detail, source],
        source,
      );
      assertEquals(caught.message, `${detail} at column ${column}`);
      return true;
    });
  }
});

Deno.test("names, state use, file reads and constancy are detected", () => {
  const cases: [string, string[], boolean, boolean, boolean][] = [
    // source, names, usesState, readsFiles, isConstant
    ["1 + 2", [], false, false, true],
    ["'a';:b;(1..4)", [], false, false, true],
    ["time * 2", ["time"], false, false, false],
    ["sin(time) + x", ["time", "x"], false, false, false],
    ["sin(0.25) * 2", [], false, false, true],
    ["$:webrtc == :connected", [], true, false, false],
    ["$key", ["key"], true, false, false],
    ["read('a')", [], false, true, false],
    ["read('a') if 0 else 1", [], false, false, true],
    ["x if 1 else y", ["x"], false, false, false],
    ["0 and x", [], false, false, true],
    ["1 or x", [], false, false, true],
    ["x or 1", ["x"], false, false, false],
    ["nosuch(x)", [], false, false, true],
    ["URL", ["URL"], false, false, false],
    ["v[i] + v[j]", ["v", "i", "j"], false, false, false],
    ["x*2 for x in ..3", [], false, false, true],
    ["x*y for x in v", ["v", "y"], false, false, false],
    ["y where y=time", ["time"], false, false, false],
    ["x*x where x=10", [], false, false, true],
    ["(v[i] for i in ..3) where v=(5;6)", [], false, false, true],
    ["(v[i] for i in ..3) where v=time", ["time"], false, false, false],
    ["$(:k;i) for i in ..2", [], true, false, false],
  ];
  for (const [source, names, usesState, readsFiles, isConstant] of cases) {
    const expression = compileExpression(source);
    assertEquals(
      {
        source: expression.source,
        names: [...expression.names].sort(),
        usesState: expression.usesState,
        readsFiles: expression.readsFiles,
        isConstant: expression.isConstant,
      },
      { source, names: names.sort(), usesState, readsFiles, isConstant },
    );
  }
});

Deno.test("constant expressions are folded and never consult the scope", () => {
  const scope = new TableScope();
  const expression = compileExpression("sin(0.25) * 2 + len(1;2;3) ; :k");
  assertEquals(expression.evaluate(scope), [5, sym("k")]);
  assertEquals([scope.lookups, scope.stateLookups, scope.reads.length], [
    0,
    0,
    0,
  ]);
});

Deno.test("and, or and if evaluate only the operand they need", () => {
  const scope = new TableScope();
  assertEquals(evaluate("x or $:webrtc", scope), 3);
  assertEquals(evaluate("undefined and $:webrtc", scope), null);
  assertEquals(evaluate("read('notes.txt') if undefined else 1", scope), 1);
  assertEquals([scope.stateLookups, scope.reads.length], [0, 0]);
  assertEquals(evaluate("undefined or $:webrtc", scope), sym("connected"));
  assertEquals(scope.stateLookups, 1);
});

Deno.test("one compiled expression follows a changing scope", () => {
  const expression = compileExpression("sin(time*0.1)*0.5+0.5;0;1");
  const names: Record<string, Value> = { time: 0 };
  const scope = new TableScope(names);
  assertEquals(expression.evaluate(scope), [0.5, 0, 1]);
  names.time = 2.5;
  assertEquals(expression.evaluate(scope), [1, 0, 1]);
  names.time = 7.5;
  assertEquals(expression.evaluate(scope), [0, 0, 1]);
  delete names.time;
  assertEquals(expression.evaluate(scope), [0, 1]);
  const loop = compileExpression("(i*time for i in ..3) where i=5");
  names.time = 2;
  assertEquals(loop.evaluate(scope), [0, 2, 4]);
  names.time = 3;
  assertEquals(loop.evaluate(scope), [0, 3, 6]);
  const state: Record<string, Value> = {};
  const connected = compileExpression("$:webrtc == :connected");
  const stateScope = new TableScope(NAMES, state);
  assertEquals(connected.evaluate(stateScope), 0);
  state[":webrtc"] = sym("connected");
  assertEquals(connected.evaluate(stateScope), 1);
});

Deno.test("evaluation gives null instead of throwing when the scope fails", () => {
  const expression = compileExpression("x + 1");
  const value = expression.evaluate({
    lookup() {
      throw new Error("broken scope");
    },
    state: () => null,
    readText: () => null,
  });
  assertEquals(value, null);
});

/** Whether `value` keeps the Value invariants (no 0- or 1-item arrays). */
function isWellFormed(value: Value): boolean {
  const isScalar = (item: unknown) =>
    typeof item === "number" || typeof item === "string" ||
    item instanceof FlitterSymbol;
  if (value === null || isScalar(value)) return true;
  return Array.isArray(value) && value.length >= 2 && value.every(isScalar);
}

Deno.test("random token soup compiles or fails with a syntax error, and evaluates to a well-formed value", () => {
  const vocabulary = [
    "1",
    "0",
    "2.5",
    "-",
    "+",
    "*",
    "/",
    "//",
    "%",
    "**",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    "..",
    "|",
    "==",
    "<",
    ">=",
    "!=",
    "x",
    "v",
    "s",
    "key",
    "none",
    "one",
    "time",
    ":a",
    "'t'",
    "$",
    "if",
    "else",
    "and",
    "or",
    "xor",
    "not",
    "sin",
    "max",
    "zip",
    "len",
    "read",
    "hsv",
    "for",
    "in",
    "where",
    "=",
    "null",
    "true",
    "i",
  ];
  let seed = 20261125;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let compiled = 0;
  for (let n = 0; n < 4000; n++) {
    const length = 1 + Math.floor(random() * 9);
    const words: string[] = [];
    for (let i = 0; i < length; i++) {
      words.push(vocabulary[Math.floor(random() * vocabulary.length)]);
    }
    const source = words.join(" ");
    let expression;
    try {
      expression = compileExpression(source);
    } catch (error) {
      ok(error instanceof ExpressionSyntaxError, `${source}: ${error}`);
      ok(error.column >= 1 && error.column <= source.length + 1, source);
      continue;
    }
    compiled++;
    const value = expression.evaluate(new TableScope());
    ok(isWellFormed(value), `${source} gave ${formatValue(value)}`);
  }
  ok(compiled > 100, `only ${compiled} of 4000 compiled`);
});

Deno.test("random well-formed expressions compile and evaluate to well-formed values", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(list: readonly T[]): T =>
    list[Math.floor(random() * list.length)];
  const leaves = [
    "1",
    "0",
    "2.5",
    "-3",
    "x",
    "v",
    "s",
    "key",
    "none",
    "one",
    "time",
    ":a",
    "'t'",
    "null",
    "true",
    "i",
    "undefined",
    "(1;2;3)",
  ];
  const binary = [
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "and",
    "or",
    "xor",
    ";",
  ];
  const functions = [
    "sin",
    "abs",
    "len",
    "sum",
    "max",
    "min",
    "zip",
    "hypot",
    "str",
    "hsv",
    "round",
    "normalize",
    "polar",
    "split",
    "ord",
    "accumulate",
  ];
  const generate = (depth: number): string => {
    if (depth === 0) return pick(leaves);
    const a = () => `(${generate(depth - 1)})`;
    switch (Math.floor(random() * 10)) {
      case 0:
        return `${a()} ${pick(binary)} ${a()}`;
      case 1:
        return `${pick(["-", "+", "not "])}${a()}`;
      case 2:
        return `${pick(functions)}(${a()}${random() < 0.3 ? `, ${a()}` : ""})`;
      case 3:
        return `${a()}[${a()}]`;
      case 4:
        return `${a()} if ${a()}${random() < 0.5 ? ` else ${a()}` : ""}`;
      case 5:
        return `${a()} for i in ${a()}`;
      case 6:
        return `${a()} where i=${a()}`;
      case 7:
        return `$${a()}`;
      case 8:
        return `${a()}..${a()}${random() < 0.5 ? `|${a()}` : ""}`;
      default:
        return pick(leaves);
    }
  };
  for (let n = 0; n < 1500; n++) {
    const source = generate(1 + Math.floor(random() * 4));
    const expression = compileExpression(source);
    const value = expression.evaluate(new TableScope());
    ok(isWellFormed(value), `${source} gave ${formatValue(value)}`);
  }
});
