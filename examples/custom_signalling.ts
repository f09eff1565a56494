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
  formatProblem,
  type Logger,
  type PeerSession,
  registerSignallingKind,
  type Signalling,
  type SignallingKind,
  writeFileAtomic,
} from "../mod.ts";
import { main } from "../cli.ts";

/** What a `!folder` node asks for. */
interface FolderConfig {
  folder: string;
  role: "call" | "answer";
  id: string;
}

const POLL_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const encoder = new TextEncoder();

/** Writes `text` to `path` atomically (readers never see half a file). */
async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, encoder.encode(text));
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

/**
 * One running `!folder` signalling. The answerer answers every offer that
 * appears, also during a call (a restarted caller gets through at once);
 * the caller removes any stale answer, writes its offer, applies the answer,
 * and offers again when the call fails or closes.
 */
class FolderSignalling implements Signalling {
  #closed = false;
  readonly #done: Promise<void>;

  constructor(
    readonly config: FolderConfig,
    readonly session: PeerSession,
    readonly log: Logger,
  ) {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    const { folder, role, id } = this.config;
    const offerFile = join(folder, `${id}.offer`);
    const answerFile = join(folder, `${id}.answer`);
    while (!this.#closed) {
      try {
        await Deno.mkdir(folder, { recursive: true });
        if (role === "call") await this.#call(offerFile, answerFile);
        else await this.#answer(offerFile, answerFile);
      } catch (error) {
        this.log.warn(`!folder ${folder}: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** One call: offer, wait for the answer, then wait until the call ends. */
  async #call(offerFile: string, answerFile: string): Promise<void> {
    await Deno.remove(answerFile).catch(() => {});
    await writeAtomically(offerFile, await this.session.createOffer());
    this.log.info(`!folder: offer written to ${offerFile}`);
    let answer: string | null = null;
    while (!this.#closed && (answer = await take(answerFile)) === null) {
      await sleep(POLL_MS);
    }
    if (answer === null) return;
    await this.session.acceptAnswer(answer);
    this.log.info(`!folder: answer applied from ${answerFile}`);
    const ended = (state: ConnectionState | null) =>
      state === null || state === "failed" || state === "closed";
    while (!this.#closed && !ended(this.session.connectionState)) {
      await sleep(POLL_MS);
    }
  }

  /** Answers the next offer that appears. */
  async #answer(offerFile: string, answerFile: string): Promise<void> {
    let offer: string | null = null;
    while (!this.#closed && (offer = await take(offerFile)) === null) {
      await sleep(POLL_MS);
    }
    if (offer === null) return;
    await writeAtomically(answerFile, await this.session.acceptOffer(offer));
    this.log.info(`!folder: answer written to ${answerFile}`);
  }

  /** Stops polling; resolves once the loop has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#done;
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
      log.warn(
        formatProblem(
          attrs.location(),
          "!folder needs path= and call= or answer=",
        ),
      );
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
