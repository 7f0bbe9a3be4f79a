import { describe, expect, it } from "vitest";
import type { ServiceSpec, ServiceSummary } from "../../../src/engine/swarm-types.js";
import { keepForceUpdate, withForceUpdate, withReplicas } from "../../../src/apply/swarm-executors.js";

/** What `scale-service` and `restart-service` send: the service's current spec, one thing changed. */
const SPEC: ServiceSpec = {
  Name: "shop-app",
  Labels: { "berth.map": "shop", "berth.spec-hash": "abc" },
  TaskTemplate: { ContainerSpec: { Image: "berth-test/base:1", Env: ["V=1"] }, ForceUpdate: 2 },
  Mode: { Replicated: { Replicas: 3 } },
  EndpointSpec: { Mode: "dnsrr" },
};

describe("scale and restart of a service", () => {
  it("withReplicas changes the replica count only (labels and spec hash kept)", () => {
    const scaled = withReplicas(SPEC, 0);
    expect(scaled.Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect({ ...scaled, Mode: SPEC.Mode }).toEqual(SPEC);
  });

  it("withForceUpdate increments TaskTemplate.ForceUpdate only (from 0 when unset)", () => {
    const forced = withForceUpdate(SPEC);
    expect(forced.TaskTemplate.ForceUpdate).toBe(3);
    expect({ ...forced, TaskTemplate: SPEC.TaskTemplate }).toEqual(SPEC);
    const { ForceUpdate: _, ...unset } = SPEC.TaskTemplate;
    expect(withForceUpdate({ ...SPEC, TaskTemplate: unset }).TaskTemplate.ForceUpdate).toBe(1);
  });

  it("keepForceUpdate: an update sends the service's counter (a restart's), never a lower one", () => {
    const { ForceUpdate: _, ...desired } = SPEC.TaskTemplate;
    const current = { Spec: SPEC } as ServiceSummary;
    expect(keepForceUpdate({ ...SPEC, TaskTemplate: desired }, current).TaskTemplate.ForceUpdate).toBe(2);
    const never = { Spec: { ...SPEC, TaskTemplate: desired } } as ServiceSummary;
    expect(keepForceUpdate({ ...SPEC, TaskTemplate: desired }, never).TaskTemplate).toEqual(desired);
  });
});
