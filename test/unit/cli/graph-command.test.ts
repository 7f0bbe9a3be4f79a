import { afterAll, describe, expect, it } from "vitest";
import { berth, tempFolder, writeMap } from "../../helpers/cli.js";

const folder = tempFolder("graph-command");
afterAll(() => folder.remove());
const file = writeMap(
  folder.dir,
  `
name: g
networks: { backend: {} }
db: { image: db:1, networks: backend }
web:
  image: web:1
  instances: [a, b]
  networks: backend
  links: db
  depends_on: { db: healthy }
`,
);

describe("berth graph", () => {
  it("prints dot with configs, a network cluster and the depends_on condition", async () => {
    const run = await berth(["-f", file, "graph"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('label="network backend"');
    expect(run.stdout).toContain('"container:web" [label="web ×2", shape=box];');
    expect(run.stdout).toContain(
      '"container:web" -> "container:db" [label="depends_on: healthy", style=dotted];',
    );
  });

  it("filters edge kinds and expands instances", async () => {
    const run = await berth(["-f", file, "graph", "--edges", "links", "--instances"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('"container:web.a" -> "container:db" [label="links", style=solid];');
    expect(run.stdout).not.toContain("depends_on");
    expect(run.stdout).not.toContain("cluster");
    const bad = await berth(["-f", file, "graph", "--edges", "links,volumes"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown edge kind "volumes"');
  });

  it("says what to install when Graphviz's dot is not on the PATH", async () => {
    const run = await berth(["-f", file, "graph", "--format", "svg"], { env: { PATH: "/nonexistent" } });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("--format svg needs Graphviz's `dot` on the PATH");
    expect(run.stderr).toContain("install Graphviz");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("draws svg with Graphviz's dot (scripts/test-engine.sh installs it)", async () => {
    const run = await berth(["-f", file, "graph", "--format", "svg"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("<svg");
  });

  it("keeps json the whole graph of instances, for tools", async () => {
    const run = await berth(["-f", file, "graph", "--format", "json"]);
    const graph = JSON.parse(run.stdout) as { nodes: { id: string }[] };
    expect(graph.nodes.map((n) => n.id)).toContain("container:web.a");
    expect(graph.nodes.map((n) => n.id)).toContain("network:backend");
  });
});
