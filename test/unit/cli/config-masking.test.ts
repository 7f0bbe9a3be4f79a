import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";

/** Issue 14 item 8: `berth config` masks sensitive environment values as plans and logs do. */
const folder = tempFolder("config-masking");
afterAll(() => folder.remove());

const MAP = `
name: masked
sensitive: [API_URL_WITH_AUTH]
db:
  image: busybox:1
  environment:
    DB_PASSWORD: hunter2-secret
    API_URL_WITH_AUTH: https://user:pa55@example.invalid
    PLAIN: visible-value
`;

describe("berth config", () => {
  const file = writeMap(folder.dir, MAP);

  for (const format of [[], ["--json"]]) {
    it(`masks sensitive values by default (${format.length === 0 ? "YAML" : "JSON"}), normalized and resolved`, async () => {
      const run = await berth(["-f", file, "config", ...format]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toContain("hunter2-secret");
      expect(run.stdout).not.toContain("pa55");
      expect(run.stdout).toContain("visible-value");
      // Both the normalized map and the x-berth section carry the placeholder.
      expect(run.stdout.match(/\(sensitive\)/g)?.length).toBe(4);
    });
  }

  it("prints them in clear with --show-sensitive", async () => {
    const run = await berth(["-f", file, "config", "--show-sensitive"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("hunter2-secret");
    expect(run.stdout).toContain("https://user:pa55@example.invalid");
  });
});
