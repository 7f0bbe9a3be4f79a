import { describe, expect, it } from "vitest";
import { berth } from "../helpers/cli.js";
import { FIXTURE_IMAGES } from "../helpers/engine.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { docker } from "../helpers/checker/docker-cli.js";

/**
 * A network's `ipam` in Compose's spelling (`ip_range`, `aux_addresses`) reaches the engine: it
 * matches keys without regard to case but not to underscores, and dropped them without a word.
 */
const workspace = mapWorkspace("network-ipam");

describe("a network's ipam", () => {
  it("gives the engine the range and auxiliary addresses the map writes", async () => {
    const mapName = workspace.name("ipam");
    const third = 100 + (Date.now() % 100);
    const file = workspace.write(
      mapName,
      `
name: ${mapName}
networks:
  back:
    create_options:
      ipam:
        config:
          - {subnet: 10.239.${third}.0/24, ip_range: 10.239.${third}.128/25, gateway: 10.239.${third}.1, aux_addresses: {spare: 10.239.${third}.2}}
web:
  image: ${FIXTURE_IMAGES.base1}
  networks: [back]
`,
    );
    const run = await berth(["-f", file, "startup", "--progress", "quiet"]);
    expect(run.code, run.stderr).toBe(0);
    const config = JSON.parse(
      await docker("network", "inspect", `${mapName}.back`, "--format", "{{json .IPAM.Config}}"),
    ) as unknown;
    expect(config).toEqual([
      {
        Subnet: `10.239.${third}.0/24`,
        IPRange: `10.239.${third}.128/25`,
        Gateway: `10.239.${third}.1`,
        AuxiliaryAddresses: { spare: `10.239.${third}.2` },
      },
    ]);
    const web = await workspace.engine.inspectContainer(`${mapName}.web`);
    const address = web.NetworkSettings.Networks?.[`${mapName}.back`]?.IPAddress ?? "";
    expect(Number(address.split(".")[3])).toBeGreaterThanOrEqual(128);
  });
});
