import { emptySummary, type Plan } from "./plan-types.js";

/**
 * `berth build`: an update plan cut down to its image builds — the build changes and their
 * `build-image` steps (ordered among themselves as before: a build FROM another built image
 * still waits for it); no container, volume or network is touched.
 */
export function onlyBuilds(plan: Plan): Plan {
  const steps = plan.steps.filter((step) => step.type === "build-image");
  const kept = new Set(steps.map((step) => step.id));
  const changes = plan.changes.filter((change) => change.change === "build");
  return {
    ...plan,
    changes,
    steps: steps.map((step) => ({ ...step, after: step.after.filter((id) => kept.has(id)) })),
    summary: { ...emptySummary(), other: changes.length },
  };
}
