import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { optionValue } from "../../../src/cli/argv.js";
import { parseDotEnv, readDotEnvFiles } from "../../../src/map/dot-env.js";
import { berth } from "../../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "berth-conventions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
// No engine is needed: these commands only read the map. The environment is the test's own.
const run = (args: string[], env: Record<string, string | undefined> = {}) =>
  berth(args, {
    cwd: dir,
    env: { BERTH_FILE: undefined, BERTH_MAP_NAME: undefined, BERTH_CACHE_DIR: "", ...env },
  });

describe("BERTH_FILE and BERTH_MAP_NAME", () => {
  it("BERTH_FILE lists map files as COMPOSE_FILE does, merged in order; BERTH_MAP_NAME names the map", async () => {
    const base = write("base.yaml", "name: from-file\napp:\n  image: busybox:1\n");
    const extra = write("extra.yaml", "web:\n  image: busybox:1\n");
    const result = await run(["validate"], {
      BERTH_FILE: [base, extra].join(delimiter),
      BERTH_MAP_NAME: "from-env",
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`${base}, ${extra}: map \`from-env\` is valid: 2 container(s)`);
  });

  it("-f and --map-name win over them", async () => {
    const base = write("one.yaml", "app:\n  image: busybox:1\n");
    const result = await run(["-f", base, "validate", "--map-name", "flag-name"], {
      BERTH_FILE: join(dir, "missing.yaml"),
      BERTH_MAP_NAME: "env-name",
    });
    expect(result.stdout).toContain("map `flag-name` is valid");
  });
});

describe("--env-file", () => {
  it("reads several files, later ones winning, the environment winning over all, instead of .env", async () => {
    write(".env", "TAG=from-dot-env\n");
    const first = write("first.env", "TAG=first\nPORT=8080\n");
    const second = write("second.env", 'TAG="second" # a comment\nURL=http://host:${PORT}/x\n');
    const map = write(
      "env-map.yaml",
      "app:\n  image: busybox:${TAG}\n  environment:\n    URL: ${URL}\n    WHO: ${WHO}\n",
    );
    const result = await run(["-f", map, "--env-file", first, "config", "-o", "json", "--env-file", second], {
      WHO: "shell",
    });
    expect(result.stderr).toBe("");
    const config = JSON.parse(result.stdout) as {
      containers: { app: { image: string; environment: object } };
    };
    expect(config.containers.app.image).toBe("busybox:second");
    expect(config.containers.app.environment).toMatchObject({ URL: "http://host:8080/x", WHO: "shell" });
  });

  it("a missing env file is an error naming it", async () => {
    const map = write("plain.yaml", "app:\n  image: busybox:1\n");
    const result = await run(["-f", map, "--env-file", "nope.env", "validate"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot read env file ${join(dir, "nope.env")}: no such file`);
  });
});

describe(".env files as Compose users write them (dotenv, dotenv-expand)", () => {
  it("quoted values with comments after them, values over several lines, references, export", () => {
    const text = [
      'A="quoted" # comment',
      "B=plain # comment too",
      "C='single # not a comment'",
      'MULTI="line one',
      'line two"',
      "export D=exported",
      "E=${A}-${MISSING:-fallback}",
      "F=$HOMEISH/x",
    ].join("\n");
    expect(parseDotEnv(text, { HOMEISH: "/home/me" })).toEqual({
      A: "quoted",
      B: "plain",
      C: "single # not a comment",
      MULTI: "line one\nline two",
      D: "exported",
      E: "quoted-fallback",
      F: "/home/me/x",
    });
  });

  it("the environment wins over the file, and a later file over an earlier one", () => {
    const one = write("one.env", "X=one\nY=one\n");
    const two = write("two.env", "Y=two\nZ=${X}+${Y}\n");
    expect(readDotEnvFiles([one, two], { X: "shell" })).toMatchObject({
      X: "shell",
      Y: "two",
      Z: "shell+two",
    });
  });
});

describe("-o is an output format, --out saves a plan", () => {
  it("`plan -o FILE` is refused and writes nothing, pointing at --out", async () => {
    const map = write("plan-map.yaml", "app:\n  image: busybox:1\n");
    for (const value of ["json.out", "plan.json", "saved/plan"]) {
      const result = await run(["-f", map, "plan", "-o", value]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "expected one of text, json, yaml; to save a plan to a file, use --out FILE",
      );
      expect(existsSync(join(dir, value))).toBe(false);
    }
  });

  it("config -o json prints JSON, -o yaml YAML", async () => {
    const map = write("config-map.yaml", "app:\n  image: busybox:1\n");
    const json = await run(["-f", map, "config", "-o", "json"]);
    expect(JSON.parse(json.stdout)).toHaveProperty("containers.app");
    const yaml = await run(["-f", map, "config", "-o", "yaml"]);
    expect(yaml.stdout).toMatch(/^containers:/m);
  });
});

describe("global options after the command, and commands' own short names", () => {
  it("takes -f after the command, and `logs -f` is --follow (the map file is not taken from it)", async () => {
    const map = write("late.yaml", "app:\n  image: busybox:1\n");
    expect((await run(["validate", "-f", map])).stdout).toContain("is valid");
    // `logs -f app` without a map file in the folder: -f did not swallow `app` as a file name.
    const logs = await run(["logs", "-f", "app"], { BERTH_FILE: join(dir, "absent.yaml") });
    expect(logs.stderr).toContain(`cannot read map file ${join(dir, "absent.yaml")}`);
  });

  it("reads an option's value in all its forms", () => {
    expect(optionValue(["-H", "unix:///a", "plan"], "-H, --host <url>")).toBe("unix:///a");
    expect(optionValue(["--host=tcp://b:1", "plan"], "-H, --host <url>")).toBe("tcp://b:1");
    expect(optionValue(["-Hunix:///c"], "-H, --host <url>")).toBe("unix:///c");
    expect(optionValue(["plan", "--", "--host", "x"], "-H, --host <url>")).toBeUndefined();
  });
});

describe("berth completion", () => {
  it.each(["bash", "zsh", "fish"])("%s: names every command and the global options", async (shell) => {
    const result = await run(["completion", shell]);
    expect(result.code).toBe(0);
    for (const command of ["validate", "plan", "update", "status", "logs", "apply", "completion"])
      expect(result.stdout).toContain(command);
    for (const option of ["context", "env-file", "progress"]) expect(result.stdout).toContain(option);
  });

  it("refuses another shell", async () => {
    expect((await run(["completion", "tcsh"])).code).toBe(1);
  });
});
