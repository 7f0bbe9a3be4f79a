/** File modes as chmod computes them (plain functions, shared by planning and applying). */

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

/** `0750` for 0o750: how plans and messages show a mode. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}
