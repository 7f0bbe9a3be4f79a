/**
 * What the programs of berth's own helper containers do on a simulated engine. The only one is
 * the volume-preparation helper (src/apply/volume-preparation.ts): it reads the owner and mode
 * from its `chown -R`/`chmod -R` lines, records them on the volume mounted at VOLUME_MOUNT, and
 * prints the `before`/`after` lines the executor checks. Other containers run "forever".
 */
import { applyMode, VOLUME_MOUNT } from "../../src/apply/volume-preparation.js";
import { LABEL } from "../../src/model/labels.js";
import type { SimulatedContainer } from "./simulated-container.js";

/** The folder mode a fresh volume has. */
const FRESH_MODE = 0o755;

interface VolumeRecord {
  prepared?: { user: string | null; permissions: string | null };
  /** Owner and mode of the volume's folder; a fresh volume's (root, 755) when unset. */
  folder?: { uid: number; gid: number; mode: number };
}

/** A folder as a fresh volume has it. */
export const FRESH_FOLDER = { uid: 0, gid: 0, mode: FRESH_MODE };

/** Runs a helper's program to its end; undefined for a container that is not a helper. */
export function runHelperProgram(
  container: SimulatedContainer,
  volumeOf: (name: string) => VolumeRecord | undefined,
): { exitCode: number; output: string } | undefined {
  if (container.labels[LABEL.kind] !== "helper") return undefined;
  const script = container.body?.Cmd?.join("\n") ?? "";
  const mount = container.mounts.find((m) => m.Destination === VOLUME_MOUNT);
  const volume = mount?.Name === undefined ? undefined : volumeOf(mount.Name);
  if (volume === undefined) return { exitCode: 1, output: `stat: can't stat '${VOLUME_MOUNT}'\n` };
  const user = quotedArgument(script, "chown -R");
  const permissions = quotedArgument(script, "chmod -R");
  volume.prepared = { user, permissions };
  const before = volume.folder ?? FRESH_FOLDER;
  // Numeric owners only: the simulation has no /etc/passwd (a name keeps the current id).
  const [wantUid, wantGid] = (user ?? "").split(":");
  const id = (wanted: string | undefined, current: number) =>
    wanted !== undefined && /^\d+$/.test(wanted) ? Number(wanted) : current;
  const after = {
    uid: id(wantUid, before.uid),
    gid: id(wantGid, before.gid),
    mode: permissions === null ? before.mode : (applyMode(before.mode, permissions, true) ?? before.mode),
  };
  volume.folder = after;
  const [uid, gid] = [String(after.uid), String(after.gid)];
  const names = `${wantUid === undefined || wantUid === "" ? uid : wantUid} ${wantGid ?? gid}`;
  return {
    exitCode: 0,
    output: `before ${before.mode.toString(8)} ${before.uid} ${before.gid}\nafter ${uid} ${gid} ${names} ${after.mode.toString(8)}\n`,
  };
}

/** The single-quoted argument after a command in a script (shellQuote's quoting), or null. */
function quotedArgument(script: string, command: string): string | null {
  const line = script.split("\n").find((l) => l.startsWith(`${command} '`));
  if (line === undefined) return null;
  const match = /^'((?:[^']|'\\'')*)'/.exec(line.slice(command.length + 1));
  return match === null ? null : (match[1] as string).replace(/'\\''/g, "'");
}
