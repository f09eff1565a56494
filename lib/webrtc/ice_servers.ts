/**
 * ICE servers (STUN and TURN) from the URLs a scene gives.
 *
 * Two rigs on one network reach each other by their own addresses; across
 * the Internet, behind NAT routers, each needs to learn its public address
 * from a STUN server, and where NATs allow no direct path at all, a TURN
 * server relays the video. By default no server is used (nothing leaves the
 * local network but what the signalling sends). A scene names servers with
 * `ice=` on `!webrtc`, one URL or several:
 *
 * - `stun:HOST[:PORT]` (port 3478 by default);
 * - `turn:USER:PASSWORD@HOST[:PORT][?transport=udp|tcp]`, or `turns:` for
 *   TURN over TLS (port 5349): the user name and password go in the URL,
 *   percent-encoded where they hold `:` or `@`.
 *
 * ```ts
 * import { parseIceServers } from "./ice_servers.ts";
 * const servers = parseIceServers([
 *   "stun:stun.example.net:3478",
 *   "turn:rig:s3cret@turn.example.net?transport=udp",
 * ]);
 * // [{ urls: "stun:stun.example.net:3478" },
 * //  { urls: "turn:turn.example.net?transport=udp", username: "rig", credential: "s3cret" }]
 * ```
 *
 * @module
 */

/** One ICE server, as `RTCPeerConnection` takes it. */
export interface IceServer {
  /** The server's URL, without credentials. */
  urls: string;
  /** TURN user name. */
  username?: string;
  /** TURN password. */
  credential?: string;
}

/** A URL that does not name a STUN or TURN server in a form we understand. */
export class IceServerError extends Error {
  /**
   * Creates the error.
   *
   * @param url the URL as given
   * @param problem what is wrong with it
   */
  constructor(readonly url: string, problem: string) {
    super(`ICE server "${url}": ${problem}`);
    this.name = "IceServerError";
  }
}

const ICE_URL =
  /^(stuns?|turns?):(?:([^@/?]*)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\?transport=(?:udp|tcp))?$/;

/** Parses one URL (see the module documentation); throws {@linkcode IceServerError}. */
export function parseIceServer(url: string): IceServer {
  const match = ICE_URL.exec(url.trim());
  if (match === null) {
    throw new IceServerError(
      url,
      "expected stun:HOST[:PORT] or turn:USER:PASSWORD@HOST[:PORT][?transport=udp|tcp]",
    );
  }
  const [, scheme, userInfo, host, port, transport] = match;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) {
    throw new IceServerError(url, `port ${port} is out of range`);
  }
  const turn = scheme.startsWith("turn");
  if (!turn && (userInfo !== undefined || transport !== undefined)) {
    throw new IceServerError(
      url,
      "a STUN server takes no user name, password or transport",
    );
  }
  const plain = `${scheme}:${host}${port === undefined ? "" : `:${port}`}${
    transport ?? ""
  }`;
  if (!turn) return { urls: plain };
  const colon = userInfo?.indexOf(":") ?? -1;
  if (userInfo === undefined || colon <= 0) {
    throw new IceServerError(
      url,
      "a TURN server needs a user name and password: turn:USER:PASSWORD@HOST",
    );
  }
  try {
    return {
      urls: plain,
      username: decodeURIComponent(userInfo.slice(0, colon)),
      credential: decodeURIComponent(userInfo.slice(colon + 1)),
    };
  } catch {
    throw new IceServerError(
      url,
      "bad percent-encoding in the user name or password",
    );
  }
}

/** Parses every URL; throws {@linkcode IceServerError} at the first bad one. */
export function parseIceServers(urls: readonly string[]): IceServer[] {
  return urls.map(parseIceServer);
}

/** Whether any of `servers` is a TURN server (a relay candidate is then worth waiting for). */
export function hasTurnServer(servers: readonly IceServer[]): boolean {
  return servers.some((server) => server.urls.startsWith("turn"));
}
