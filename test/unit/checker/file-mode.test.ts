import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectedFolderMode, expectedOwner, modeMatches, octal } from "../../helpers/checker/file-mode.js";

const mode = fc.integer({ min: 0, max: 0o777 });
const perms = fc.subarray(["r", "w", "x"]).map((list) => list.join(""));
const bitsOf = (p: string) =>
  (p.includes("r") ? 4 : 0) | (p.includes("w") ? 2 : 0) | (p.includes("x") ? 1 : 0);

describe("expectedFolderMode", () => {
  it("decides all nine bits from an octal mode, which only that mode satisfies", () => {
    fc.assert(
      fc.property(mode, mode, (wanted, other) => {
        const expectation = expectedFolderMode(octal(wanted));
        expect(expectation).toEqual({ mask: 0o777, bits: wanted });
        if (expectation === undefined) return;
        expect(modeMatches(other, expectation)).toBe(other === wanted);
      }),
    );
  });

  it("reads `u=…,g=…,o=…` as the octal mode of the same bits", () => {
    fc.assert(
      fc.property(perms, perms, perms, (u, g, o) => {
        const octalMode = (bitsOf(u) << 6) | (bitsOf(g) << 3) | bitsOf(o);
        expect(expectedFolderMode(`u=${u},g=${g},o=${o}`)).toEqual({ mask: 0o777, bits: octalMode });
      }),
    );
  });

  it("decides only the classes and bits a clause names; X means x on a folder", () => {
    expect(expectedFolderMode("u+x")).toEqual({ mask: 0o100, bits: 0o100 });
    expect(expectedFolderMode("go-w")).toEqual({ mask: 0o022, bits: 0 });
    expect(expectedFolderMode("u=rwX")).toEqual({ mask: 0o700, bits: 0o700 });
    expect(expectedFolderMode("a=rX")).toEqual({ mask: 0o777, bits: 0o555 });
    expect(expectedFolderMode("u=rwX,g=rX,o=")).toEqual({ mask: 0o777, bits: 0o750 });
    // A later clause refines an earlier one.
    expect(expectedFolderMode("a=rwx,o-w")).toEqual({ mask: 0o777, bits: 0o775 });
  });

  it("gives up on forms whose result it cannot know", () => {
    expect(expectedFolderMode("+x")).toBeUndefined(); // the umask applies
    expect(expectedFolderMode("u+r-w")).toBeUndefined();
    expect(expectedFolderMode("u=s")).toBeUndefined();
  });
});

describe("expectedOwner", () => {
  it("takes the numeric uid and gid of a user string", () => {
    expect(expectedOwner("2000")).toEqual({ uid: 2000 });
    expect(expectedOwner("1000:1001")).toEqual({ uid: 1000, gid: 1001 });
    expect(expectedOwner("www:www")).toEqual({});
    expect(expectedOwner("www:50")).toEqual({ gid: 50 });
  });
});
