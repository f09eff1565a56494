/**
 * Registers every built-in node kind and signalling kind (import for its
 * side effect).
 *
 * @module
 */

import "./render/nodes/mod.ts";
