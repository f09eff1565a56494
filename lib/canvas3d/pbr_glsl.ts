/**
 * The shader program of 3D models: instanced vertices (a model matrix,
 * its normal matrix and the material per instance) and physically based
 * lighting per fragment (Cook–Torrance: GGX distribution, Smith geometry,
 * Schlick Fresnel) for the lights of a group, emissive light with
 * Flitter's directional definition, textures for material properties,
 * transparency (diffuse light only), distance fog, and the camera's
 * monochrome and tint. Output is linear, premultiplied colour.
 *
 * Diffuse light is the albedo times the light's colour times cos θ (no
 * 1/π), so a light of colour 1 shining straight at a white matt surface
 * lights it to about 1, as in Flitter; the specular term is scaled to
 * match.
 *
 * @module
 */

/** Vertex attribute locations (the model matrix takes 4, the normal matrix 3). */
export const ATTRIBUTE = {
  position: 0,
  normal: 1,
  uv: 2,
  model: 3,
  normalMatrix: 7,
  color: 10,
  emissive: 11,
  properties: 12,
  specular: 13,
} as const;

/** Floats per instance: model matrix 16, normal matrix 9, color 4, emissive 4, properties 4, specular 3. */
export const INSTANCE_FLOATS = 40;

/** Offsets (in floats) of the per-instance attributes. */
export const INSTANCE_LAYOUT = {
  model: 0,
  normalMatrix: 16,
  color: 25,
  emissive: 29,
  properties: 33,
  specular: 37,
} as const;

/** The vertex shader. */
export const VERTEX_SOURCE = `#version 330
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec2 uv;
layout(location = 3) in mat4 model_matrix;
layout(location = 7) in mat3 normal_matrix;
layout(location = 10) in vec4 instance_color;
layout(location = 11) in vec4 instance_emissive;
layout(location = 12) in vec4 instance_properties;
layout(location = 13) in vec3 instance_specular;
uniform mat4 view_projection;
out vec3 world_position;
out vec3 world_normal;
out vec2 texture_uv;
flat out vec4 material_color;
flat out vec4 material_emissive;
flat out vec4 material_properties;
flat out vec3 material_specular;
void main() {
    vec4 world = model_matrix * vec4(position, 1.0);
    world_position = world.xyz;
    world_normal = normal_matrix * normal;
    texture_uv = uv;
    material_color = instance_color;
    material_emissive = instance_emissive;
    material_properties = instance_properties;
    material_specular = instance_specular;
    gl_Position = view_projection * world;
}
`;

/** What a fragment shader is built for (parts left out cost nothing). */
export interface ShaderFeatures {
  /** How many directional lights. */
  readonly directional: number;
  /** How many point, spot and line lights (in that order in the array). */
  readonly positional: readonly [number, number, number];
  /** Which material properties come from textures (bit n: `TEXTURE_PROPERTIES[n]`). */
  readonly textures: number;
  /** Distance fog. */
  readonly fog: boolean;
  /** Grey by luminance. */
  readonly monochrome: boolean;
}

/**
 * The loop over `count` point, spot or line lights from index `first` of
 * `positional_lights`: a point's light comes from its position, a line's
 * from its nearest point, a spot's is cut to its cone.
 */
function positionalLoop(
  first: number,
  count: number,
  kind: "point" | "spot" | "line",
): string {
  if (count === 0) return "";
  const source = kind !== "line" ? "start.xyz" : `start.xyz + segment * t`;
  return `
    for (int i = ${first}; i < ${first + count}; i++) {
        vec4 c = positional_lights[i * 5];
        vec4 start = positional_lights[i * 5 + 1];${
    kind === "line"
      ? `
        vec3 segment = positional_lights[i * 5 + 2].xyz - start.xyz;
        float t = clamp(dot(world_position - start.xyz, segment) / max(dot(segment, segment), 1e-9), 0.0, 1.0);`
      : ""
  }
        vec3 toLight = ${source} - world_position;
        float distance = length(toLight);
        vec3 L = toLight / max(distance, 1e-6);
        vec4 f = positional_lights[i * 5 + 3];
        float d = max(distance - c.w, 0.0);
        vec3 radiance = c.rgb / max(f.x + d * (f.y + d * (f.z + d * f.w)), 1e-6);${
    kind === "spot"
      ? `
        float inner = positional_lights[i * 5 + 2].w;
        radiance *= clamp((dot(-L, positional_lights[i * 5 + 4].xyz) - start.w) / (inner - start.w), 0.0, 1.0);`
      : ""
  }
        shade(L, radiance);
    }`;
}

const TEXTURE_LINES = [
  "albedo = mixed(albedo, color_texture);",
  "metal = mixedLuminance(metal, metal_texture);",
  "roughness = mixedLuminance(roughness, roughness_texture);",
  "ao = mixedLuminance(ao, ao_texture);",
  "emissive = mixed(emissive, emissive_texture);",
  "transparency = mixedLuminance(transparency, transparency_texture);",
];

/**
 * The fragment shader with `features`. Each variant holds only the code it
 * needs, and loops over a known number of lights (which the compiler can
 * unroll): software renderers such as llvmpipe run both sides of a branch
 * even when a uniform decides it, and loops of a uniform length slowly, so
 * a general shader costs every fragment what the scene does not use (three
 * times the time, for one directional light, on llvmpipe).
 */
export function fragmentSource(features: ShaderFeatures): string {
  const textures = TEXTURE_LINES.filter((_, bit) =>
    (features.textures & (1 << bit)) !== 0
  ).map((line) => `    ${line}`).join("\n");
  const fog = !features.fog ? "" : `
    float fogDistance = orthographic != 0
        ? dot(world_position - view_position, view_direction)
        : length(world_position - view_position);
    float f = pow(clamp((fogDistance - fog_range.x) / (fog_range.y - fog_range.x), 0.0, 1.0), fog_range.z);
    rgb = mix(rgb, fog_color * opacity, f);`;
  const monochrome = features.monochrome
    ? "\n    rgb = vec3(luminance(rgb));"
    : "";
  const directional = features.directional;
  const [points, spots, lines] = features.positional;
  const positional = points + spots + lines;
  return `#version 330
const float PI = 3.141592653589793;
in vec3 world_position;
in vec3 world_normal;
in vec2 texture_uv;
flat in vec4 material_color;
flat in vec4 material_emissive;
flat in vec4 material_properties;
flat in vec3 material_specular;
out vec4 color;
uniform vec3 view_position;
uniform vec3 view_direction;
uniform int orthographic;
uniform vec3 ambient_light;
uniform vec3 directional_lights[${Math.max(1, directional * 2)}];
uniform vec4 positional_lights[${Math.max(1, positional * 5)}];
uniform vec3 fog_color;
uniform vec3 fog_range;
uniform vec3 tint;
uniform sampler2D color_texture;
uniform sampler2D metal_texture;
uniform sampler2D roughness_texture;
uniform sampler2D ao_texture;
uniform sampler2D emissive_texture;
uniform sampler2D transparency_texture;

vec3 N;
vec3 V;
vec3 F0;
vec3 albedo;
float metal;
float NdotV;
float a2;
float k;
float gv;
vec3 diffuse;
vec3 specular;

float luminance(vec3 c) { return dot(c, vec3(0.2126, 0.7152, 0.0722)); }

vec3 mixed(vec3 value, sampler2D source) {
    vec4 texel = texture(source, texture_uv);
    return value * (1.0 - texel.a) + texel.rgb;
}

float mixedLuminance(float value, sampler2D source) {
    vec4 texel = texture(source, texture_uv);
    return value * (1.0 - texel.a) + luminance(texel.rgb);
}

/** Adds the light arriving from direction L with colour radiance. */
void shade(vec3 L, vec3 radiance) {
    float NdotL = max(dot(N, L), 0.0);
    vec3 H = normalize(L + V);
    float NdotH = max(dot(N, H), 0.0);
    float q = NdotH * NdotH * (a2 - 1.0) + 1.0;
    float D = a2 / (PI * q * q);
    float G = gv * NdotL / (NdotL * (1.0 - k) + k);
    float m = 1.0 - max(dot(H, V), 0.0);
    float m2 = m * m;
    vec3 F = F0 + (1.0 - F0) * (m2 * m2 * m);
    diffuse += (1.0 - F) * (1.0 - metal) * albedo * radiance * NdotL;
    specular += PI * D * G * F / (4.0 * NdotV) * radiance;
}

void main() {
    albedo = material_color.rgb;
    float transparency = material_color.a;
    vec3 emissive = material_emissive.rgb;
    float ao = material_emissive.a;
    metal = material_properties.x;
    float roughness = material_properties.y;
    float ior = material_properties.z;
${textures}
    N = normalize(world_normal);
    if (!gl_FrontFacing) N = -N;
    V = orthographic != 0 ? -view_direction : normalize(view_position - world_position);
    NdotV = clamp(dot(N, V), 1e-4, 1.0);
    float r0 = (ior - 1.0) / (ior + 1.0);
    F0 = material_properties.w > 0.5 ? material_specular : vec3(r0 * r0);
    F0 = mix(F0, albedo, metal);
    float a = max(roughness * roughness, 1e-3);
    a2 = a * a;
    k = (roughness + 1.0) * (roughness + 1.0) / 8.0;
    gv = NdotV / (NdotV * (1.0 - k) + k);
    diffuse = ambient_light * ao * albedo * (1.0 - metal);
    specular = ambient_light * ao * F0 * metal;
    for (int i = 0; i < ${directional}; i++) {
        shade(-directional_lights[i * 2 + 1], directional_lights[i * 2]);
    }
${positionalLoop(0, points, "point")}${positionalLoop(points, spots, "spot")}${
    positionalLoop(points + spots, lines, "line")
  }
    float L = luminance(emissive);
    if (L > 1.0) emissive = emissive / L + NdotV * (emissive - emissive / L);
    float opacity = 1.0 - clamp(transparency, 0.0, 1.0);
    vec3 rgb = diffuse * opacity + specular + emissive;
${fog}${monochrome}
    color = vec4(rgb * tint, opacity);
}
`;
}
