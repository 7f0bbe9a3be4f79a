import { describe, expect, it } from "vitest";
import { bindingsOverlap, isPlanError } from "../../../src/plan/plan-context.js";
import { deployed, mapOf, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";
import { engineOf } from "../../helpers/simulated-engine.js";

/**
 * Issue 14 item 10: a host port held by a foreign container fails the plan, before a recreate has
 * removed anything, instead of failing the new container's start.
 */
const mapText = (version: string) => `
web:
  image: web:1
  environment: {V: "${version}"}
  exposes: [[80, 8080]]
other:
  image: other:1
`;

function runForeign(world: Awaited<ReturnType<typeof deployed>>, hostPort: string, hostIp = ""): void {
  const engine = engineOf(world);
  engine.pullImage("foreign:1");
  engine.createContainer("hand-made", {
    Image: "foreign:1",
    HostConfig: { PortBindings: { "9000/tcp": [{ HostIp: hostIp, HostPort: hostPort }] } },
  });
  engine.startContainer("hand-made");
}

describe("host ports held by a foreign container", () => {
  it("refuse at plan time the recreate that needs the port, naming the holder", async () => {
    const world = await deployed(mapOf(mapText("1")));
    engineOf(world).stopContainer("app.web");
    runForeign(world, "8080");
    const planned = planWorld(mapOf(mapText("2")), world, { action: "update" });
    await expect(planned).rejects.toSatisfy(isPlanError);
    await expect(planned).rejects.toThrow(
      "container web publishes 0.0.0.0:8080/tcp, but container hand-made (not created by berth) holds 0.0.0.0:8080/tcp",
    );
  });

  it("leave alone plans that do not create a container on that port", async () => {
    const world = await deployed(mapOf(mapText("1")));
    runForeign(world, "8081");
    expect(stepSummary(await planWorld(mapOf(mapText("2")), world, { action: "update" }))).toContain(
      "create-container web",
    );
    const held = await deployed(mapOf(mapText("1")));
    engineOf(held).stopContainer("app.web");
    runForeign(held, "8080");
    // Starting the existing container is not a create: the engine says what it says at start.
    expect(stepSummary(await planWorld(mapOf(mapText("1")), held, { action: "update" }))).toEqual([
      "start-container web",
    ]);
  });

  it("overlap: same port and protocol, and an address in common", () => {
    expect(bindingsOverlap("0.0.0.0:80/tcp", "127.0.0.1:80/tcp")).toBe(true);
    expect(bindingsOverlap("127.0.0.1:80/tcp", "127.0.0.2:80/tcp")).toBe(false);
    expect(bindingsOverlap("0.0.0.0:80/tcp", "0.0.0.0:80/udp")).toBe(false);
    expect(bindingsOverlap("0.0.0.0:80/tcp", ":::80/tcp")).toBe(true);
    expect(bindingsOverlap("0.0.0.0:80/tcp", "0.0.0.0:81/tcp")).toBe(false);
  });
});
