${HEADER}
in vec2 coord;
out vec4 color;
void main() {
    vec2 cell = floor(coord * 8.0);
    float light = mod(cell.x + cell.y, 2.0);
    color = vec4(vec3(0.1 + 0.6 * light), 1.0);
}
