/**
 * Owner and permissions of attached volumes, applied inside a short-lived helper container and
 * checked afterwards: the helper prints the folder's mode and owner before and after, and berth
 * compares them with what `chown`/`chmod` should have produced. The same helper repairs a volume
 * whose owner or mode changed: `chown -R`/`chmod -R` are idempotent, and what it found is reported.
 */

import { applyMode, octalMode } from "../common/file-mode.js";

export { applyMode };

export const VOLUME_MOUNT = "/berth-volume";

export function preparationScript(user: string | null, permissions: string | null): string {
  const d = VOLUME_MOUNT;
  const lines = ["set -e", `stat -c 'before %a %u %g' ${d}`];
  if (user !== null) lines.push(`chown -R ${shellQuote(user)} ${d}`);
  if (permissions !== null) lines.push(`chmod -R ${shellQuote(permissions)} ${d}`);
  lines.push(`stat -c 'after %u %g %U %G %a' ${d}`);
  return lines.join("\n");
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What the helper found and left: `owner 1000:1000 → 2000:2000, mode 0750 → 0700`. */
export function describePreparation(output: string): string | undefined {
  const before = /before (\d+) (\d+) (\d+)/.exec(output);
  const after = /after (\d+) (\d+) \S+ \S+ (\d+)/.exec(output);
  if (!before || !after) return undefined;
  const [, beforeMode = "", beforeUid, beforeGid] = before;
  const [, afterUid, afterGid, afterMode = ""] = after;
  const owner = (uid?: string, gid?: string) => `${uid}:${gid}`;
  const change = (what: string, old: string, now: string) =>
    old === now ? `${what} ${now} (unchanged)` : `${what} ${old} → ${now}`;
  return [
    change("owner", owner(beforeUid, beforeGid), owner(afterUid, afterGid)),
    change("mode", octalMode(parseInt(beforeMode, 8)), octalMode(parseInt(afterMode, 8))),
  ].join(", ");
}

export interface PreparationCheck {
  ok: boolean;
  problem?: string;
}

/** Checks the helper's output against the requested owner and permissions. */
export function checkPreparation(
  output: string,
  user: string | null,
  permissions: string | null,
): PreparationCheck {
  const before = /before (\d+)/.exec(output);
  const after = /after (\d+) (\d+) (\S+) (\S+) (\d+)/.exec(output);
  if (!before || !after)
    return { ok: false, problem: `unexpected helper output: ${output.trim().slice(0, 200)}` };
  const [, uid, gid, userName, groupName, mode] = after as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (user !== null) {
    const [wantUser, wantGroup] = user.split(":");
    if (wantUser !== undefined && wantUser !== uid && wantUser !== userName) {
      return { ok: false, problem: `owner is ${userName} (${uid}), not ${wantUser}` };
    }
    if (wantGroup !== undefined && wantGroup !== gid && wantGroup !== groupName) {
      return { ok: false, problem: `group is ${groupName} (${gid}), not ${wantGroup}` };
    }
  }
  if (permissions !== null) {
    const expected = applyMode(parseInt(before[1] as string, 8), permissions, true);
    if (expected !== undefined && expected !== parseInt(mode, 8)) {
      return { ok: false, problem: `mode is ${mode}, not ${expected.toString(8)}` };
    }
  }
  return { ok: true };
}
