import { mkdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CONTAINER_FIELDS } from "../../src/fields/fields-container.js";
import { CREATE_OPTION_FIELDS, HOST_CONFIG_FIELDS } from "../../src/fields/fields-host-config.js";
import { loadMap } from "../../src/load-map.js";
import { berth } from "../helpers/cli.js";
import { removeMapObjects } from "../helpers/engine.js";
import {
  EDGE_IMAGE,
  edgeObjects,
  edgeValues,
  mergeFragments,
  type Fragment,
} from "../helpers/engine-values.js";
import { mapWorkspace } from "../helpers/map-workspace.js";
import { freePort } from "../helpers/plan-json.js";

/**
 * "A map that validates is never refused by the engine" (the other way round from the hostile
 * maps): maps berth's loader accepts, made of the edge values of every key berth passes to Docker
 * (test/helpers/engine-values.ts), must start on the real engine (`berth startup` exits 0) and
 * the next plan must be empty. An engine refusal — a 4xx or 5xx at create, connect or start, of a
 * volume or network, a container that cannot start — is a hole in validation (or in how berth
 * passes the value), and is recorded in RELIABILITY.md with what was done about it.
 *
 * The property part draws maps of one or two configs, each with a few keys picked at random from
 * the table; the seed is fixed so `npm test` is reproducible: `BERTH_PROPERTY_SEED=N` draws other
 * maps, `BERTH_ENGINE_ACCEPTS_RUNS=N` draws more (RELIABILITY.md lists the longer campaigns run).
 */
const SEED = Number(process.env.BERTH_PROPERTY_SEED ?? 2412);
const RUNS = Number(process.env.BERTH_ENGINE_ACCEPTS_RUNS ?? 5);

const workspace = mapWorkspace("accepts");

/** Keys of the table per map in the edge-value part (`BERTH_ENGINE_ACCEPTS_KEYS=1`: one map per key). */
const KEYS_PER_MAP = Number(process.env.BERTH_ENGINE_ACCEPTS_KEYS ?? 4);

/** Keys berth passes to Docker that the table leaves to other tests, and why. */
const COVERED_ELSEWHERE: Record<string, string> = {
  image: "every config has the fixture image",
  binds: "host paths: the bind fragment is made per map (bindsFragment)",
  uses: "another config's volumes: test/integration/apply-volumes.test.ts",
  links: "another config: test/integration/restart-order.test.ts and the convergence property",
};

/** A /24 no other map of this file uses (fixed endpoint addresses need a subnet of the map's own). */
let subnetCounter = Math.floor(Math.random() * 200);
const nextSubnet = () => `10.${197 + Math.floor(subnetCounter / 250)}.${(subnetCounter++ % 250) + 1}`;

function bindsFragment(): Fragment {
  const host = join(workspace.dir, "bind-source");
  mkdirSync(host, { recursive: true });
  return {
    binds: [
      { "/bound": host },
      { path: "/bound2", host_path: host, readonly: "ro" },
      { "/bound3": [host, true] },
    ],
  };
}

type Outcome = { kind: "ran" } | { kind: "loader-refused"; why: string } | { kind: "finding"; why: string };

/** Writes a map of these configs, checks the loader, starts it, plans again; removes its objects. */
async function runMap(configs: Record<string, Fragment>, subnet: string): Promise<Outcome> {
  const mapName = workspace.name("acc");
  const body = Object.fromEntries(
    Object.entries(configs).map(([name, c]) => [name, { image: EDGE_IMAGE, ...c }]),
  );
  const file = workspace.write(mapName, stringify({ name: mapName, ...edgeObjects(subnet), ...body }));
  try {
    loadMap({ files: [file], env: {} });
  } catch (err) {
    return { kind: "loader-refused", why: (err as Error).message };
  }
  try {
    const run = await berth(["-f", file, "startup", "--progress", "quiet"]);
    if (run.code !== 0)
      return { kind: "finding", why: `startup exited ${run.code}: ${run.stderr.trim()}\n${stringify(body)}` };
    const plan = await berth(["-f", file, "plan", "--detailed-exitcode"]);
    if (plan.code !== 0)
      return {
        kind: "finding",
        why: `the next plan is not empty:\n${plan.stdout}${plan.stderr}\n${stringify(body)}`,
      };
    return { kind: "ran" };
  } finally {
    await removeMapObjects(workspace.engine, mapName);
  }
}

/** Runs jobs with at most `width` at a time (the machine is shared). */
async function inParallel<T>(
  items: readonly T[],
  width: number,
  job: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await job(item);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

describe("a map that validates runs on the engine", () => {
  it("the table has edge values for every key berth passes to Docker", async () => {
    const table = edgeValues(await freePort(), nextSubnet());
    const passed = [
      ...Object.keys(HOST_CONFIG_FIELDS).map((key) => `host_config.${key}`),
      ...Object.keys(CREATE_OPTION_FIELDS).map((key) => `create_options.${key}`),
      ...Object.entries(CONTAINER_FIELDS)
        .filter(([, field]) => !("none" in field.docker) && !("perKey" in field.docker))
        .map(([key]) => key),
    ];
    const missing = passed.filter((key) => table[key] === undefined && COVERED_ELSEWHERE[key] === undefined);
    expect(missing).toEqual([]);
  });

  it("each edge value of each key: one config per value, a few keys per map, starts and plans empty", async () => {
    const port = await freePort();
    const findings: string[] = [];
    const keys = [...Object.keys(edgeValues(port, "0.0.0")), "binds"];
    // A few keys per map: one startup and plan for several keys (configs `k<key>v<value>`).
    const chunks = Array.from({ length: Math.ceil(keys.length / KEYS_PER_MAP) }, (_, i) =>
      keys.slice(i * KEYS_PER_MAP, (i + 1) * KEYS_PER_MAP),
    );
    await inParallel(chunks, 3, async (chunk) => {
      const subnet = nextSubnet();
      const table: Record<string, Fragment[]> = { ...edgeValues(port, subnet), binds: [bindsFragment()] };
      const configs: Record<string, Fragment> = {};
      for (const key of chunk)
        (table[key] as Fragment[]).forEach(
          (fragment, i) => (configs[`k${keys.indexOf(key)}v${i}`] = fragment),
        );
      const outcome = await runMap(configs, subnet);
      if (outcome.kind !== "ran")
        findings.push(
          `${chunk.map((key) => `${key} (k${keys.indexOf(key)})`).join(", ")}: ${outcome.kind}: ${outcome.why}`,
        );
    });
    expect(findings, findings.join("\n\n")).toEqual([]);
  }, 600_000);

  it("random maps made of those values, field by field (property)", async () => {
    const port = await freePort();
    const keys = Object.keys(edgeValues(port, "0.0.0"));
    // Per config: which keys, and which value of each (an index, taken modulo the key's count).
    const config = fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), fc.nat()), {
      minLength: 1,
      maxLength: 6,
      selector: ([key]) => key,
    });
    let ran = 0;
    let skipped = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(config, { minLength: 1, maxLength: 2 }), async (picks) => {
        const subnet = nextSubnet();
        const table = edgeValues(port, subnet);
        const configs = Object.fromEntries(
          picks.map((fields, i) => [
            `c${i}`,
            mergeFragments(
              fields.map(([key, n]) => {
                const values = table[key] as Fragment[];
                return values[n % values.length] as Fragment;
              }),
            ),
          ]),
        );
        const outcome = await runMap(configs, subnet);
        // The loader may refuse a combination (two configs publishing one port): no engine call then.
        if (outcome.kind === "loader-refused") skipped++;
        fc.pre(outcome.kind !== "loader-refused");
        if (outcome.kind === "finding") throw new Error(outcome.why);
        ran++;
      }),
      // Each run is a few seconds of engine work: little shrinking (the map is printed whole).
      { numRuns: RUNS, seed: SEED, endOnFailure: true, maxSkipsPerRun: 10 },
    );
    // The figures of a campaign (RELIABILITY.md).
    console.info(`engine-accepts property (seed ${SEED}): ${ran} maps ran, ${skipped} refused by the loader`);
    expect(ran).toBeGreaterThan(0);
  }, 600_000);
});
