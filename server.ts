/**
 * The WebSocket signalling server for `!websocket` endpoints:
 * `deno run -A server.ts [--host=HOST] [--port=PORT] [--certificate=PEM] …`
 * (run it with `--help` for every option).
 *
 * @module
 */

import { main } from "./lib/server/main.ts";

export { main };
export {
  type SignallingServer,
  type SignallingServerOptions,
  startSignallingServer,
} from "./lib/server/signalling_server.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
