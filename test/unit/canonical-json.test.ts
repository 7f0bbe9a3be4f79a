import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, digest } from "../../src/common/canonical-json.js";

describe("canonicalJson", () => {
  it("is independent of key order at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("gives equal digests to values that differ only in key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(digest(reversed)).toBe(digest(record));
      }),
    );
  });

  it("reads back as the value JSON.stringify gives", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("drops undefined members", () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });
});
