/**
 * Registers every built-in node kind and signalling kind (import for its
 * side effect): the render nodes, `!canvas`, `!canvas3d` and its 3D kinds,
 * `!webrtc`, `!broadcast`, `!websocket`, `!whip` and `!whep`.
 *
 * @module
 */

import "./render/nodes/mod.ts";
import "./canvas/mod.ts";
import "./canvas3d/mod.ts";
import "./signalling/broadcast.ts";
import "./signalling/websocket.ts";
import "./signalling/whip.ts";
import "./webrtc/signalling_node.ts";
import "./webrtc/webrtc_node.ts";
