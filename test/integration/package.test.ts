import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npm, readJson, writeConsumerProject } from "../helpers/package-install.js";

/**
 * The npm package as a user gets it: `npm pack` (with the dist/ that `npm test` has just built —
 * prepack would build it again, slowly, under the other tests' feet), installed from the tarball
 * into a project of its own with no registry (`--offline`: dependencies from npm's cache), then used
 * as an executable, as an ES module, through require() and from strictly checked TypeScript.
 */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pkg = readJson<{ name: string; version: string; scripts: Record<string, string> }>(
  join(REPO_ROOT, "package.json"),
);

let dir: string;
let packedFiles: string[];
let installedAt: string;

const run = (command: string, args: string[]) =>
  spawnSync(command, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: "1" },
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-package-"));
  const packed = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], REPO_ROOT);
  expect(packed.status, packed.stderr).toBe(0);
  const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  packedFiles = report!.files.map((file) => file.path);
  writeConsumerProject(REPO_ROOT, dir, report!.filename);
  const installed = npm(["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], dir);
  expect(installed.status, installed.stderr).toBe(0);
  installedAt = join(dir, "node_modules", pkg.name);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("builds dist/ when packed (prepack), which the executable and the API need", () => {
    expect(pkg.scripts.prepack).toMatch(/\bnpm run build\b/);
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        "bin/berth.js",
        "dist/berth-entry.cjs",
        "dist/berth-cli.cjs",
        "dist/index.js",
        "dist/index.d.ts",
        "schemas/container-map.schema.json",
        "schemas/plan.schema.json",
        "LICENSE",
        "README.md",
        "package.json",
      ]),
    );
    expect(packedFiles.filter((file) => /^(src|test|scripts)\//.test(file))).toEqual([]);
  });

  it("ships source maps that carry their sources (src/ is not shipped)", () => {
    const maps = packedFiles.filter((file) => file.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const without = maps.filter((file) => {
      const map = readJson<{ sources: string[]; sourcesContent?: (string | null)[] }>(
        join(installedAt, file),
      );
      return (
        map.sourcesContent?.length !== map.sources.length ||
        map.sourcesContent.some((s) => typeof s !== "string")
      );
    });
    expect(without).toEqual([]);
  });

  it("installs an executable `berth` that prints the package's version and validates a map", () => {
    const version = run(join(dir, "node_modules/.bin/berth"), ["--version"]);
    expect(version.stderr).toBe("");
    expect(version.stdout.trim()).toBe(pkg.version);
    writeFileSync(join(dir, "berth.yaml"), "name: packaged\napp:\n  image: berth-test/base:1\n");
    const valid = run(join(dir, "node_modules/.bin/berth"), ["validate"]);
    expect(valid.stderr).toBe("");
    expect(valid.stdout).toContain("map `packaged` is valid");
  });

  it("is imported as an ES module, with its schemas as subpaths", () => {
    writeFileSync(
      join(dir, "consumer.mjs"),
      `import { loadMap, isMapError, PLAN_FORMAT } from "${pkg.name}";
import schema from "${pkg.name}/schemas/container-map.schema.json" with { type: "json" };
const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": "name: esm\\napp:\\n  image: x\\n" } });
let problem;
try {
  loadMap({ files: ["bad.yaml"], texts: { "bad.yaml": "app:\\n  image: [\\n" } });
} catch (err) {
  problem = isMapError(err) ? err.problems[0].at : String(err);
}
console.log(JSON.stringify({ name: map.name, PLAN_FORMAT, id: schema.$id, problem }));
`,
    );
    const result = run(process.execPath, ["consumer.mjs"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      name: "esm",
      PLAN_FORMAT: "berth.plan/1",
      id: "https://berth.dev/schemas/container-map.schema.json",
      problem: { file: "bad.yaml", line: 2, col: 10 },
    });
  });

  it("is required from CommonJS as the same module the import gives", () => {
    writeFileSync(
      join(dir, "consumer.cjs"),
      `const berth = require("${pkg.name}");
const map = berth.loadMap({ files: ["m.yaml"], texts: { "m.yaml": "name: cjs\\napp:\\n  image: x\\n" } });
import("${pkg.name}").then((esm) => {
  console.log(JSON.stringify({ name: map.name, same: esm.MapError === berth.MapError }));
});
`,
    );
    const result = run(process.execPath, ["consumer.cjs"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ name: "cjs", same: true });
  });

  it("type-checks in a strict TypeScript consumer that checks the package's declarations (skipLibCheck false)", () => {
    writeFileSync(
      join(dir, "consumer.ts"),
      `import {
  loadMap, openEngines, reconcile, renderPlanText, isMapError, DockerEngine,
  type Engines, type LoadedMap, type Plan, type ProgressEvent, type ReconcileOptions, type Step,
} from "${pkg.name}";

const map: LoadedMap = loadMap({ files: ["berth.yaml"] });
const engines: Engines = openEngines(map);
export const other = new DockerEngine({ name: "other", baseUrl: "tcp://localhost:2375" });
const options: ReconcileOptions = {
  action: "update",
  dryRun: true,
  onProgress: (event: ProgressEvent) => console.error(event.type),
};
export async function planText(): Promise<string> {
  try {
    const { plan }: { plan: Plan } = await reconcile(map, engines, options);
    const steps: readonly Step[] = plan.steps;
    return \`\${renderPlanText(plan)} (\${steps.length} steps)\`;
  } catch (err) {
    return isMapError(err) ? err.problems.map((p) => p.message).join("\\n") : String(err);
  }
}
`,
    );
    writeFileSync(
      join(dir, "consumer.cts"),
      `import berth = require("${pkg.name}");
export const loaded: berth.LoadedMap = berth.loadMap({ files: ["berth.yaml"] });
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
          types: ["node"],
        },
        files: ["consumer.ts", "consumer.cts"],
      }),
    );
    const tsc = run(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "."]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 240_000);
});
