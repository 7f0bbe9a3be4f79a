import { describe, expect, it } from "vitest";
import { networkCreateBody, volumeCreateBody } from "../../../src/desired/object-bodies.js";
import { NETWORK_FIELDS, VOLUME_FIELDS } from "../../../src/fields/fields-objects.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/** Network and volume create requests come from the registry's tables, like containers'. */
const MAP = `
networks:
  back:
    driver: bridge
    driver_options: {com.docker.network.bridge.enable_icc: "false"}
    internal: true
    create_options: {attachable: true, labels: {team: a}, ipam: {Config: [{Subnet: 10.9.0.0/24}]}}
volumes:
  data: {default_path: /data, driver: local, driver_options: {type: tmpfs, device: tmpfs}}
db: {image: "db:1", attaches: data, networks: back}
`;

describe("network and volume create bodies", () => {
  const map = mapOf(MAP).resolved;
  const network = map.networks.find((n) => n.key === "back");
  const volume = map.volumes.find((v) => v.key === "data");

  it("carry every key of the map to its Docker field", () => {
    expect(networkCreateBody(network!, { l: "1" })).toEqual({
      Name: "app.back",
      Driver: "bridge",
      Options: { "com.docker.network.bridge.enable_icc": "false" },
      Internal: true,
      EnableIPv6: false,
      Attachable: true,
      Labels: { l: "1" },
      IPAM: { Config: [{ Subnet: "10.9.0.0/24" }] },
    });
    expect(volumeCreateBody(volume!, { l: "1" })).toEqual({
      Name: "app.data",
      Driver: "local",
      DriverOpts: { type: "tmpfs", device: "tmpfs" },
      Labels: { l: "1" },
    });
  });

  it("every `copy` entry of the registry names a key the resolved object has", () => {
    for (const [key, field] of Object.entries(NETWORK_FIELDS))
      if ("copy" in field.docker) expect(network, key).toHaveProperty(key);
    for (const [key, field] of Object.entries(VOLUME_FIELDS))
      if ("copy" in field.docker) expect(volume, key).toHaveProperty(key);
  });
});
