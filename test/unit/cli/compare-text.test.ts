import { describe, expect, it } from "vitest";
import { compareText } from "../../../src/common/text.js";

describe("compareText", () => {
  it("orders by code units, the same everywhere", () => {
    const sorted = ["web_1", "Web", "web-2", "web", "db.1", "db"].sort(compareText);
    expect(sorted).toEqual(["Web", "db", "db.1", "web", "web-2", "web_1"]);
    expect(compareText("a", "a")).toBe(0);
  });
});
