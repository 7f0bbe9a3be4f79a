import { DockerEngine } from "../../src/engine/docker-engine.js";
import { EXTRA_ENGINES, extraEngine, FIXTURE_IMAGES, SWARM } from "../helpers/engine.js";

/** Integration tests need a real engine; without one they fail loudly, never skip. */
export default async function setup(): Promise<void> {
  const engine = new DockerEngine({ callTimeoutMs: 10_000 });
  try {
    await engine.ping();
  } catch (err) {
    throw new Error(
      `No Docker engine answers (${err instanceof Error ? err.message : String(err)}). ` +
        "Run the tests with `npm test`, which starts the test engine (scripts/test-engine.sh).",
      { cause: err },
    );
  }
  const tags = new Set((await engine.listImages()).flatMap((image) => image.RepoTags ?? []));
  const missing = Object.values(FIXTURE_IMAGES).filter((image) => !tags.has(image));
  if (missing.length > 0) {
    throw new Error(`Fixture images missing: ${missing.join(", ")}. Run scripts/test-engine.sh.`);
  }
  // The several-hosts tests need the two extra engines too (never skipped either).
  for (const client of Object.keys(EXTRA_ENGINES) as (keyof typeof EXTRA_ENGINES)[]) {
    await extraEngine(client)
      .ping()
      .catch((err: unknown) => {
        throw new Error(
          `Extra test engine ${client} does not answer at ${EXTRA_ENGINES[client]} (${err instanceof Error ? err.message : String(err)}). ` +
            "Run scripts/test-engine.sh (as root), which brings it up.",
          { cause: err },
        );
      });
  }
  const swarm = (await extraEngine(SWARM.manager).info()).Swarm;
  if (swarm?.LocalNodeState !== "active" || swarm.ControlAvailable !== true) {
    throw new Error(
      `Test engine ${SWARM.manager} is not a swarm manager (state ${swarm?.LocalNodeState ?? "unknown"}). ` +
        "Run scripts/test-engine.sh (as root), which forms the test swarm.",
    );
  }
}
