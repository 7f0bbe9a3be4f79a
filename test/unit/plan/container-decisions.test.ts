import { describe, expect, it } from "vitest";
import type { ObservedContainer } from "../../../src/observe/observed-state.js";
import {
  decideContainer,
  endpointChanges,
  needsStart,
  staleReferences,
  type DecisionInput,
} from "../../../src/plan/container-decision.js";
import { defaultClientContext } from "../../../src/plan/plan.js";
import {
  buildContainerSpec,
  containerNameLookup,
  type ContainerSpec,
} from "../../../src/desired/container-spec.js";
import { decodeSpecLabel, encodeSpecLabels } from "../../../src/desired/spec-label.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/** A container's decision over plain data: a spec, what the engine shows, and the plan's facts. */

function specOf(yaml: string, key = "web"): ContainerSpec {
  const map = mapOf(yaml);
  const container = map.resolved.containers.find((c) => c.key === key);
  if (container === undefined) throw new Error(`no ${key}`);
  return buildContainerSpec(container, defaultClientContext(), containerNameLookup(map.resolved));
}

const WEB = `
networks: {back: {}}
web:
  image: web:1
  environment: {FOO: "1"}
  host_config: {mem_limit: 64m}
  networks: {back: {aliases: [api]}}
`;

/** The container berth made from `spec`, in `state`, on the image `imageId`. */
function made(spec: ContainerSpec, fields: Partial<ObservedContainer> = {}): ObservedContainer {
  const labels = encodeSpecLabels(spec, "salt", [], {});
  return {
    id: "c".repeat(64),
    name: "app.web",
    labels,
    mapName: "app",
    kind: "container",
    key: "web",
    replaces: undefined,
    state: "running",
    exitCode: undefined,
    health: undefined,
    image: spec.image,
    imageId: "sha256:" + "1".repeat(64),
    created: 1,
    applied: decodeSpecLabel(labels),
    specHash: labels["berth.spec-hash"],
    networkMode: spec.network_mode,
    networks: Object.fromEntries(Object.keys(spec.networks).map((n) => [n, { networkId: n }])),
    mounts: [],
    publishedPorts: [],
    ...fields,
  };
}

function input(
  spec: ContainerSpec,
  observed: ObservedContainer | undefined,
  more: Partial<DecisionInput> = {},
) {
  return {
    update: true,
    spec,
    observed,
    record: undefined,
    sensitive: [],
    imageId: "sha256:" + "1".repeat(64),
    pullNever: false,
    cascade: [],
    references: [],
    recreatedVolumes: [],
    namespaceStart: undefined,
    nonrecoverableExitCodes: [-127, -1],
    job: false,
    persistent: false,
    ...more,
  } satisfies DecisionInput;
}

describe("decideContainer", () => {
  const spec = specOf(WEB);

  it("creates what does not exist, keeps what matches", () => {
    expect(decideContainer(input(spec, undefined))).toEqual({
      kind: "create",
      reasons: [{ message: "container does not exist" }],
    });
    expect(decideContainer(input(spec, made(spec)))).toMatchObject({
      kind: "keep",
      start: false,
      update: [],
      reconnect: [],
      outdated: [],
    });
  });

  it("recreates on a recreate-class field with its old and new values; startup reports it instead", () => {
    const changed = specOf(WEB.replace('FOO: "1"', 'FOO: "2"'));
    const observed = made(spec);
    expect(decideContainer(input(changed, observed))).toEqual({
      kind: "recreate",
      reasons: [{ message: "environment.FOO changed", field: "environment.FOO", old: "1", new: "2" }],
      old: observed,
      mode: "safe",
    });
    expect(decideContainer(input(changed, observed, { update: false }))).toMatchObject({
      kind: "keep",
      outdated: [{ field: "environment.FOO" }],
    });
  });

  it("updates a limit in place and reconnects a changed endpoint, without a recreate", () => {
    const changed = specOf(WEB.replace("64m", "128m").replace("aliases: [api]", "aliases: [api, gw]"));
    const decision = decideContainer(input(changed, made(spec)));
    expect(decision).toMatchObject({ kind: "keep", update: ["host_config.mem_limit"] });
    expect(decision.kind === "keep" && decision.reconnect.map((c) => c.network)).toEqual(["app.back"]);
  });

  it("a newer image, a dead container, a volume made again: recreate (remove-first for the volume)", () => {
    const observed = made(spec);
    expect(decideContainer(input(spec, observed, { imageId: "sha256:" + "2".repeat(64) }))).toMatchObject({
      kind: "recreate",
      reasons: [{ field: "image", old: "111111111111", new: "222222222222" }],
    });
    expect(decideContainer(input(spec, made(spec, { state: "dead" }), { update: false }))).toMatchObject({
      kind: "recreate",
      reasons: [{ message: "the container is dead" }],
    });
    expect(decideContainer(input(spec, observed, { recreatedVolumes: ["data"] }))).toMatchObject({
      kind: "recreate",
      mode: "remove-first",
      reasons: [{ message: "volume data is recreated (--recreate-volumes)" }],
    });
  });

  it("a cascade names its cause", () => {
    const cause = { object: "db", change: "recreate", edge: "links" } as const;
    expect(decideContainer(input(spec, made(spec), { cascade: [cause] }))).toMatchObject({
      kind: "recreate",
      reasons: [{ message: "db is recreated (links)", cause }],
    });
  });
});

describe("the smaller decisions", () => {
  const spec = specOf(WEB);

  it("needsStart: a stopped container starts, unless it is a finished job or persistent", () => {
    const exited = made(spec, { state: "exited", exitCode: 0 });
    expect(needsStart(exited, false, false)).toBe(true);
    expect(needsStart(exited, true, false)).toBe(false);
    expect(needsStart(exited, false, true)).toBe(false);
    expect(needsStart(made(spec, { state: "created" }), false, true)).toBe(true);
    expect(needsStart(made(spec), false, false)).toBe(false);
  });

  it("staleReferences: a target replaced since the reference was bound, unless it cascades anyway", () => {
    const target = { key: "db", name: "app.db", edge: "links" as const, currentId: "new" };
    expect(staleReferences({ "app.db": "old" }, [target], [])).toEqual([
      {
        message: "db was replaced after this container was made (links): its reference is stale",
        cause: { object: "db", change: "replaced", edge: "links" },
      },
    ]);
    expect(staleReferences({ "app.db": "new" }, [target], [])).toEqual([]);
    expect(
      staleReferences({ "app.db": "old" }, [target], [{ object: "db", change: "recreate", edge: "links" }]),
    ).toEqual([]);
  });

  it("endpointChanges: a missing network is connected, one the map does not list is left", () => {
    const observed = made(spec, { networks: { other: { networkId: "o" } } });
    expect(
      endpointChanges(spec, observed, {}).map((c) => [c.network, c.disconnect, c.connect !== undefined]),
    ).toEqual([
      ["app.back", false, true],
      ["other", true, false],
    ]);
  });
});
