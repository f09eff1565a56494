${HEADER}
in vec2 coord;
out vec4 color;
uniform float time;
void main() { color = vec4(coord, 0.5 + 0.5 * sin(time), 1.0); }
