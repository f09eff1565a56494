/**
 * The signalling server's command: parses options, reads the certificate,
 * binds, drops privileges, prints the URL and runs until SIGINT or SIGTERM.
 * Used by `server.ts`, `cli.ts serve` and the compiled `flitter_webrtc`.
 *
 * @module
 */

import { getLogger } from "../log/logger.ts";
import { applyLogSettings } from "../log/log_flags.ts";
import { parseServerArgs, SERVER_USAGE, ServerArgsError } from "./args.ts";
import { ServerError, startSignallingServer } from "./signalling_server.ts";
import { dropPrivileges, resolveIdentity } from "./privileges.ts";
import { certificatesFromPem, privateKeyFromPem } from "./pem.ts";

const log = getLogger("server");

function readPem(option: "certificate" | "key", path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new ServerError(
      `--${option}: cannot read "${path}": ${(error as Error).message}`,
    );
  }
  const found = option === "key"
    ? privateKeyFromPem(text)
    : certificatesFromPem(text);
  if (found === null) {
    const block = option === "key" ? "PRIVATE KEY" : "CERTIFICATE";
    throw new ServerError(`--${option}: "${path}" holds no PEM ${block} block`);
  }
  return text;
}

/** The token in `path`: its first line, trimmed. */
function readToken(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new ServerError(
      `--token-file: cannot read "${path}": ${(error as Error).message}`,
    );
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ServerError(
      `--token-file: the first line of "${path}" must be the token (printable ASCII, no spaces)`,
    );
  }
  return token;
}

/**
 * Runs the signalling server with command-line `args` until SIGINT or
 * SIGTERM (or `signal` aborts). Returns the exit code: 0 after a clean
 * stop, 1 when the server could not start, 2 for a bad command line.
 */
export async function main(
  args: string[],
  signal?: AbortSignal,
): Promise<number> {
  let options;
  try {
    options = parseServerArgs(args);
  } catch (error) {
    if (!(error instanceof ServerArgsError)) throw error;
    console.error(`flitter_webrtc: ${error.message}\n\n${SERVER_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(SERVER_USAGE);
    return 0;
  }
  applyLogSettings(options.log);

  let server;
  let token: string | undefined;
  try {
    const identity = resolveIdentity(options.user, options.group);
    const certificate = options.certificate === undefined
      ? undefined
      : readPem("certificate", options.certificate);
    const key = options.key === undefined
      ? undefined
      : readPem("key", options.key);
    token = options.tokenFile === undefined
      ? options.token
      : readToken(options.tokenFile);
    server = await startSignallingServer({
      host: options.host,
      port: options.port,
      certificate,
      key,
      idleTimeout: options.idleTimeout,
      token,
      whipTimeout: options.whipTimeout,
      page: options.page,
      log,
    });
    if (identity !== null) {
      try {
        const { supplementaryGroupsCleared } = dropPrivileges(identity);
        log.info(`Running as ${identity.label}`);
        if (!supplementaryGroupsCleared) {
          log.warn(
            "Could not clear supplementary groups (needs FFI permission and libc)",
          );
        }
      } catch (error) {
        await server.close();
        throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof ServerError)) throw error;
    log.error(error.message);
    return 1;
  }

  // Listening for Ctrl-C before saying so: a signal right after the line
  // below still stops the server cleanly.
  const stop = () => void server.close();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, stop);
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  log.info(`Signalling server listening on ${server.url}`);
  const http = server.url.replace(/^ws/, "http");
  if (options.page) log.info(`Browser page at ${http}`);
  log.info(
    `WHIP and WHEP at ${http}whip/ROOM/ID and ${http}whep/ROOM/ID (${
      token === undefined ? "open to anyone: no --token" : "with a token"
    })`,
  );
  try {
    await server.finished;
    log.info("Signalling server stopped");
  } finally {
    // Only now: a second Ctrl-C (a terminal's, and the one `deno task`
    // may pass on) must not find the process without a listener while it
    // still has something to say.
    for (const name of signals) Deno.removeSignalListener(name, stop);
    signal?.removeEventListener("abort", stop);
  }
  return 0;
}
