import { describe, expect, it } from "vitest";
import { digest } from "../../../src/common/canonical-json.js";
import type { ResolvedNetwork, ResolvedVolume } from "../../../src/map/model.js";
import { LABEL } from "../../../src/model/labels.js";
import type { ObservedNetwork, ObservedVolume } from "../../../src/observe/observed-state.js";
import { networkLabels, volumeLabels } from "../../../src/plan/object-definition.js";
import { decideNetwork, decideVolume, type ResourceAction } from "../../../src/plan/resource-decision.js";
import { StepIndex } from "../../../src/plan/step-index.js";

/**
 * The decisions on networks and volumes, over plain data: one digest of the whole definition,
 * reasons naming each field that changed, and a fair comparison of objects an older berth made.
 */

const UPDATE: ResourceAction = { mapName: "app", update: true, recreateVolumes: false };
const STARTUP: ResourceAction = { ...UPDATE, update: false };

const NETWORK: ResolvedNetwork = {
  key: "back",
  name: "app.back",
  driver: "bridge",
  driver_options: { "com.docker.network.bridge.enable_icc": "true" },
  internal: false,
  enable_ipv6: false,
  attachable: false,
  labels: { team: "a" },
};

/** The network as berth creates it now (labels with the definition record), as the list shows it. */
function created(network: ResolvedNetwork, labels = networkLabels("app", network)): ObservedNetwork {
  return {
    id: "n".repeat(64),
    name: network.name,
    driver: network.driver,
    options: network.driver_options,
    internal: network.internal,
    labels,
    mapName: labels[LABEL.map],
  };
}

/** The labels berth 0.1 (before the definition record) put on a network. */
function olderLabels(network: ResolvedNetwork, withHash: boolean): Record<string, string> {
  const hash = digest(
    {
      driver: network.driver,
      options: network.driver_options,
      internal: network.internal,
      ipv6: network.enable_ipv6,
      attachable: network.attachable,
      labels: network.labels,
    },
    32,
  );
  return {
    ...network.labels,
    [LABEL.map]: "app",
    [LABEL.kind]: "network",
    [LABEL.alias]: network.key,
    ...(withHash ? { [LABEL.specHash]: hash } : {}),
    [LABEL.version]: "0.1.0",
  };
}

describe("decideNetwork", () => {
  it("creates a missing network, uses a foreign one as it is, keeps one that matches", () => {
    expect(decideNetwork(NETWORK, undefined, UPDATE)).toEqual({
      kind: "create",
      reasons: [{ message: "network does not exist" }],
    });
    const foreign = { ...created(NETWORK), labels: {}, mapName: undefined };
    expect(decideNetwork(NETWORK, foreign, UPDATE)).toEqual({ kind: "foreign" });
    expect(decideNetwork(NETWORK, created(NETWORK), UPDATE)).toEqual({ kind: "keep" });
  });

  it.each([
    ["labels", { labels: { team: "b" } }, { team: "a" }, { team: "b" }],
    ["internal", { internal: true }, false, true],
    ["enable_ipv6", { enable_ipv6: true }, false, true],
    ["attachable", { attachable: true }, false, true],
    [
      "ipam",
      { ipam: { Config: [{ Subnet: "10.9.0.0/24" }] } },
      null,
      { Config: [{ Subnet: "10.9.0.0/24" }] },
    ],
  ] as const)(
    "a change of %s is planned for recreate, with a reason naming it",
    (field, change, old, now) => {
      const desired: ResolvedNetwork = { ...NETWORK, ...change };
      expect(decideNetwork(desired, created(NETWORK), UPDATE)).toEqual({
        kind: "recreate",
        reasons: [{ message: `${field} changed`, field, old, new: now }],
      });
      expect(decideNetwork(desired, created(NETWORK), STARTUP)).toMatchObject({ kind: "outdated" });
    },
  );

  it("a network an older berth made (older digest, or none) is not recreated for its labels' format", () => {
    for (const withHash of [true, false]) {
      const older = created(NETWORK, olderLabels(NETWORK, withHash));
      expect(decideNetwork(NETWORK, older, UPDATE)).toEqual({ kind: "keep" });
    }
  });

  it("a network an older berth made is compared on what the list shows and what its digest covered", () => {
    const older = created(NETWORK, olderLabels(NETWORK, true));
    expect(decideNetwork({ ...NETWORK, labels: { team: "b" } }, older, UPDATE)).toEqual({
      kind: "recreate",
      reasons: [{ message: "labels changed", field: "labels", old: { team: "a" }, new: { team: "b" } }],
    });
    expect(decideNetwork({ ...NETWORK, attachable: true }, older, UPDATE)).toEqual({
      kind: "recreate",
      reasons: [{ message: "enable_ipv6 or attachable changed", field: "create_options" }],
    });
    // Without a digest, what the list does not show cannot be compared: it is left as it is.
    const undigested = created(NETWORK, olderLabels(NETWORK, false));
    expect(decideNetwork({ ...NETWORK, attachable: true }, undigested, UPDATE)).toEqual({ kind: "keep" });
  });
});

const VOLUME: ResolvedVolume = {
  key: "data",
  alias: "data",
  name: "app.data",
  owner: "db",
  path: "/data",
  driver: "local",
  driver_options: { type: "tmpfs", device: "tmpfs" },
  labels: {},
};

function volumeOf(volume: ResolvedVolume, labels: Record<string, string>): ObservedVolume {
  return { name: volume.name, driver: volume.driver, options: volume.driver_options, labels, mapName: "app" };
}

describe("decideVolume", () => {
  const changed: ResolvedVolume = { ...VOLUME, driver_options: { ...VOLUME.driver_options, o: "size=1m" } };
  const observed = volumeOf(VOLUME, volumeLabels("app", VOLUME));
  const reason = {
    message: "driver_options changed",
    field: "driver_options",
    old: VOLUME.driver_options,
    new: changed.driver_options,
  };

  it("update refuses a volume that differs; --recreate-volumes recreates it; startup reports it", () => {
    expect(decideVolume(VOLUME, observed, UPDATE)).toEqual({ kind: "keep" });
    expect(decideVolume(changed, observed, UPDATE)).toEqual({ kind: "refuse", reasons: [reason] });
    expect(decideVolume(changed, observed, { ...UPDATE, recreateVolumes: true })).toEqual({
      kind: "recreate",
      reasons: [reason, { message: "--recreate-volumes: its data is lost" }],
    });
    expect(decideVolume(changed, observed, STARTUP)).toMatchObject({ kind: "outdated" });
  });

  it("a volume an older berth made (digest of driver and options) is kept when the map did not change", () => {
    const older = volumeOf(VOLUME, {
      [LABEL.map]: "app",
      [LABEL.kind]: "volume",
      [LABEL.alias]: "data",
      [LABEL.specHash]: digest({ driver: VOLUME.driver, options: VOLUME.driver_options }, 32),
    });
    expect(decideVolume(VOLUME, older, UPDATE)).toEqual({ kind: "keep" });
    expect(decideVolume(changed, older, UPDATE)).toEqual({ kind: "refuse", reasons: [reason] });
  });
});

describe("StepIndex", () => {
  it("records a fact once: the same step again is fine, another one is a bug", () => {
    const index = new StepIndex();
    expect(index.get("ready", "web")).toBeUndefined();
    index.set("ready", "web", "start-container:default/app.web");
    expect(index.set("ready", "web", "start-container:default/app.web")).toBe(
      "start-container:default/app.web",
    );
    expect(() => index.set("ready", "web", "exec:default/app.web")).toThrow(/already after/);
    let emitted = 0;
    const emit = () => `pull-image:default/img-${++emitted}`;
    expect(index.getOrSet("pull", "img", emit)).toBe("pull-image:default/img-1");
    expect(index.getOrSet("pull", "img", emit)).toBe("pull-image:default/img-1");
  });
});
