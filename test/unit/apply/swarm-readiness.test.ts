import { describe, expect, it } from "vitest";
import { readiness } from "../../../src/apply/swarm-executors.js";
import type { ServiceSummary } from "../../../src/engine/swarm-types.js";
import type { ObservedTask } from "../../../src/observe/observed-state.js";

/** When a wait-service step is done, failed or still waiting, from what the manager says. */
const service = (extra: Partial<ServiceSummary> = {}): ServiceSummary => ({
  ID: "svc",
  Version: { Index: 3 },
  CreatedAt: "2026-12-04T20:00:00Z",
  UpdatedAt: "2026-12-04T20:00:00Z",
  Spec: {
    Name: "shop-app",
    TaskTemplate: { ContainerSpec: { Image: "x" } },
    Mode: { Replicated: { Replicas: 2 } },
  },
  ...extra,
});
const task = (id: string, state: string, extra: Partial<ObservedTask> = {}): ObservedTask => ({
  id,
  serviceId: "svc",
  nodeId: "n1",
  slot: 1,
  state,
  desiredState: state === "running" || state === "pending" ? "running" : "shutdown",
  message: state,
  error: undefined,
  containerId: undefined,
  exitCode: undefined,
  jobIteration: undefined,
  since: 0,
  ...extra,
});
const look = (tasks: ObservedTask[], extra: Partial<ServiceSummary> = {}, down: string[] = []) => ({
  service: service(extra),
  tasks,
  down: new Set(down),
});

describe("readiness of a service", () => {
  it("is ready when every replica runs and no rolling update is under way", () => {
    const tasks = [task("a", "running"), task("b", "running")];
    expect(readiness({ condition: "running", replicas: 2 }, look(tasks)).ready).toBe(true);
    const updating = look(tasks, { UpdateStatus: { State: "updating" } });
    expect(readiness({ condition: "running", replicas: 2 }, updating).ready).toBe(false);
  });

  it("does not count a task on a node that is down, and says so", () => {
    const result = readiness(
      { condition: "running", replicas: 2 },
      look([task("a", "running"), task("b", "running", { nodeId: "n2" })], {}, ["n2"]),
    );
    expect(result.ready).toBe(false);
    expect(result.summary).toBe("1 of 2 tasks running: 1 running on a node that is down");
  });

  it("fails once tasks keep ending while it waits, not for tasks that ended before", () => {
    const ended = ["1", "2", "3", "4", "5"].map((id) =>
      task(id, "failed", { error: "task: non-zero exit (1)", exitCode: 1 }),
    );
    const step = { condition: "healthy" as const, replicas: 2 };
    expect(readiness(step, look(ended), new Set(ended.map((t) => t.id))).failed).toBeUndefined();
    expect(readiness(step, look(ended)).failed).toMatch(
      /^its tasks keep ending: 5 failed \(task: non-zero exit \(1\)\) \(exit code 1\).*start_period/,
    );
  });

  it("waits for a job's tasks of its current run to complete, and fails on one that failed", () => {
    const job = { JobStatus: { JobIteration: { Index: 1 } } };
    const step = { condition: "completed" as const, replicas: 1 };
    const old = task("old", "complete", { jobIteration: 0 });
    expect(readiness(step, look([old], job)).ready).toBe(false);
    expect(readiness(step, look([old, task("new", "complete", { jobIteration: 1 })], job)).ready).toBe(true);
    const failed = task("new", "failed", { jobIteration: 1, error: "task: non-zero exit (2)", exitCode: 2 });
    expect(readiness(step, look([old, failed], job)).failed).toBe(
      "a task of the job failed: 1 failed (task: non-zero exit (2)) (exit code 2)",
    );
  });
});
