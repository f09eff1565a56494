/**
 * Command-line options of the signalling server (`server.ts`, `cli.ts
 * serve`), the same as the original `flitter_webrtc` server's plus
 * `--idle-timeout=` and the WHIP/WHEP and page options (`--token=`,
 * `--token-file=`, `--whip-timeout=`, `--no-page`). The logging flags are read by the parser that `run`
 * uses too (`lib/log/log_flags.ts`), with the same rules.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  LOG_FLAG_OPTIONS,
  type LogSettings,
  logSettingsFromTokens,
} from "../log/log_flags.ts";

/** Usage text for `--help` and errors. */
export const SERVER_USAGE = `Usage: flitter_webrtc [options]

Runs the WebSocket signalling server for !websocket endpoints.

Options:
  --trace | --debug | --verbose | --quiet
                       logging level, one of them (default: info)
  --host=HOST          interface to listen on (default: any IPv4 address)
  --port=PORT          port (default: 8080, or 8443 with a certificate)
  --certificate=FILE   PEM certificate file; clients then use https:/wss:
  --key=FILE           PEM private key (default: the key in the certificate file)
  --user=USER          user to run as after binding (needs root)
  --group=GROUP        group to run as after binding (needs root)
  --idle-timeout=SECS  drop clients that do not answer pings (default: 30)
  --token=TOKEN        bearer token WHIP/WHEP clients must send (default: none,
                       WHIP and WHEP are open to anyone who can reach the server)
  --token-file=FILE    read the token from FILE (its first line)
  --whip-timeout=SECS  how long a WHIP/WHEP offer waits for the rig's answer
                       (default: 15)
  --no-page            do not serve the browser page at /
  --help               show this text
`;

/** Parsed server options. */
export interface ServerArgs {
  /** What the logging flags ask for. */
  log: LogSettings;
  /** `--host=` (undefined: any address). */
  host?: string;
  /** `--port=` (undefined: the default for the TLS mode). */
  port?: number;
  /** `--certificate=` file path. */
  certificate?: string;
  /** `--key=` file path. */
  key?: string;
  /** `--user=` name or number. */
  user?: string;
  /** `--group=` name or number. */
  group?: string;
  /** `--idle-timeout=` in seconds. */
  idleTimeout?: number;
  /** `--token=` (undefined: none given). */
  token?: string;
  /** `--token-file=` path. */
  tokenFile?: string;
  /** `--whip-timeout=` in seconds. */
  whipTimeout?: number;
  /** Serve the browser page (`false` with `--no-page`). */
  page: boolean;
  /** `--help` was given. */
  help: boolean;
}

/** A command line the server cannot use; the message is for the user. */
export class ServerArgsError extends Error {
  /**
   * Creates the error.
   * @param message what is wrong, for the user
   */
  constructor(message: string) {
    super(message);
    this.name = "ServerArgsError";
  }
}

function number(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  integer: boolean,
) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (
    text.trim() === "" || !Number.isFinite(value) || value < min ||
    value > max || (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? "an integer" : "a number";
    throw new ServerArgsError(
      `--${name}: expected ${kind} from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

function text(name: string, value: string | undefined): string | undefined {
  if (value === "") throw new ServerArgsError(`--${name}: needs a value`);
  return value;
}

/**
 * Parses the server's options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServerArgs } from "./args.ts";
 * const args = parseServerArgs(["--debug", "--port=9000"]);
 * assert.deepEqual([args.log.level, args.port], ["debug", 9000]);
 * ```
 *
 * @throws {ServerArgsError} for unknown options, stray arguments and bad values
 */
export function parseServerArgs(args: readonly string[]): ServerArgs {
  let parsed;
  let log: LogSettings;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: {
        ...LOG_FLAG_OPTIONS,
        host: { type: "string" },
        port: { type: "string" },
        certificate: { type: "string" },
        key: { type: "string" },
        user: { type: "string" },
        group: { type: "string" },
        "idle-timeout": { type: "string" },
        token: { type: "string" },
        "token-file": { type: "string" },
        "whip-timeout": { type: "string" },
        "no-page": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    log = logSettingsFromTokens(parsed.tokens);
  } catch (error) {
    throw new ServerArgsError((error as Error).message);
  }
  const values = parsed.values;
  const key = text("key", values.key);
  const certificate = text("certificate", values.certificate);
  if (key !== undefined && certificate === undefined) {
    throw new ServerArgsError("--key= needs --certificate=");
  }
  const token = text("token", values.token);
  const tokenFile = text("token-file", values["token-file"]);
  if (token !== undefined && tokenFile !== undefined) {
    throw new ServerArgsError("give --token= or --token-file=, not both");
  }
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new ServerArgsError(
      "--token: use printable ASCII without spaces (it goes in an HTTP header)",
    );
  }
  return {
    log,
    host: text("host", values.host),
    port: number("port", values.port, 0, 65535, true),
    certificate,
    key,
    user: text("user", values.user),
    group: text("group", values.group),
    idleTimeout: number(
      "idle-timeout",
      values["idle-timeout"],
      0.1,
      86400,
      false,
    ),
    token,
    tokenFile,
    whipTimeout: number(
      "whip-timeout",
      values["whip-timeout"],
      0.1,
      3600,
      false,
    ),
    page: values["no-page"] !== true,
    help: values.help === true,
  };
}
