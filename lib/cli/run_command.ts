/**
 * `flitter_webrtc run SCENE [options]`: renders a scene until stopped.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Engine } from "../engine/engine.ts";
import type { Value } from "../expr/values.ts";
import { getLogger } from "../log/logger.ts";
import { SceneError } from "../scene/errors.ts";
import { parseDefineValue } from "../scene/model.ts";
import {
  applyLogSettings,
  LOG_FLAG_OPTIONS,
  type LogSettings,
  logSettingsFromTokens,
} from "../log/log_flags.ts";
import { UsageError } from "./usage_error.ts";
import {
  FieldTrialsError,
  isValidFieldTrials,
  setWrtcFieldTrials,
} from "../webrtc/field_trials.ts";
import { loadWrtc } from "../webrtc/_wrtc.ts";

/** Usage text of `run`. */
export const RUN_USAGE =
  `Usage: flitter_webrtc run SCENE [--define NAME=VALUE]... [--fps N] [--runtime SECONDS]
                          [--lockstep] [--offscreen] [--fullscreen] [--screen N]
                          [--vsync] [--field-trials=TRIALS]
                          [--quiet|--verbose|--debug|--trace]

  SCENE               a scene file (.toml or .json); it is reloaded when it changes
  --define NAME=VALUE bind NAME in expressions (a number, :symbol or text); repeatable
  --fps N             frames per second (default 60)
  --runtime SECONDS   exit after this many seconds of scene time
  --lockstep          render as fast as possible with an evenly stepped clock
  --offscreen         render every !window offscreen (no window opens)
  --fullscreen        windows open full screen (unless fullscreen= says otherwise)
  --screen N          windows open on screen N, 0 the primary (unless screen= says otherwise)
  --vsync             windows wait for vertical blank when they show a frame (unless vsync=)
  --field-trials=TRIALS
                      libwebrtc field trials for video calls, as Name/group/Name/group/
                      (default: lowest latency, no jitter buffer; empty: libwebrtc's own)
  --quiet | --verbose | --debug | --trace
                      logging: problems only | statistics every 5 s | detail | everything
                      (one of them; default: information)`;

/** Options of one `run`. */
export interface RunOptions {
  file: string;
  defines: Map<string, Value>;
  fps: number;
  runtime: number | null;
  lockstep: boolean;
  offscreen: boolean;
  /** `--fullscreen`. */
  fullscreen: boolean;
  /** `--screen N` (default 0). */
  screen: number;
  /** `--vsync`. */
  vsync: boolean;
  /** `--field-trials=` (null: the built-in low-latency set). */
  fieldTrials: string | null;
  /** What the logging flags ask for (set by {@linkcode runScene}). */
  log: LogSettings;
}

/** Parses `run`'s arguments (without side effects); throws {@linkcode UsageError}. */
export function parseRunArgs(args: string[]): RunOptions {
  let parsed;
  let log: LogSettings;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      tokens: true,
      options: {
        ...LOG_FLAG_OPTIONS,
        define: { type: "string", short: "D", multiple: true },
        fps: { type: "string" },
        runtime: { type: "string" },
        lockstep: { type: "boolean" },
        offscreen: { type: "boolean" },
        fullscreen: { type: "boolean" },
        screen: { type: "string" },
        vsync: { type: "boolean" },
        "field-trials": { type: "string" },
      },
    });
    log = logSettingsFromTokens(parsed.tokens);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "Missing the scene file"
        : `Expected one scene file, got ${positionals.length}`,
    );
  }
  const defines = new Map<string, Value>();
  for (const definition of values.define ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(definition);
    if (!match) {
      throw new UsageError(
        `--define "${definition}": expected NAME=VALUE with NAME a plain name`,
      );
    }
    defines.set(match[1], parseDefineValue(match[2]));
  }
  const fps = values.fps === undefined ? 60 : Number(values.fps);
  if (!(fps > 0 && fps <= 1000)) {
    throw new UsageError(
      `--fps "${values.fps}": expected a number from 1 to 1000`,
    );
  }
  const runtime = values.runtime === undefined ? null : Number(values.runtime);
  if (runtime !== null && !(runtime >= 0)) {
    throw new UsageError(
      `--runtime "${values.runtime}": expected seconds (≥ 0)`,
    );
  }
  const screen = values.screen === undefined ? 0 : Number(values.screen);
  if (!Number.isInteger(screen) || screen < 0) {
    throw new UsageError(
      `--screen "${values.screen}": expected a screen number (0, 1, …)`,
    );
  }
  const fieldTrials = values["field-trials"] ?? null;
  if (fieldTrials !== null && !isValidFieldTrials(fieldTrials)) {
    throw new UsageError(
      `--field-trials "${fieldTrials}": expected Name/group/ pairs, each ending in "/"`,
    );
  }
  return {
    file: positionals[0],
    defines,
    fps,
    runtime,
    lockstep: Boolean(values.lockstep),
    offscreen: Boolean(values.offscreen),
    fullscreen: Boolean(values.fullscreen),
    screen,
    vsync: Boolean(values.vsync),
    fieldTrials,
    log,
  };
}

/**
 * Runs a scene as the CLI does; resolves to the process exit status. The
 * wrtc addon is loaded only for a scene's first `!webrtc` node, or at once
 * when `--field-trials` is given (they must be in place before any call).
 */
export async function runScene(options: RunOptions): Promise<number> {
  applyLogSettings(options.log);
  const log = getLogger("engine");
  if (options.fieldTrials !== null) {
    try {
      await loadWrtc();
      setWrtcFieldTrials(options.fieldTrials);
      log.debug(`libwebrtc field trials: "${options.fieldTrials}"`);
    } catch (error) {
      if (!(error instanceof FieldTrialsError)) throw error;
      log.error(error.message);
      return 1;
    }
  }
  let engine: Engine;
  try {
    engine = await Engine.open(options.file, {
      defines: options.defines,
      fps: options.fps,
      runtime: options.runtime,
      lockstep: options.lockstep,
      windows: {
        offscreen: options.offscreen ? "--offscreen" : null,
        fullscreen: options.fullscreen,
        screen: options.screen,
        vsync: options.vsync,
      },
    });
  } catch (error) {
    if (error instanceof SceneError) {
      log.error(error.message);
      return 1;
    }
    throw error;
  }
  log.info(`Running ${options.file} on ${engine.gl.renderer}`);
  await engine.runUntilSignalled();
  return 0;
}
