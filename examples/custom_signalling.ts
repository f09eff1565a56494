/**
 * A signalling kind added from a script: `!folder` carries the offer and the
 * answer as files in a shared folder (two rigs on one machine, or a network
 * share). It shows the whole plugin API: register a kind, then scenes use it
 * inside `!webrtc` like the built-in `!broadcast` and `!websocket`.
 *
 *   deno run -A examples/custom_signalling.ts run examples/folder_answer.toml
 *   deno run -A examples/custom_signalling.ts run examples/folder_call.toml
 *
 * (Run each inside a loopback-only network namespace on a test machine; see
 * the README.)
 *
 * @module
 */

import { join } from "node:path";
import {
  type Attributes,
  type ConnectionState,
  type Logger,
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
} from "../mod.ts";
import { main } from "../cli.ts";

/** What a `!folder` node asks for. */
interface FolderConfig {
  folder: string;
  role: "call" | "answer";
  id: string;
}

const POLL_MS = 100;

/** Writes `text` to `path` atomically (readers never see half a file). */
async function writeAtomically(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, text);
  await Deno.rename(`${path}.tmp`, path);
}

/** Reads and removes `path`; `null` while it does not exist. */
async function take(path: string): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(path);
    await Deno.remove(path);
    return text;
  } catch {
    return null;
  }
}

class FolderSignalling implements Signalling {
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(
    readonly config: FolderConfig,
    readonly session: PeerSession,
    readonly log: Logger,
  ) {
    // A failed or closed call starts signalling again at once.
    this.#unsubscribe = session.onConnectionStateChange(
      (state: ConnectionState | null) => {
        if (state === "failed" || state === "closed") this.#loop();
      },
    );
    this.#loop();
  }

  async #loop(): Promise<void> {
    const { folder, role, id } = this.config;
    const offerFile = join(folder, `${id}.offer`);
    const answerFile = join(folder, `${id}.answer`);
    try {
      if (role === "call") {
        await writeAtomically(offerFile, await this.session.createOffer());
        this.log.info(`!folder: offer for "${id}" written to ${folder}`);
        let answer: string | null = null;
        while (!this.#closed && (answer = await take(answerFile)) === null) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        if (answer !== null) await this.session.acceptAnswer(answer);
      } else {
        let offer: string | null = null;
        while (!this.#closed && (offer = await take(offerFile)) === null) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        if (offer !== null) {
          await writeAtomically(
            answerFile,
            await this.session.acceptOffer(offer),
          );
          this.log.info(`!folder: answered "${id}"`);
        }
      }
    } catch (error) {
      this.log.warn(`!folder: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }
}

/** The `folder` signalling kind: `!folder path=DIR call=ID` or `answer=ID`. */
export const folderSignalling: SignallingKind<FolderConfig> = {
  name: "folder",
  attributes: ["path", "call", "answer"],
  configure(attrs: Attributes, log: Logger): FolderConfig | null {
    const folder = attrs.string("path", null);
    const call = attrs.string("call", null);
    const answer = attrs.string("answer", null);
    if (folder === null || (call === null && answer === null)) {
      log.warn(`${attrs.path}: !folder needs path= and call= or answer=`);
      return null;
    }
    return call !== null
      ? { folder, role: "call", id: call }
      : { folder, role: "answer", id: answer! };
  },
  start(config, session, log): Signalling {
    return new FolderSignalling(config, session, log);
  },
};

registerSignallingKind(folderSignalling);

if (import.meta.main) Deno.exit(await main(Deno.args));
