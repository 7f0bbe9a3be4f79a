import { describe, expect, it } from "vitest";
import { isPlanError } from "../../../src/plan/plan-context.js";
import { deployed, mapOf, planWorld, stepSummary } from "../../helpers/plan-fixtures.js";
import { engineOf, worldFor } from "../../helpers/simulated-engine.js";

/**
 * `container:NAME` in network_mode, ipc_mode or pid_mode names a Docker container that must run
 * when the new container is made: the engine refuses it otherwise, at create or start, after a
 * recreate had removed the old container. The plan refuses it first, and changes nothing.
 */

async function planError(
  yaml: string,
  setUp: (engine: ReturnType<typeof engineOf>) => void = () => undefined,
) {
  const map = mapOf(yaml);
  const world = worldFor(map);
  setUp(engineOf(world));
  try {
    await planWorld(map, world);
  } catch (err) {
    if (isPlanError(err)) return err;
    throw err;
  }
  return undefined;
}

describe("a namespace shared with a container by its name", () => {
  for (const field of ["network_mode", "ipc_mode", "pid_mode"] as const) {
    const mode =
      field === "network_mode" ? `network_mode: "container:ext"` : `host_config: {${field}: "container:ext"}`;
    const yaml = `web:\n  image: app:1\n  ${mode}\n`;

    it(`${field}: a container that does not exist is refused at plan time, naming it`, async () => {
      const err = await planError(yaml);
      expect(err?.message).toBe(
        `engine default: container web has ${field} \`container:ext\`, but no container of that name exists on the engine`,
      );
      expect(err?.hint).toMatch(/start it first, or fix the name; nothing was changed/);
    });

    it(`${field}: a stopped one is refused; a running one plans`, async () => {
      const create = (engine: ReturnType<typeof engineOf>) =>
        engine.createContainer("ext", { Image: "app:1" });
      expect((await planError(yaml, create))?.message).toMatch(/container ext is created on the engine/);
      const running = (engine: ReturnType<typeof engineOf>) => engine.startContainer(create(engine));
      expect(await planError(yaml, running)).toBeUndefined();
    });
  }

  it("ipc_mode of the map's own container must already run (berth does not order it)", async () => {
    const yaml = `db:\n  image: app:1\nweb:\n  image: app:1\n  host_config: {ipc_mode: "container:app.db"}\n`;
    expect((await planError(yaml))?.message).toMatch(/container web has ipc_mode `container:app.db`/);
    // Once db runs, web is made.
    const world = await deployed(mapOf(`db:\n  image: app:1\n`));
    expect(stepSummary(await planWorld(mapOf(yaml), world))).toContain("create-container web");
  });

  it("network_mode naming a config of the map is ordered after it, not refused", async () => {
    expect(
      await planError(`db:\n  image: app:1\nweb:\n  image: app:1\n  network_mode: db\n`),
    ).toBeUndefined();
  });
});
