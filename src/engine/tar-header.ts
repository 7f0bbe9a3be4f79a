/**
 * The owner and mode of the first entry of a tar stream (ustar, with PAX extended headers as the
 * engine's archive endpoint writes them). The engine's archive of a folder starts with the folder
 * itself, so the first 512-byte block (or a few, after a PAX header) tells its owner and mode
 * without reading the folder's contents.
 */

const BLOCK = 512;

export interface TarEntryOwner {
  uid: number;
  gid: number;
  /** Permission and special bits only. */
  mode: number;
}

/** `need`: more bytes are needed to read the first entry (at least that many in all). */
export type TarHeaderResult = { owner: TarEntryOwner } | { need: number } | { invalid: string };

export function firstEntryOwner(data: Buffer): TarHeaderResult {
  let offset = 0;
  let overrides: Record<string, string> = {};
  for (;;) {
    if (data.length < offset + BLOCK) return { need: offset + BLOCK };
    const header = data.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return { invalid: "the archive is empty" };
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === "x" || type === "g") {
      // A PAX header: its records (`uid`, `gid`, …) apply to the next entry; the entry follows them.
      const size = numberField(header, 124, 12);
      const end = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
      if (data.length < end) return { need: end };
      if (type === "x") overrides = paxRecords(data.subarray(offset + BLOCK, offset + BLOCK + size));
      offset = end;
      continue;
    }
    const uid = overrides.uid ?? numberField(header, 108, 8);
    const gid = overrides.gid ?? numberField(header, 116, 8);
    return {
      owner: { uid: Number(uid), gid: Number(gid), mode: numberField(header, 100, 8) & 0o7777 },
    };
  }
}

/** A numeric field: octal text, or (high bit set) a big-endian binary number. */
function numberField(header: Buffer, start: number, length: number): number {
  const field = header.subarray(start, start + length);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field
    .toString("latin1")
    .replace(/[\0 ].*$/s, "")
    .trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** `LEN key=value\n` records. */
function paxRecords(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = parseInt(body.subarray(offset, space).toString("latin1"), 10);
    if (!(length > 0)) break;
    const record = body.subarray(space + 1, offset + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0) out[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return out;
}
