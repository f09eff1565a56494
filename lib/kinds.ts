/**
 * Registers every built-in node kind and signalling kind (import for its
 * side effect): the render nodes, `!webrtc`, `!broadcast`, `!websocket`,
 * `!whip` and `!whep`.
 *
 * @module
 */

import "./render/nodes/mod.ts";
import "./signalling/broadcast.ts";
import "./signalling/websocket.ts";
import "./signalling/whip.ts";
import "./webrtc/signalling_node.ts";
import "./webrtc/webrtc_node.ts";
