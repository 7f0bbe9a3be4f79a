import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { forbiddenStrings, scanText, secretMap, SECRETS_V1, SECRETS_V2 } from "../helpers/secret-scan.js";

/**
 * `--log-level debug` through the built executable (bin/berth.js, `npm run build`): a startup
 * logs each engine call it makes (method, path, status, duration) and the planner's decisions
 * with their reasons; at trace the requests too, masked. No secret of the map, anywhere.
 */
const workspace = mapWorkspace("debug-logs");
const forbidden = forbiddenStrings(SECRETS_V1, SECRETS_V2);

function built(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/berth.js", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", BERTH_CACHE_DIR: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("debug and trace logs of a run", () => {
  it("a debug startup logs its engine calls and plan decisions, and no secret", async () => {
    const mapName = workspace.name("debug");
    const file = workspace.write(mapName, secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V1));
    const run = await built(["-f", file, "--log-level", "debug", "startup", "--progress", "plain"]);
    expect(run.code, run.stderr).toBe(0);
    // `engine POST /containers/create 201 12ms`: method, path, status and duration of each call.
    expect(run.stderr).toMatch(/engine POST \/containers\/create 201 \d+ms/);
    expect(run.stderr).toMatch(/engine POST \/containers\/[^/ ]+\/start 204 \d+ms/);
    expect(run.stderr).toMatch(/engine GET \/containers\/json 200 \d+ms/);
    // The planner's decisions, with their reasons.
    expect(run.stderr).toMatch(/plan: create container app/);
    expect(run.stderr).toMatch(/plan: \d+ step\(s\)|plan: .*step/);
    expect([
      ...scanText("stdout", run.stdout, forbidden),
      ...scanText("stderr", run.stderr, forbidden),
    ]).toEqual([]);
  });

  it("a trace update logs request bodies as JSON lines with the secrets masked", async () => {
    const mapName = workspace.name("trace");
    let file = workspace.write(mapName, secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V1));
    expect((await built(["-f", file, "startup", "--progress", "quiet"])).code).toBe(0);
    file = workspace.write(mapName, secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V2));
    const run = await built([
      "-f",
      file,
      "--log-level",
      "trace",
      "--log-format",
      "json",
      "update",
      "--progress",
      "plain",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const logs = run.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; body?: string; status?: number; ms?: number });
    // The app's create body: its secret environment values masked by name (the three-character
    // one too, which maskSecrets alone would withhold the whole body for), the others shown.
    const creates = logs.filter((l) => l.msg.startsWith("engine request POST /containers/create"));
    const app = creates.filter((l) => !(l.body ?? "").includes('"berth.kind":"lock"'));
    expect(app.length).toBeGreaterThan(0);
    for (const body of app.map((l) => l.body ?? "")) {
      expect(body).toContain("PLAIN=visible");
      expect(body).toContain("PIN=(sensitive)");
      expect(body).toContain("DB_PASSWORD=(sensitive)");
    }
    const created = logs.find((l) => l.msg.startsWith("engine POST /containers/create"));
    expect(created).toMatchObject({ status: 201 });
    expect(typeof created?.ms).toBe("number");
    expect([
      ...scanText("stdout", run.stdout, forbidden),
      ...scanText("stderr", run.stderr, forbidden),
    ]).toEqual([]);
  });

  it("with --progress json, the debug logs are JSON lines too: every stderr line is JSON", async () => {
    const mapName = workspace.name("json");
    const file = workspace.write(mapName, secretMap(mapName, FIXTURE_IMAGES.base1, SECRETS_V1));
    const run = await built(["-f", file, "--log-level", "debug", "startup", "--progress", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split("\n").filter((line) => line !== "");
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(lines.some((line) => line.includes('"msg":"engine POST /containers/create 201'))).toBe(true);
  });
});
