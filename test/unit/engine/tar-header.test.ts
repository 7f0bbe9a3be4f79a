import { describe, expect, it } from "vitest";
import { firstEntryOwner } from "../../../src/engine/tar-header.js";

/** The owner and mode of an archive's first entry, as `--refresh full` reads a volume's folder. */

/** A ustar header block: name, mode, uid, gid as tar writes them (octal text). */
function header(options: { mode: number; uid: number | Buffer; gid: number; type?: string; size?: number }) {
  const block = Buffer.alloc(512);
  block.write("data/", 0, "latin1");
  const octal = (value: number, at: number, length: number) =>
    block.write(`${value.toString(8).padStart(length - 1, "0")}\0`, at, "latin1");
  octal(options.mode, 100, 8);
  if (Buffer.isBuffer(options.uid)) options.uid.copy(block, 108);
  else octal(options.uid, 108, 8);
  octal(options.gid, 116, 8);
  octal(options.size ?? 0, 124, 12);
  block.write(options.type ?? "5", 156, "latin1");
  block.write("ustar\x0000", 257, "latin1");
  return block;
}

function paxBody(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const text = ` ${key}=${value}\n`;
    let length = text.length + 1;
    while (`${length}${text}`.length !== length) length++;
    return `${length}${text}`;
  });
  const body = Buffer.from(lines.join(""), "utf8");
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return padded;
}

describe("firstEntryOwner", () => {
  it("reads owner and mode (permission and special bits) of a directory entry", () => {
    const data = Buffer.concat([header({ mode: 0o42711, uid: 1234, gid: 99 }), Buffer.alloc(512)]);
    expect(firstEntryOwner(data)).toEqual({ owner: { uid: 1234, gid: 99, mode: 0o2711 } });
  });

  it("asks for a whole block first", () => {
    expect(firstEntryOwner(Buffer.alloc(100))).toEqual({ need: 512 });
  });

  it("reads a base-256 id (too big for octal text)", () => {
    const big = Buffer.alloc(8);
    big[0] = 0x80;
    big.writeUInt32BE(3_000_000_000, 4);
    const data = header({ mode: 0o40755, uid: big, gid: 0 });
    expect(firstEntryOwner(data)).toEqual({ owner: { uid: 3_000_000_000, gid: 0, mode: 0o755 } });
  });

  it("skips a PAX header, whose uid and gid records apply to the entry after it", () => {
    const body = paxBody({ uid: "5000000", gid: "77", path: "a-long-name/" });
    const pax = header({ mode: 0o644, uid: 0, gid: 0, type: "x", size: body.length });
    const entry = header({ mode: 0o40700, uid: 0o7777777, gid: 0 });
    const data = Buffer.concat([pax, body, entry]);
    expect(firstEntryOwner(data.subarray(0, 600))).toEqual({ need: 512 + body.length });
    expect(firstEntryOwner(data)).toEqual({ owner: { uid: 5_000_000, gid: 77, mode: 0o700 } });
  });

  it("an empty archive is no answer", () => {
    expect(firstEntryOwner(Buffer.alloc(1024))).toEqual({ invalid: "the archive is empty" });
  });
});
