/**
 * Dropping root privileges after the server has bound its port
 * (`--user=`, `--group=`). Deno has no `setuid` of its own; its
 * `node:process` provides `setuid`/`setgid`, and the supplementary groups
 * are cleared through libc's `setgroups` (FFI) when that is allowed.
 *
 * @module
 */

import process from "node:process";
import { ServerError } from "./signalling_server.ts";

/** Numeric user and group to switch to. */
export interface Identity {
  /** User ID, when a user was asked for. */
  uid?: number;
  /** Group ID (the asked-for group, else the user's primary group). */
  gid?: number;
  /** The names as given, for messages. */
  label: string;
}

function readTable(path: string): string[][] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((line) =>
      line && !line.startsWith("#")
    )
      .map((line) => line.split(":"));
  } catch {
    return [];
  }
}

/**
 * The `/etc/passwd` (`user`) or `/etc/group` line for `name` (a name or a
 * number), or `null` for a number that is not listed there.
 *
 * @throws {ServerError} for a name that is not listed
 */
function findEntry(option: "user" | "group", name: string): string[] | null {
  const table = option === "user" ? "/etc/passwd" : "/etc/group";
  const entry = readTable(table).find((fields) =>
    fields[0] === name || fields[2] === name
  );
  if (entry !== undefined) return entry;
  if (!/^\d+$/.test(name)) {
    throw new ServerError(`--${option}: no ${option} "${name}" in ${table}`);
  }
  return null;
}

/**
 * Resolves `user`/`group` names or numbers, and checks that this process
 * may switch to them; call it before binding so a bad option fails early.
 *
 * @throws {ServerError} when privilege dropping is unsupported, a name is unknown, or the process is not root
 */
export function resolveIdentity(
  user?: string,
  group?: string,
): Identity | null {
  if (user === undefined && group === undefined) return null;
  if (
    Deno.build.os === "windows" || typeof process.setuid !== "function" ||
    typeof process.setgid !== "function"
  ) {
    throw new ServerError(
      "--user=/--group= are not supported on this platform (no setuid/setgid)",
    );
  }
  let uid: number | undefined;
  let gid: number | undefined;
  if (user !== undefined) {
    const entry = findEntry("user", user);
    uid = Number(entry?.[2] ?? user);
    if (entry !== null) gid = Number(entry[3]);
  }
  if (group !== undefined) {
    const entry = findEntry("group", group);
    gid = Number(entry?.[2] ?? group);
  }
  if (
    Deno.uid() !== 0 &&
    (uid !== undefined && uid !== Deno.uid() ||
      gid !== undefined && gid !== Deno.gid())
  ) {
    throw new ServerError(
      "--user=/--group= need the server to be started as root",
    );
  }
  const label = [user && `user "${user}"`, group && `group "${group}"`].filter(
    Boolean,
  ).join(" and ");
  return { uid, gid, label };
}

function clearSupplementaryGroups(): boolean {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      setgroups: { parameters: ["usize", "pointer"], result: "i32" },
    });
    try {
      return libc.symbols.setgroups(0n, null) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}

/**
 * Switches the process to `identity` (group first, then user).
 *
 * @throws {ServerError} when the switch fails
 */
export function dropPrivileges(
  identity: Identity,
): { supplementaryGroupsCleared: boolean } {
  let supplementaryGroupsCleared = false;
  try {
    if (Deno.uid() === 0) {
      supplementaryGroupsCleared = clearSupplementaryGroups();
    }
    if (identity.gid !== undefined) process.setgid!(identity.gid);
    if (identity.uid !== undefined) process.setuid!(identity.uid);
  } catch (error) {
    throw new ServerError(
      `Cannot switch to ${identity.label}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { supplementaryGroupsCleared };
}
