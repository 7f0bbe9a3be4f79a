import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  maskSecrets,
  scrubSecrets,
  secretForms,
  SENSITIVE_PLACEHOLDER,
  WITHHELD_PLACEHOLDER,
} from "../../../src/desired/sensitive.js";

/** The characters secrets and texts are drawn from: letters, digits, spaces, newlines, NUL, quotes. */
const alphabet = fc.constantFrom(...'abcdAB01 \n\0"\\-'.split(""));
const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((cs) => cs.join(""));
const secret = fc
  .array(alphabet, { minLength: 1, maxLength: 12 })
  .map((cs) => cs.join(""))
  .filter((s) => s.trim() !== "");

/** What is left of a masked text once its placeholders are cut out. */
const unmasked = (out: string) => out.split(SENSITIVE_PLACEHOLDER);

describe("maskSecrets", () => {
  it("leaves no form of the secret, of any length, in the text (or withholds it whole)", () => {
    fc.assert(
      fc.property(text(20), secret, text(20), (before, value, after) => {
        const out = maskSecrets(`${before}${value}${after}`, [value]);
        if (out === WITHHELD_PLACEHOLDER) return;
        for (const form of secretForms(value)) {
          for (const part of unmasked(out)) expect(part).not.toContain(form);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("masks a multi-line secret whole and line by line, before the lines are joined", () => {
    const value = "first-line-of-it\nsecond-line-of-it";
    const output = `starting\n${value}\nfailed`;
    const out = maskSecrets(output, [value]);
    expect(out).toBe(`starting\n${SENSITIVE_PLACEHOLDER}\nfailed`);
    // Joining first (as the exec step did) left each line unmatched by the whole value.
    const joined = output.split("\n").join(" | ");
    expect(maskSecrets(joined, [value])).not.toContain("second-line-of-it");
  });

  it("withholds a text in which a secret shorter than 4 characters occurs", () => {
    expect(maskSecrets("the pin is 42x, retrying", ["42x"])).toBe(WITHHELD_PLACEHOLDER);
    expect(maskSecrets("all fine", ["42x"])).toBe("all fine");
  });

  it("masks a value with NUL as the engine echoes it: raw, cut at the NUL, JSON- or Go-escaped", () => {
    const value = "top\0secret-part";
    for (const echoed of [
      "top\0secret-part",
      "secret-part",
      "top\\u0000secret-part",
      "top\\x00secret-part",
    ]) {
      const out = maskSecrets(`invalid environment variable: X=${echoed}`, [value]);
      expect(out, echoed).not.toContain("secret-part");
    }
    // The piece before the NUL is three characters: where it stands alone, the text is withheld.
    expect(maskSecrets("value top was refused", [value])).toBe(WITHHELD_PLACEHOLDER);
  });
});

describe("scrubSecrets", () => {
  it("replaces long forms and never withholds berth's own words", () => {
    expect(scrubSecrets("default: exec container a: x=hunter22", ["hunter22", "a"])).toBe(
      `default: exec container a: x=${SENSITIVE_PLACEHOLDER}`,
    );
  });
});
