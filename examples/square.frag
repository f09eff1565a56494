${HEADER}
in vec2 coord;
out vec4 color;
uniform vec2 size;
uniform vec3 tint;
uniform float side;
void main() {
    vec2 p = abs(coord - 0.5) * size;
    float inside = step(max(p.x, p.y), side / 2.0);
    color = vec4(tint, 1.0) * inside;
}
