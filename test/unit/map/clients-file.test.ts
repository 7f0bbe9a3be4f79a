import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/common/berth-error.js";
import { contextId } from "../../../src/engine/docker-context.js";
import { loadClientsFile } from "../../../src/map/clients-file.js";
import { fakeDockerConfigs } from "../../helpers/docker-config.js";

const configs = fakeDockerConfigs();
const folder = mkdtempSync(join(tmpdir(), "berth-clients-"));
afterAll(() => {
  configs.removeAll();
  rmSync(folder, { recursive: true, force: true });
});

function clientsFile(text: string): string {
  const file = join(folder, `clients-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

function errorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("clients named by a Docker context (`context: NAME`)", () => {
  const dockerConfig = configs.make({
    local: { host: "unix:///run/berth-e2.sock" },
    secure: { host: "tcp://10.0.0.9:2376", tls: ["ca.pem", "cert.pem", "key.pem"] },
    remote: { host: "ssh://ops@build-host" },
  });
  const env = { DOCKER_CONFIG: dockerConfig };
  const tlsOf = (name: string) => join(dockerConfig, "contexts", "tls", contextId(name), "docker");

  it("resolves each context's engine, TLS files and ssh host as the docker CLI does", () => {
    const file = clientsFile(
      "a: {context: local, interfaces: {private: 10.0.0.1}}\nb: {context: secure}\nc: {context: remote}\nd: {base_url: unix:///run/d.sock}\n",
    );
    const clients = loadClientsFile(file, env);
    expect(clients.a).toMatchObject({
      context: "local",
      endpoint: { host: "unix:///run/berth-e2.sock", context: "local", source: "clients file context" },
      interfaces: { private: "10.0.0.1" },
    });
    expect(clients.a?.endpoint?.tls).toBeUndefined();
    expect(clients.b?.endpoint).toMatchObject({
      host: "tcp://10.0.0.9:2376",
      tls: {
        ca: join(tlsOf("secure"), "ca.pem"),
        cert: join(tlsOf("secure"), "cert.pem"),
        key: join(tlsOf("secure"), "key.pem"),
        skipVerify: false,
      },
    });
    expect(clients.c?.endpoint).toMatchObject({ host: "ssh://ops@build-host" });
    expect(clients.c?.endpoint?.tls).toBeUndefined();
    expect(clients.d).toEqual({ base_url: "unix:///run/d.sock", interfaces: {}, interfaces_ipv6: {} });
  });

  it("refuses a client with both base_url and context, at FILE:LINE:COL", () => {
    const file = clientsFile(
      "a: {base_url: unix:///run/a.sock}\nb:\n  base_url: unix:///run/b.sock\n  context: local\n",
    );
    const err = errorOf(() => loadClientsFile(file, env));
    expect(err.message).toBe(`${file}:4:12: client b names its engine twice: \`base_url\` and \`context\``);
  });

  it("refuses an unknown context, naming it and the clients file", () => {
    const file = clientsFile("e2:\n  context: nowhere\n");
    const err = errorOf(() => loadClientsFile(file, env));
    expect(err.message).toMatch(
      new RegExp(
        `^${file.replace(/[.]/g, "\\.")}:2:12: client e2: Docker context \`nowhere\` \\(\`context\` of the clients file\\) does not exist`,
      ),
    );
    expect(err.hint).toMatch(/docker context ls/);
  });

  it("refuses a context that is not a name", () => {
    const file = clientsFile("e2: {context: [a]}\n");
    expect(errorOf(() => loadClientsFile(file, env)).message).toBe(
      `${file}:1:15: client e2: \`context\` must name a Docker context`,
    );
  });

  it("names the position of an unknown key and of a YAML error", () => {
    const unknown = clientsFile("e2:\n  contxt: local\n");
    expect(errorOf(() => loadClientsFile(unknown, env)).message).toBe(
      `${unknown}:2:11: client e2: unknown key \`contxt\``,
    );
    const broken = clientsFile("e2: {context: local\n");
    expect(errorOf(() => loadClientsFile(broken, env)).message).toMatch(
      new RegExp(`^${broken.replace(/[.]/g, "\\.")}:\\d+:\\d+: cannot read clients file`),
    );
  });
});

describe("a swarm manager (`mode: swarm`) and its node clients (`swarm: MANAGER`)", () => {
  it("reads the mode, the node label and the nodes", () => {
    const file = clientsFile(
      "sw: {base_url: unix:///run/berth-e4.sock, mode: swarm, node_label: berth.test.node}\n" +
        "e4: {swarm: sw}\ne5: {base_url: unix:///run/berth-e5.sock, swarm: sw}\ne2: {mode: engine}\n",
    );
    const clients = loadClientsFile(file, {});
    expect(clients.sw).toMatchObject({ mode: "swarm", node_label: "berth.test.node" });
    expect(clients.e4?.swarm).toBe("sw");
    expect(clients.e5).toMatchObject({ swarm: "sw", base_url: "unix:///run/berth-e5.sock" });
    expect(clients.e2?.mode).toBe("engine");
  });

  it("refuses an unknown mode where it is written", () => {
    const file = clientsFile("sw:\n  mode: cluster\n");
    const err = errorOf(() => loadClientsFile(file, {}));
    expect(err.message).toBe(`${file}:2:9: client sw: \`mode\` is \`engine\` or \`swarm\``);
  });

  it("refuses a node label on a plain engine, and one that is not a label name", () => {
    expect(errorOf(() => loadClientsFile(clientsFile("e2: {node_label: x}\n"), {})).message).toMatch(
      /:1:18: client e2: `node_label` is for a swarm manager$/,
    );
    expect(
      errorOf(() => loadClientsFile(clientsFile("sw: {mode: swarm, node_label: 'a b'}\n"), {})).message,
    ).toMatch(/client sw: `node_label` must be a node label name$/);
  });

  it("refuses a node of a client that is no swarm manager, or of a manager without a node label", () => {
    expect(errorOf(() => loadClientsFile(clientsFile("e2: {}\ne4: {swarm: e2}\n"), {})).message).toMatch(
      /:2:13: client e4: `e2` is not a swarm manager of this file$/,
    );
    const err = errorOf(() => loadClientsFile(clientsFile("sw: {mode: swarm}\ne4: {swarm: sw}\n"), {}));
    expect(err.message).toMatch(/client e4 is a node of `sw`, which has no `node_label`$/);
    expect(err.hint).toMatch(/node_label/);
  });

  it("refuses a manager that is also a node", () => {
    const file = clientsFile("sw: {mode: swarm, node_label: n}\nsw2: {mode: swarm, swarm: sw}\n");
    expect(errorOf(() => loadClientsFile(file, {})).message).toMatch(
      /client sw2 is a swarm manager and a node of `sw`/,
    );
  });
});
