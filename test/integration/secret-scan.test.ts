import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import {
  forbiddenStrings,
  scanFile,
  scanLabels,
  scanText,
  secretMap,
  SECRETS_V1,
  SECRETS_V2,
  type Hit,
} from "../helpers/secret-scan.js";

/**
 * The fast part of the secret scan (test/chaos/secret-scan.test.ts runs every command at every
 * log level and progress mode): a multi-line, a three-character and an ordinary secret never
 * show in the output of plan, a saved plan, an update that changes them, status, logs, or a
 * failing exec command that prints them, nor in any label.
 */
const workspace = mapWorkspace("secret-scan");
const { engine } = workspace;
const forbidden = forbiddenStrings(SECRETS_V1, SECRETS_V2);

describe("secret scan (fast subset)", () => {
  it("no secret in any output, plan file or label", async () => {
    const mapName = workspace.name("secrets");
    const write = (text: string) => workspace.write(mapName, text);
    let file = write(secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V1));
    const hits: Hit[] = [];
    const run = async (args: string[], expected: number[] = [0, 2]) => {
      const result = await berth(["-f", file, ...args]);
      expect(expected, `${args.join(" ")}: ${result.stderr}`).toContain(result.code);
      hits.push(...scanText(`stdout of ${args.join(" ")}`, result.stdout, forbidden));
      hits.push(...scanText(`stderr of ${args.join(" ")}`, result.stderr, forbidden));
      return result;
    };
    const planFile = join(workspace.dir, `${mapName}.plan.json`);
    await run(["plan", "--out", planFile]);
    hits.push(...scanFile(planFile, forbidden));
    await run(["--log-level", "debug", "apply", planFile, "--progress", "plain"], [0]);
    hits.push(...(await scanLabels(engine, mapName, forbidden)));

    file = write(secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V2));
    const changed = await run(["plan", "--json"]);
    expect(changed.stdout).toContain("(sensitive)");
    await run(["--log-level", "trace", "--log-format", "json", "update", "--progress", "json"], [0]);
    await run(["status", "--json"]);
    await run(["logs", "app"]);
    hits.push(...(await scanLabels(engine, mapName, forbidden)));

    file = write(secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V2, true));
    const failed = await run(["--log-level", "debug", "update", "--progress", "plain"], [1]);
    expect(failed.stderr).toContain("exited with code 3");
    expect(failed.stderr).toContain("exited with code 4");
    expect(hits).toEqual([]);
  });
});
