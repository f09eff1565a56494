/**
 * GLSL sources of the built-in programs: Flitter's compositing functions
 * and generators for the default shaders, which depend on how many child
 * images a node has (Flitter builds these from templates).
 *
 * All colours are linear with premultiplied alpha.
 *
 * @module
 */

/** Composite modes of `composite=`. */
export const COMPOSITE_MODES = [
  "over",
  "dest_over",
  "lighten",
  "darken",
  "add",
  "difference",
  "multiply",
] as const;

/** One of {@linkcode COMPOSITE_MODES}. */
export type CompositeMode = typeof COMPOSITE_MODES[number];

/** Whether `name` is a composite mode. */
export function isCompositeMode(name: string): name is CompositeMode {
  return (COMPOSITE_MODES as readonly string[]).includes(name);
}

/** `composite_<mode>(s, d)`: `s` is the later child, `d` what is below it. */
export const COMPOSITE_FUNCTIONS = `
vec4 composite_over(vec4 s, vec4 d) { return s + d * (1.0 - s.a); }
vec4 composite_dest_over(vec4 s, vec4 d) { return s * (1.0 - d.a) + d; }
vec4 composite_lighten(vec4 s, vec4 d) { return max(s, d); }
vec4 composite_darken(vec4 s, vec4 d) { return min(s, d); }
vec4 composite_add(vec4 s, vec4 d) { return vec4(s.rgb + d.rgb, min(s.a + d.a, 1.0)); }
vec4 composite_difference(vec4 s, vec4 d) { return vec4(abs(d.rgb - s.rgb), max(s.a, d.a)); }
vec4 composite_multiply(vec4 s, vec4 d) { return s * d; }
`;

/** Sampler declarations `uniform sampler2D texture0; …`. */
function samplers(count: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += `uniform sampler2D texture${i};\n`;
  return text;
}

/**
 * Statements that composite `count` children sampled at `point` into
 * `vec4 merged` (transparent with no children).
 */
function mergeStatements(
  count: number,
  mode: CompositeMode,
  point: string,
): string {
  if (count === 0) return "    vec4 merged = vec4(0.0);\n";
  let text = `    vec4 merged = texture(texture0, ${point});\n`;
  for (let i = 1; i < count; i++) {
    text +=
      `    merged = composite_${mode}(texture(texture${i}, ${point}), merged);\n`;
  }
  return text;
}

/** Flitter's default program: composite the children, then gamma and alpha. */
export function compositeFragmentSource(
  count: number,
  mode: CompositeMode,
): string {
  return `\${HEADER}
in vec2 coord;
out vec4 color;
uniform float alpha;
uniform float gamma;
${samplers(count)}${COMPOSITE_FUNCTIONS}
void main() {
${mergeStatements(count, mode, "coord")}    merged *= alpha;
    color = gamma == 1.0 ? merged : pow(max(merged, vec4(0.0)), vec4(gamma));
}
`;
}

/**
 * `!transform`: the children composited at the point that `transform_matrix`
 * (output pixels from the centre → input pixels from the centre) gives.
 */
export function transformFragmentSource(
  count: number,
  mode: CompositeMode,
): string {
  return `\${HEADER}
in vec2 coord;
out vec4 color;
uniform mat3 transform_matrix;
uniform vec2 size;
uniform float alpha;
${samplers(count)}${COMPOSITE_FUNCTIONS}
void main() {
    vec3 p = transform_matrix * vec3((coord - 0.5) * size, 1.0);
    vec2 point = p.xy / p.z / size + 0.5;
${mergeStatements(count, mode, "point")}    color = merged * alpha;
}
`;
}

/**
 * `!feedback` (Flitter's formula): over `timebase` beats the previous output
 * keeps `mixer` of its weight and is scaled by `scale`, rotated clockwise by
 * `rotate` turns and moved by `translate` pixels (canvas axes: y down); the
 * rest is the children's composite (brightened by `glow`).
 */
export function feedbackFragmentSource(
  count: number,
  mode: CompositeMode,
): string {
  return `\${HEADER}
const float Tau = 6.283185307179586;
in vec2 coord;
out vec4 color;
uniform float alpha;
uniform vec2 size;
uniform float delta;
uniform float mixer;
uniform float timebase;
uniform float glow;
uniform vec2 translate;
uniform vec2 scale;
uniform float rotate;
uniform sampler2D last;
${samplers(count)}${COMPOSITE_FUNCTIONS}
void main() {
${
    mergeStatements(count, mode, "coord")
  }    float t = timebase > 0.0 ? delta / timebase : 0.0;
    float th = Tau * rotate * t;
    float c = cos(th), s = sin(th);
    vec2 p = (coord - 0.5) * size / pow(scale, vec2(t));
    p *= mat2(c, -s, s, c);
    p -= translate * vec2(t, -t);
    float k = mixer > 0.0 ? pow(mixer, t) : 0.0;
    color = mix(merged * (1.0 + glow), texture(last, p / size + 0.5), k) * alpha;
}
`;
}

/**
 * `!image`: draws an uploaded image (rows top-down, straight alpha, sRGB
 * texture) upright into a target, premultiplying alpha; `flip` mirrors x/y.
 */
export const IMAGE_FRAGMENT_SOURCE = `\${HEADER}
in vec2 coord;
out vec4 color;
uniform sampler2D image;
uniform vec2 flip;
void main() {
    vec2 p = vec2(flip.x > 0.5 ? 1.0 - coord.x : coord.x, flip.y > 0.5 ? coord.y : 1.0 - coord.y);
    vec4 c = texture(image, p);
    color = vec4(c.rgb * c.a, c.a);
}
`;
