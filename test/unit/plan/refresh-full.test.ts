import { describe, expect, it } from "vitest";
import { driftReasons } from "../../../src/plan/container-decision.js";
import { effectiveFields } from "../../../src/observe/refresh.js";
import { buildContainerSpec, containerNameLookup } from "../../../src/desired/container-spec.js";
import { defaultClientContext } from "../../../src/plan/plan.js";
import { mapOf } from "../../helpers/plan-fixtures.js";

/** Issue 14 item 5: with `refresh: full`, limits and restart policy changed by hand are seen. */
const MAP = `
web:
  image: web:1
  restart: always
  host_config: {mem_limit: 64m, cpu_shares: 512}
`;

function spec() {
  const map = mapOf(MAP);
  const web = map.resolved.containers[0];
  if (web === undefined) throw new Error("no container");
  return buildContainerSpec(web, defaultClientContext(), containerNameLookup(map.resolved));
}

/** An inspect answer as the engine gives it for the map's container, with `HostConfig` overrides. */
function inspect(hostConfig: Record<string, unknown> = {}) {
  return {
    HostConfig: {
      Memory: 64 * 1024 ** 2,
      MemorySwap: 128 * 1024 ** 2,
      CpuShares: 512,
      CpuQuota: 0,
      RestartPolicy: { Name: "always", MaximumRetryCount: 0 },
      ...hostConfig,
    },
  };
}

describe("refresh full: drift of in-place fields", () => {
  it("finds nothing when the engine runs what the map says (engine defaults are not compared)", () => {
    expect(driftReasons(spec(), effectiveFields(inspect()))).toEqual([]);
  });

  it("finds a memory limit and a restart policy changed with docker update", () => {
    const running = effectiveFields(
      inspect({ Memory: 200 * 1024 ** 2, RestartPolicy: { Name: "no", MaximumRetryCount: 0 } }),
    );
    expect(driftReasons(spec(), running)).toEqual([
      expect.objectContaining({ field: "host_config.mem_limit", old: 200 * 1024 ** 2, new: 64 * 1024 ** 2 }),
      expect.objectContaining({ field: "restart", old: "no", new: "always" }),
    ]);
  });

  it("compares nothing without an inspect (the default, labels)", () => {
    expect(driftReasons(spec(), undefined)).toEqual([]);
  });
});
