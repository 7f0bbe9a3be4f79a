import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { berth, REPO_ROOT } from "../../helpers/cli.js";

/**
 * README's picture (docs/graph.svg, made by `berth graph --format svg` with Graphviz) shows
 * examples/networks as `berth graph` sees it now: the same nodes and edge labels as the dot text.
 */
describe("docs/graph.svg", () => {
  it("is referenced by README and draws the nodes and edge labels of examples/networks", async () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain("](docs/graph.svg)");
    const svg = readFileSync(join(REPO_ROOT, "docs/graph.svg"), "utf8");
    const run = await berth(["-f", "examples/networks/berth.yaml", "graph"]);
    expect(run.code, run.stderr).toBe(0);
    const labels = [...run.stdout.matchAll(/label="([^"]+)"/g)].map((m) => m[1] as string);
    expect(labels.length).toBeGreaterThan(5);
    // Graphviz writes each line of a label as a text element of its own.
    const texts = new Set([...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] as string));
    for (const label of labels) for (const line of label.split("\\n")) expect(texts, line).toContain(line);
  });
});
