/**
 * The shader program of 3D models: instanced vertices (a model matrix,
 * its normal matrix and the material per instance) and physically based
 * lighting per fragment (Cook–Torrance: GGX distribution, Smith geometry,
 * Schlick Fresnel) for up to `MAX_LIGHTS` lights, emissive light with
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

/** The fragment shader for up to `maxLights` lights. */
export function fragmentSource(maxLights: number): string {
  return `#version 330
#define MAX_LIGHTS ${maxLights}
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
uniform int light_count;
uniform vec4 lights[MAX_LIGHTS * 4];
uniform float light_inner[MAX_LIGHTS];
uniform vec3 fog_color;
uniform vec3 fog_range;
uniform int monochrome;
uniform vec3 tint;
uniform int textured;
uniform sampler2D color_texture;
uniform sampler2D metal_texture;
uniform sampler2D roughness_texture;
uniform sampler2D ao_texture;
uniform sampler2D emissive_texture;
uniform sampler2D transparency_texture;

float luminance(vec3 c) { return dot(c, vec3(0.2126, 0.7152, 0.0722)); }

vec3 mixed(vec3 value, sampler2D source) {
    vec4 texel = texture(source, texture_uv);
    return value * (1.0 - texel.a) + texel.rgb;
}

float mixedLuminance(float value, sampler2D source) {
    vec4 texel = texture(source, texture_uv);
    return value * (1.0 - texel.a) + luminance(texel.rgb);
}

float falloff(vec4 k, float d) {
    return 1.0 / max(k.x + d * (k.y + d * (k.z + d * k.w)), 1e-6);
}

void main() {
    vec3 albedo = material_color.rgb;
    float transparency = material_color.a;
    vec3 emissive = material_emissive.rgb;
    float ao = material_emissive.a;
    float metal = material_properties.x;
    float roughness = material_properties.y;
    float ior = material_properties.z;
    if (textured != 0) {
        if ((textured & 1) != 0) albedo = mixed(albedo, color_texture);
        if ((textured & 2) != 0) metal = mixedLuminance(metal, metal_texture);
        if ((textured & 4) != 0) roughness = mixedLuminance(roughness, roughness_texture);
        if ((textured & 8) != 0) ao = mixedLuminance(ao, ao_texture);
        if ((textured & 16) != 0) emissive = mixed(emissive, emissive_texture);
        if ((textured & 32) != 0) transparency = mixedLuminance(transparency, transparency_texture);
    }
    vec3 N = normalize(world_normal);
    if (!gl_FrontFacing) N = -N;
    vec3 V = orthographic != 0 ? -view_direction : normalize(view_position - world_position);
    float NdotV = clamp(dot(N, V), 1e-4, 1.0);
    float r0 = (ior - 1.0) / (ior + 1.0);
    vec3 F0 = material_properties.w > 0.5 ? material_specular : vec3(r0 * r0);
    F0 = mix(F0, albedo, metal);
    float a = max(roughness * roughness, 1e-3);
    float a2 = a * a;
    float k = (roughness + 1.0) * (roughness + 1.0) / 8.0;
    float gv = NdotV / (NdotV * (1.0 - k) + k);
    vec3 diffuse = vec3(0.0);
    vec3 specular = vec3(0.0);
    for (int i = 0; i < light_count; i++) {
        vec4 c = lights[i * 4];
        vec4 p = lights[i * 4 + 1];
        vec4 d = lights[i * 4 + 2];
        int type = int(c.w + 0.5);
        vec3 radiance = c.rgb;
        if (type == 0) {
            diffuse += radiance * ao * albedo * (1.0 - metal);
            specular += radiance * ao * F0 * metal;
            continue;
        }
        vec3 L;
        if (type == 1) {
            L = -d.xyz;
        } else {
            vec3 source = p.xyz;
            if (type == 4) {
                vec3 segment = d.xyz - p.xyz;
                float t = clamp(dot(world_position - p.xyz, segment) / max(dot(segment, segment), 1e-9), 0.0, 1.0);
                source = p.xyz + segment * t;
            }
            vec3 toLight = source - world_position;
            float distance = length(toLight);
            L = toLight / max(distance, 1e-6);
            radiance *= falloff(lights[i * 4 + 3], max(distance - p.w, 0.0));
            if (type == 3) {
                float cosine = dot(-L, d.xyz);
                float inner = max(light_inner[i], d.w + 1e-4);
                radiance *= clamp((cosine - d.w) / (inner - d.w), 0.0, 1.0);
            }
        }
        float NdotL = dot(N, L);
        if (NdotL <= 0.0) continue;
        vec3 H = normalize(L + V);
        float NdotH = max(dot(N, H), 0.0);
        float q = NdotH * NdotH * (a2 - 1.0) + 1.0;
        float D = a2 / (PI * q * q);
        float G = gv * NdotL / (NdotL * (1.0 - k) + k);
        vec3 F = F0 + (1.0 - F0) * pow(1.0 - max(dot(H, V), 0.0), 5.0);
        diffuse += (1.0 - F) * (1.0 - metal) * albedo * radiance * NdotL;
        specular += PI * D * G * F / (4.0 * NdotV) * radiance;
    }
    float L = luminance(emissive);
    if (L > 1.0) emissive = emissive / L + NdotV * (emissive - emissive / L);
    float opacity = 1.0 - clamp(transparency, 0.0, 1.0);
    vec3 rgb = diffuse * opacity + specular + emissive;
    if (fog_range.y > fog_range.x) {
        float distance = orthographic != 0
            ? dot(world_position - view_position, view_direction)
            : length(world_position - view_position);
        float f = pow(clamp((distance - fog_range.x) / (fog_range.y - fog_range.x), 0.0, 1.0), fog_range.z);
        rgb = mix(rgb, fog_color * opacity, f);
    }
    if (monochrome != 0) rgb = vec3(luminance(rgb));
    color = vec4(rgb * tint, opacity);
}
`;
}
