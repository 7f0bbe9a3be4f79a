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
 * Secret scan (issue 15, campaign): every command at every log level, log format and progress
 * mode, on a map whose secrets change at each step (so every plan and run reports a change of
 * them) and whose exec commands print them and fail. stdout, stderr, saved plans and the labels
 * of every object of the map (the state record among them) are searched for every value and
 * every line of one. `berth config` prints the map as written (documented): counted apart.
 */
const LEVELS = ["trace", "debug", "info", "warn", "error", "silent"];
const FORMATS = ["pretty", "json"];
const MODES = ["auto", "tty", "plain", "json", "quiet"];
const workspace = mapWorkspace("secret-scan-all");
const { engine } = workspace;
const forbidden = forbiddenStrings(SECRETS_V1, SECRETS_V2);

describe("secret scan", () => {
  it("finds no secret in any output, plan file or label", async () => {
    const mapName = workspace.name("scan");
    const hits: Hit[] = [];
    let configHits = 0;
    let runs = 0;
    let step = 0;
    for (const level of LEVELS) {
      for (const format of FORMATS) {
        for (const mode of MODES) {
          step += 1;
          const secrets = step % 2 === 0 ? SECRETS_V2 : SECRETS_V1;
          const file = workspace.write(mapName, secretMap(mapName, FIXTURE_IMAGES.base1, secrets, true));
          const log = ["--log-level", level, "--log-format", format];
          const planFile = join(workspace.dir, `${mapName}.${step}.plan.json`);
          const commands: string[][] = [
            ["plan"],
            ["plan", "--json"],
            ["plan", "--out", planFile],
            ["update", "--progress", mode],
            ["startup", "--progress", mode],
            ["status"],
            ["status", "--json"],
            ["logs", "app"],
            ["update", "--dry-run", "--json"],
          ];
          for (const command of commands) {
            const result = await berth(["-f", file, ...log, ...command]);
            runs += 1;
            const where = `${log.join(" ")} ${command.join(" ")}`;
            hits.push(...scanText(`stdout of ${where}`, result.stdout, forbidden));
            hits.push(...scanText(`stderr of ${where}`, result.stderr, forbidden));
          }
          hits.push(...scanFile(planFile, forbidden));
          const config = await berth(["-f", file, "config"]);
          configHits += scanText("config", config.stdout + config.stderr, forbidden).length;
        }
      }
      hits.push(...(await scanLabels(engine, mapName, forbidden)));
    }
    console.log(
      JSON.stringify({ campaign: "secret-scan", runs, combinations: step, hits: hits.length, configHits }),
    );
    expect(hits).toEqual([]);
  }, 1_800_000);
});
