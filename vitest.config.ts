import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Maps parsed by the CLI in tests are cached here, not in the user's ~/.cache/berth.
const env = { BERTH_CACHE_DIR: join(tmpdir(), "berth-test-parse-cache") };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          env,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: ["test/integration/swarm/**"],
          environment: "node",
          env,
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Test files run in parallel; each one names its own map and cleans only what it made.
          fileParallelism: true,
        },
      },
      {
        // Tests on the test swarm (engines e4 and e5): one file after another, since some stop the
        // worker e5 for a while. Vitest runs this project's files after the parallel ones.
        test: {
          name: "swarm",
          include: ["test/integration/swarm/**/*.test.ts"],
          environment: "node",
          env,
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The reliability campaign (`npm run chaos`): long, so not part of `npm test`, which runs a
        // fast subset of each part from test/integration and test/unit.
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          exclude: ["test/chaos/convergence-property.test.ts"],
          environment: "node",
          env,
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // The convergence campaign (`npm run chaos:convergence`, issue 14's proof): random edits and
        // drift, checked by the independent checker. Red while known convergence defects remain.
        test: {
          name: "chaos-convergence",
          include: ["test/chaos/convergence-property.test.ts"],
          environment: "node",
          env,
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
