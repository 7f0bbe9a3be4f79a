import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { MapError } from "../../../src/map/map-error.js";
import { hostileMaps } from "../../helpers/hostile-maps.js";

/**
 * The fast part of the hostile-map campaign (the full one, through the CLI and against the engine,
 * is test/chaos/hostile-maps.test.ts): 50 maps, each refused with positioned problems only.
 */

const FILE = "hostile.yaml";

describe("hostile maps (fast subset)", () => {
  const maps = hostileMaps(50, 20261204);
  maps.forEach((map, index) => {
    it(`#${index} (${map.kind}) is refused with FILE:LINE:COL problems`, { timeout: 60_000 }, () => {
      const started = process.cpuUsage();
      let caught: unknown;
      try {
        loadMap({ files: [FILE], texts: { [FILE]: map.text }, env: {} });
      } catch (err) {
        caught = err;
      }
      const used = process.cpuUsage(started);
      expect(caught, map.text.slice(0, 300)).toBeInstanceOf(MapError);
      const problems = (caught as MapError).problems;
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems) {
        expect(problem.at.file).toBe(FILE);
        expect(problem.at.line).toBeGreaterThanOrEqual(1);
        expect(problem.at.col).toBeGreaterThanOrEqual(1);
        expect(problem.message).not.toMatch(/Maximum call stack|undefined|NaN/);
      }
      // CPU time, not wall time: the test machine's cores are shared.
      expect((used.user + used.system) / 1000).toBeLessThan(2000);
    });
  });
});
