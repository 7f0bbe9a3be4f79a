import { PlanError, type PlanContext } from "./plan-context.js";
import type { ObjectRef } from "./plan-types.js";
import type { StepIndex } from "./step-index.js";

/**
 * The pull of an image the engine does not have (one per image and engine); undefined when it is
 * present. With --pull never, a missing image stops the plan.
 */
export function pullStep(ctx: PlanContext, index: StepIndex, image: string): string | undefined {
  if (ctx.imageId(image) !== undefined) return undefined;
  return index.getOrSet("pull", image, () => {
    const ref: ObjectRef = { kind: "image", name: image, client: ctx.client.name };
    if (ctx.options.pull === "never") {
      throw new PlanError(`engine ${ref.client}: image ${image} is not present and --pull never was given`, {
        hint: "pull or build the image first, or allow pulling (--pull missing)",
      });
    }
    ctx.builder.fingerprint({ object: ref, id: null });
    const id = ctx.builder.add({ type: "pull-image", object: ref, image });
    ctx.builder.change(ref, "pull", [{ message: "image is not present on the engine" }]);
    return id;
  });
}
