import { describe, expect, it } from "vitest";
import { ipamForEngine, unknownIpamKey } from "../../../src/map/ipam.js";

describe("a network's ipam in the engine's keys", () => {
  it("takes Compose's, docker-py's and the engine's spellings alike", () => {
    const engine = {
      Driver: "default",
      Options: { a: "b" },
      Config: [
        {
          Subnet: "10.1.0.0/16",
          IPRange: "10.1.1.0/24",
          Gateway: "10.1.0.1",
          AuxiliaryAddresses: { h: "10.1.0.2" },
        },
      ],
    };
    const compose = {
      driver: "default",
      options: { a: "b" },
      config: [
        {
          subnet: "10.1.0.0/16",
          ip_range: "10.1.1.0/24",
          gateway: "10.1.0.1",
          aux_addresses: { h: "10.1.0.2" },
        },
      ],
    };
    const dockerPy = {
      ...compose,
      config: [{ ...compose.config[0], ip_range: undefined, iprange: "10.1.1.0/24" }],
    };
    delete (dockerPy.config[0] as Record<string, unknown>).ip_range;
    expect(ipamForEngine(compose)).toEqual(engine);
    expect(ipamForEngine(dockerPy)).toEqual(engine);
    expect(ipamForEngine(engine)).toEqual(engine);
    expect([compose, dockerPy, engine].map(unknownIpamKey)).toEqual([undefined, undefined, undefined]);
  });

  it("names the first key the engine would drop", () => {
    expect(unknownIpamKey({ config: [{ subnet: "10.1.0.0/16", range: "x" }] })).toBe("config: range");
    expect(unknownIpamKey({ driver_opts: {} })).toBe("driver_opts");
  });
});
