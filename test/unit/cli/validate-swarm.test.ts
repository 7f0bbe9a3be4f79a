import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { berth } from "../../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "berth-validate-swarm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const clients = write(
  "clients.yaml",
  "sw: {base_url: unix:///run/berth-e4.sock, mode: swarm, node_label: berth.test.node}\n" +
    "e4: {swarm: sw}\ne5: {swarm: sw}\nplain: {base_url: unix:///run/berth-e2.sock}\n",
);

describe("berth validate --clients with a swarm client (no engine asked)", () => {
  it("accepts a map every key of which maps to a service", async () => {
    const map = write(
      "good.yaml",
      'clients: [sw]\ndb: {image: "berth-test/base:1"}\napp: {image: "berth-test/base:1", swarm: {replicas: 3}, depends_on: {db: started}}\n',
    );
    const result = await berth(["-f", map, "--clients", clients, "validate"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("is valid: 2 container(s)");
  });

  it("refuses what a swarm cannot run at FILE:LINE:COL, with why, exit 1, no stack trace", async () => {
    const map = write(
      "bad.yaml",
      [
        "clients: [sw, plain]",
        "db:",
        '  image: "berth-test/base:1"',
        "  clients: [plain]",
        "web:",
        '  image: "berth-test/base:1"',
        "  clients: [sw]",
        "  exec_commands: [echo hi]",
        "  host_config: {privileged: true}",
        "  links: [db]",
        "",
      ].join("\n"),
    );
    const result = await berth(["-f", map, "--clients", clients, "validate"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `${map}:8:18: \`exec_commands\` cannot run on a swarm: Swarm has no exec into tasks`,
    );
    expect(result.stderr).toContain(
      `${map}:9:29: \`host_config.privileged\` cannot run on a swarm: Swarm does not run privileged tasks`,
    );
    expect(result.stderr).toContain(
      `${map}:10:11: \`web\` links to \`db\` between a swarm and another engine`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("without --clients the same map is checked for plain engines only", async () => {
    const map = write(
      "plain-only.yaml",
      'web:\n  image: "berth-test/base:1"\n  host_config: {privileged: true}\n',
    );
    expect((await berth(["-f", map, "validate"])).code).toBe(0);
  });

  it("names the clients file position of a bad mode", async () => {
    const bad = write("bad-clients.yaml", "sw:\n  mode: cluster\n");
    const map = write("any.yaml", 'web: {image: "w:1"}\n');
    const result = await berth(["-f", map, "--clients", bad, "validate"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:2:9: client sw: \`mode\` is \`engine\` or \`swarm\``);
  });
});
