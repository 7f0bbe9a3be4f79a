/**
 * Owner and permissions of attached volumes, applied inside a short-lived helper container and
 * checked afterwards: the helper prints the folder's mode before and owner and mode after, and
 * berth compares them with what `chown`/`chmod` should have produced.
 */

export const VOLUME_MOUNT = "/berth-volume";

export function preparationScript(user: string | null, permissions: string | null): string {
  const d = VOLUME_MOUNT;
  const lines = ["set -e", `stat -c 'before %a' ${d}`];
  if (user !== null) lines.push(`chown -R ${shellQuote(user)} ${d}`);
  if (permissions !== null) lines.push(`chmod -R ${shellQuote(permissions)} ${d}`);
  lines.push(`stat -c 'after %u %g %U %G %a' ${d}`);
  return lines.join("\n");
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
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

/**
 * chmod's rules for a mode string (octal, or symbolic clauses like `u=rwX,g=rX,o=`) applied to a
 * current mode; undefined for a form it does not know (then only chmod's exit code is checked).
 */
export function applyMode(current: number, spec: string, isDirectory: boolean): number | undefined {
  if (/^[0-7]{1,4}$/.test(spec)) return parseInt(spec, 8);
  let mode = current & 0o7777;
  for (const clause of spec.split(",")) {
    const match = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!match) return undefined;
    const who = match[1] === "" || match[1]?.includes("a") ? "ugo" : (match[1] as string);
    const op = match[2];
    const perms = match[3] as string;
    let bits = 0;
    for (const w of who) {
      const shift = w === "u" ? 6 : w === "g" ? 3 : 0;
      if (perms.includes("r")) bits |= 4 << shift;
      if (perms.includes("w")) bits |= 2 << shift;
      if (perms.includes("x") || (perms.includes("X") && (isDirectory || (mode & 0o111) !== 0)))
        bits |= 1 << shift;
      if (perms.includes("s") && w === "u") bits |= 0o4000;
      if (perms.includes("s") && w === "g") bits |= 0o2000;
    }
    if (perms.includes("t")) bits |= 0o1000;
    let mask = 0;
    for (const w of who) mask |= w === "u" ? 0o4700 : w === "g" ? 0o2070 : 0o1007;
    if (op === "+") mode |= bits;
    else if (op === "-") mode &= ~bits;
    else mode = (mode & ~mask) | bits;
  }
  return mode;
}
