import { canonicalJson } from "../common/canonical-json.js";
import { PLAN_FORMAT, type Fingerprint, type Plan } from "../plan/plan-types.js";
import { StalePlanError } from "./apply-errors.js";

/** Reads a saved plan (`berth plan --out FILE`), checking it is one. */
export function parseSavedPlan(text: string, file: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StalePlanError(`${file} is not a plan: ${(err as Error).message}`, []);
  }
  const plan = value as Partial<Plan>;
  if (
    plan.format !== PLAN_FORMAT ||
    !Array.isArray(plan.steps) ||
    !Array.isArray(plan.observed) ||
    plan.options === undefined
  ) {
    throw new StalePlanError(`${file} is not a berth plan (expected "format": "${PLAN_FORMAT}")`, []);
  }
  return plan as Plan;
}

const fingerprintKey = (f: Fingerprint) => `${f.object.kind} ${f.object.client}/${f.object.name}`;

/**
 * Refuses a saved plan when the map changed, when anything it touches changed on the engine since
 * it was made, or when the plan made now would differ from it. Lists every object that moved.
 */
export function checkSavedPlan(saved: Plan, current: Plan): void {
  if (saved.mapDigest !== current.mapDigest) {
    throw new StalePlanError(`the map ${saved.map} changed since the plan was made`, [], {
      hint: "make a new plan (berth plan --out FILE)",
    });
  }
  const now = new Map(current.observed.map((f) => [fingerprintKey(f), f]));
  const changed: string[] = [];
  for (const before of saved.observed) {
    const after = now.get(fingerprintKey(before));
    const describe = `${before.object.kind} ${before.object.name}${before.object.client === "default" ? "" : ` on ${before.object.client}`}`;
    if (after === undefined) {
      changed.push(`${describe}: no longer part of the plan`);
    } else if (after.id !== before.id) {
      changed.push(
        `${describe}: ${before.id === null ? "now exists" : after.id === null ? "is gone" : "was replaced"}`,
      );
    } else if ((after.state ?? null) !== (before.state ?? null)) {
      changed.push(`${describe}: was ${before.state ?? "absent"}, is ${after.state ?? "absent"}`);
    } else if ((after.specHash ?? null) !== (before.specHash ?? null)) {
      changed.push(`${describe}: its spec changed`);
    }
  }
  for (const after of current.observed) {
    if (!saved.observed.some((f) => fingerprintKey(f) === fingerprintKey(after))) {
      changed.push(`${after.object.kind} ${after.object.name}: now part of the plan`);
    }
  }
  if (changed.length === 0 && canonicalJson(saved.steps) !== canonicalJson(current.steps)) {
    changed.push("the steps planned now differ from the saved ones");
  }
  if (changed.length > 0) {
    throw new StalePlanError(`the saved plan is out of date: ${changed.join("; ")}`, changed, {
      hint: "nothing was changed; make a new plan (berth plan --out FILE) and review it",
    });
  }
}
