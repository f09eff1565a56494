/**
 * Janus (Debian's `janus`, its VideoRoom plugin) behind Meetecho's
 * simple-whip-server, run in a network namespace of the caller's: a real
 * media server that takes one WHIP publish and fans it out to any number of
 * subscribers.
 *
 * simple-whip-server is a Node program; its Debian package depends on
 * Debian's `nodejs`, which conflicts with the Node the project is set up
 * with, so `scripts/setup.sh --test` unpacks the package's program into
 * `.cache/simple-whip-server/` and installs its few npm dependencies
 * (express, cors, websocket, …) next to it; it runs with the machine's Node.
 *
 * Janus's ICE (libnice) ignores loopback: run it in a namespace with an
 * addressed veth ({@linkcode createVethNamespace}); `ice_enforce_list`
 * keeps it on that link.
 *
 * @module
 */

import { join } from "node:path";
import { isInstalled, LoggedProcess } from "./_logged_process.ts";
import { runCommand, type VethNamespace } from "./_veth_netns.ts";

/** Where setup puts simple-whip-server. */
export const SIMPLE_WHIP_SERVER = new URL(
  "../../.cache/simple-whip-server/",
  import.meta.url,
).pathname;

/** Janus's plugin folders (Debian's layout). */
const JANUS_LIBRARIES = "/usr/lib/x86_64-linux-gnu/janus";

/** The VideoRoom room the WHIP endpoint publishes into. */
export const JANUS_ROOM = 1234;

/** Why Janus with simple-whip-server cannot run here, or `undefined`. */
export async function janusUnavailable(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "building a network namespace needs root";
  if (!await isInstalled("ip", ["-V"])) {
    return "the ip command is not installed";
  }
  if (!await isInstalled("janus", ["--version"])) {
    return "janus is not installed (apt-get install janus)";
  }
  if (!await isInstalled("node")) return "node is not installed";
  try {
    await Deno.stat(join(SIMPLE_WHIP_SERVER, "node_modules", "express"));
    await Deno.stat(join(SIMPLE_WHIP_SERVER, "src", "server.js"));
  } catch {
    return "simple-whip-server is not unpacked in .cache/ (run scripts/setup.sh --test)";
  }
  return undefined;
}

/** Janus's configuration: only the VideoRoom plugin and the HTTP and WebSocket transports, on loopback. */
async function writeConfig(folder: string, link: string) {
  const plugins = join(folder, "plugins");
  const transports = join(folder, "transports");
  const none = join(folder, "none");
  for (const made of [plugins, transports, none]) await Deno.mkdir(made);
  await Deno.symlink(
    `${JANUS_LIBRARIES}/plugins/libjanus_videoroom.so`,
    join(plugins, "libjanus_videoroom.so"),
  );
  for (const transport of ["http", "websockets"]) {
    await Deno.symlink(
      `${JANUS_LIBRARIES}/transports/libjanus_${transport}.so`,
      join(transports, `libjanus_${transport}.so`),
    );
  }
  const files: Record<string, string> = {
    "janus.jcfg": `general: {
  configs_folder = "${folder}"
  plugins_folder = "${plugins}"
  transports_folder = "${transports}"
  events_folder = "${none}"
  loggers_folder = "${none}"
  debug_level = 4
}
media: { rtp_port_range = "20000-40000" }
nat: { ice_enforce_list = "${link}" }
`,
    "janus.plugin.videoroom.jcfg": `general: {}
room-${JANUS_ROOM}: {
  description = "fan-out"
  publishers = 1
  bitrate = 0
  fir_freq = 2
  videocodec = "vp8"
}
`,
    "janus.transport.websockets.jcfg": `general: {
  ws = true
  ws_port = 8188
  ws_ip = "127.0.0.1"
  wss = false
}
admin: { admin_ws = false }
`,
    "janus.transport.http.jcfg": `general: {
  base_path = "/janus"
  http = true
  port = 8088
  ip = "127.0.0.1"
  https = false
}
admin: { admin_http = false }
`,
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(folder, name), text);
  }
}

/** Janus and simple-whip-server, running in one namespace. */
export class JanusWhip {
  /** The WHIP endpoint a rig publishes to (`!whip url=`). */
  readonly whipUrl = "http://127.0.0.1:7080/whip/endpoint/rig";
  /** Janus's HTTP API, for subscribers. */
  readonly janusUrl = "http://127.0.0.1:8088/janus";

  private constructor(
    readonly janus: LoggedProcess,
    readonly whipServer: LoggedProcess,
  ) {}

  /**
   * Starts both in `net` (configuration in `folder`, which must exist and
   * be empty) and creates the WHIP endpoint `rig` on room
   * {@linkcode JANUS_ROOM}.
   */
  static async start(net: VethNamespace, folder: string): Promise<JanusWhip> {
    const link = await vethLink(net);
    await writeConfig(folder, link);
    const janus = new LoggedProcess("janus", [
      "-C",
      join(folder, "janus.jcfg"),
      "-F",
      folder,
      "-i",
      net.address,
    ], { netns: net.name });
    let whipServer: LoggedProcess | undefined;
    try {
      await janus.waitFor(/Websockets server started/i, "Janus's WebSockets");
      await janus.waitFor(/HTTP webserver started/, "Janus's HTTP API");
      whipServer = new LoggedProcess("node", ["src/server.js"], {
        netns: net.name,
        cwd: SIMPLE_WHIP_SERVER,
        env: { DEBUG: "whip:*", DEBUG_COLORS: "0", NO_COLOR: "1" },
      });
      await whipServer.waitFor(
        /WHIP REST API listening/,
        "simple-whip-server",
      );
      await inNamespace(
        net,
        `const response = await fetch("http://127.0.0.1:7080/whip/create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: "rig", room: ${JANUS_ROOM} }),
        });
        if (response.status !== 200) {
          throw new Error("create: " + response.status + " " + await response.text());
        }`,
      );
    } catch (error) {
      await whipServer?.stop();
      await janus.stop();
      throw error;
    }
    return new JanusWhip(janus, whipServer);
  }

  /** Both programs' output, for failure messages. */
  describe(): string {
    return `--- janus:\n${this.janus.output.slice(-3000)}\n` +
      `--- simple-whip-server:\n${this.whipServer.output.slice(-3000)}`;
  }

  /** Stops both. */
  async stop(): Promise<void> {
    await this.whipServer.stop();
    await this.janus.stop();
  }
}

/** The name of the namespace's addressed veth link. */
async function vethLink(net: VethNamespace): Promise<string> {
  const line =
    (await runCommand("ip", "-n", net.name, "-o", "-4", "addr", "show"))
      .split("\n").find((entry) => entry.includes(`${net.address}/`));
  const name = line?.trim().split(/\s+/)[1];
  if (!name) throw new Error(`no link with ${net.address} in ${net.name}`);
  return name;
}

/** Runs a bit of JavaScript with Deno inside the namespace. */
async function inNamespace(net: VethNamespace, code: string): Promise<void> {
  await runCommand(
    "ip",
    "netns",
    "exec",
    net.name,
    Deno.execPath(),
    "eval",
    code,
  );
}
