import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";

const workspace = mapWorkspace("cli-bundle");

/** The `berth` executable as installed: bin/berth.js on the bundled CLI that `npm run build` makes. */
function berthBin(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["bin/berth.js", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("bin/berth.js (the built, bundled CLI)", () => {
  it("prints its version and validates a map", () => {
    const version = berthBin(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const valid = berthBin(["-f", "examples/networks/berth.yaml", "validate"]);
    expect(valid.stderr).toBe("");
    expect(valid.stdout).toContain("map `networks` is valid");
  });

  it("plans against the engine and prints the plan as JSON", () => {
    const run = berthBin([
      "-f",
      "examples/web-app/berth.yaml",
      "--map-name",
      "bt-bundle-plan",
      "plan",
      "--json",
    ]);
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.stdout) as { format: string; map: string };
    expect(plan).toMatchObject({ format: "berth.plan/1", map: "bt-bundle-plan" });
  });

  it("reports a bad map at FILE:LINE:COL and exits 1, without a stack trace", () => {
    const run = berthBin(["-f", "test/fixtures/invalid/05-yaml-duplicate-key.yaml", "validate"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/05-yaml-duplicate-key\.yaml:\d+:\d+: duplicate key/);
    expect(run.stderr).not.toContain("    at ");
  });

  it("reports a bad map, not the unreachable engine it began to observe before loading the map", () => {
    const run = berthBin(["-f", "test/fixtures/invalid/05-yaml-duplicate-key.yaml", "plan"], {
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/05-yaml-duplicate-key\.yaml:\d+:\d+: duplicate key/);
    expect(run.stderr).not.toContain("no engine answers");
    expect(run.stderr).not.toContain("    at ");
  });

  it("names the unreachable engine of a valid map", () => {
    const run = berthBin(["-f", "examples/web-app/berth.yaml", "update"], {
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("no engine answers at unix:///nonexistent/docker.sock");
    expect(run.stderr).not.toContain("    at ");
  });

  it("logs a run at --log-level info, as JSON lines or pretty (pino, loaded only then)", () => {
    const mapName = workspace.name("bundle-logs");
    const file = workspace.write(
      mapName,
      `name: ${mapName}\nweb:\n  image: ${FIXTURE_IMAGES.base1}\n  host_config: {mem_limit: 16m}\n`,
    );
    const json = berthBin([
      "-f",
      file,
      "--log-level",
      "info",
      "--log-format",
      "json",
      "startup",
      "--progress",
      "quiet",
    ]);
    expect(json.status, json.stderr).toBe(0);
    const lines = json.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; name: string; level: number });
    expect(lines.map((l) => l.msg)).toEqual(["apply started", "apply finished"]);
    expect(lines.every((l) => l.name === "berth" && l.level === 30)).toBe(true);

    const pretty = berthBin(["-f", file, "--log-level", "info", "shutdown", "--progress", "quiet"]);
    expect(pretty.status, pretty.stderr).toBe(0);
    expect(pretty.stderr).toMatch(/INFO.*apply started/);
    expect(pretty.stderr).toMatch(/INFO.*apply finished/);

    const quiet = berthBin(["-f", file, "startup", "--progress", "quiet"]);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("apply started");
  });

  it("loads the ssh transport, left out of the bundle, when DOCKER_HOST asks for it", () => {
    const run = berthBin(["-f", "examples/web-app/berth.yaml", "plan"], {
      DOCKER_HOST: "ssh://nobody@127.0.0.1:1",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("no engine answers at ssh://nobody@127.0.0.1:1");
    expect(run.stderr).not.toMatch(/Cannot find module|unexpected error/);
  });
});
