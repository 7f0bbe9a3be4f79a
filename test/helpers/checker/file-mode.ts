/**
 * What an owner and a chmod mode string ask of a folder, worked out from chmod's own rules (the
 * checker's own reading, not berth's): which permission bits must be set or clear, and which uid and
 * gid must own it.
 */

/** Bits a mode string decides: `(mode & mask) === bits` must hold. */
export interface ModeExpectation {
  mask: number;
  bits: number;
}

const CLASS_SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

/**
 * The bits a chmod mode string sets on a folder: an octal mode (`"0750"`, `"755"`) decides all nine
 * bits; symbolic clauses (`u=rwX,g=rX,o=`) decide only the classes and bits they name. Undefined for
 * forms whose result depends on things the checker does not know (no class letter: the umask
 * applies; several operators in one clause; special bits).
 */
export function expectedFolderMode(permissions: string): ModeExpectation | undefined {
  if (/^[0-7]{1,4}$/.test(permissions)) {
    return { mask: 0o777, bits: Number.parseInt(permissions, 8) & 0o777 };
  }
  let expectation: ModeExpectation = { mask: 0, bits: 0 };
  for (const clause of permissions.split(",")) {
    const next = applyClause(expectation, clause);
    if (next === undefined) return undefined;
    expectation = next;
  }
  return expectation;
}

function applyClause(current: ModeExpectation, clause: string): ModeExpectation | undefined {
  const match = /^([ugoa]+)([-+=])([rwxX]*)$/.exec(clause);
  if (match === null) return undefined;
  const [, who = "", op = "", perms = ""] = match;
  const classes = who.includes("a") ? ["u", "g", "o"] : [...new Set(who)];
  // On a folder, X means x.
  const permBits = [...perms].reduce((sum, p) => sum | (p === "r" ? 4 : p === "w" ? 2 : 1), 0);
  let { mask, bits } = current;
  for (const cls of classes) {
    const shift = CLASS_SHIFT[cls] ?? 0;
    const classMask = op === "=" ? 7 << shift : permBits << shift;
    mask |= classMask;
    if (op === "=") bits = (bits & ~classMask) | (permBits << shift);
    else if (op === "+") bits |= permBits << shift;
    else bits &= ~(permBits << shift);
  }
  return { mask, bits };
}

/** True when a folder's mode satisfies the expectation. */
export function modeMatches(mode: number, expectation: ModeExpectation): boolean {
  return (mode & expectation.mask) === expectation.bits;
}

/** The owner a user string (`"2000"`, `"1000:1000"`, `"www:www"`) asks for, numeric parts only. */
export function expectedOwner(user: string): { uid?: number; gid?: number } {
  const [userPart = "", groupPart] = user.split(":");
  const owner: { uid?: number; gid?: number } = {};
  if (/^\d+$/.test(userPart)) owner.uid = Number(userPart);
  if (groupPart !== undefined && /^\d+$/.test(groupPart)) owner.gid = Number(groupPart);
  return owner;
}

/** `0750`-style text of the nine permission bits. */
export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}
