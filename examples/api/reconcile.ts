/**
 * berth's API end to end, against the engine at DOCKER_HOST (the test engine: `npm run demo` or
 * `bash scripts/test-engine.sh` starts one): load a map, reconcile it, show the plan and the step
 * results, check that a second plan is empty, and shut it down again.
 *
 *   npx tsx examples/api/reconcile.ts
 *
 * The map name can be set with BERTH_EXAMPLE_MAP (the tests give each run its own).
 */
import {
  loadMap,
  observeAndPlan,
  openEngines,
  readOnly,
  reconcile,
  renderPlanText,
} from "../../src/index.js";

const name = process.env.BERTH_EXAMPLE_MAP ?? "api-example";
const map = loadMap({
  files: ["api.yaml"],
  mapName: name,
  env: process.env,
  texts: {
    "api.yaml": `
volumes:
  shared: /shared
producer:
  image: berth-test/base:1
  attaches: shared
  command: ["sh", "-c", "trap 'exit 0' TERM; while true; do date > /shared/now; sleep 1; done & wait"]
consumer:
  image: berth-test/base:1
  uses: shared
  links: producer
  depends_on: producer
`,
  },
});

const engines = openEngines(map);
const { plan, result } = await reconcile(map, engines, {
  action: "update",
  onProgress: (event) => {
    if (event.type === "step-done") process.stderr.write(`done ${event.step.id}\n`);
  },
});
process.stdout.write(renderPlanText(plan));
if (!result?.ok) {
  process.stderr.write(`failed: ${JSON.stringify(result?.results.filter((r) => r.status !== "done"))}\n`);
  process.exitCode = 1;
}

const readers = Object.fromEntries(
  Object.entries(engines).map(([client, engine]) => [client, readOnly(engine)]),
);
const again = await observeAndPlan(map, readers, { action: "update" });
process.stdout.write(`second plan: ${again.plan.steps.length} step(s)\n`);

const down = await reconcile(map, engines, { action: "shutdown", removeVolumes: true });
process.stdout.write(`shutdown: ${down.result?.ok ? "ok" : "failed"}\n`);
