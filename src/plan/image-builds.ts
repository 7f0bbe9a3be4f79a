import type { ContextDigest } from "../desired/build-context.js";
import { buildDifferences, buildRecord, decodeBuildRecord } from "../desired/build-record.js";
import type { ResolvedBuild } from "../map/model.js";
import { normalizeImageReference } from "../model/image-reference.js";
import { InternalError } from "../common/berth-error.js";
import { pullStep } from "./image-pulls.js";
import { PlanError, type PlanContext } from "./plan-context.js";
import type { ObjectRef, PlanOptions, Reason } from "./plan-types.js";
import type { StepIndex } from "./step-index.js";

/** Whether an image the map builds is built by this plan, and why (or why it is outdated). */
export interface BuildDecision {
  build: boolean;
  /** Why it is built; when it is not, why it differs from the map (reported as outdated). */
  reasons: Reason[];
}

export interface BuildDecisionInput {
  image: string;
  build: ResolvedBuild;
  context: ContextDigest;
  /** Id of the image on the engine; undefined when missing. */
  imageId: string | undefined;
  labels: Readonly<Record<string, string>> | undefined;
  /** Image ids on the engine by normalized reference (for the base images). */
  images: Readonly<Record<string, string>>;
  /** Base images that this plan builds first. */
  rebuiltBases: readonly string[];
  update: boolean;
  mode: PlanOptions["build"];
  sensitive: readonly string[];
}

/**
 * Pure: builds when the image is missing; for update also when its recorded inputs differ from
 * the map's (context files, Dockerfile, args, target, base image ids), when a base it starts
 * from is built by this plan, or with --build.
 */
export function decideBuild(input: BuildDecisionInput): BuildDecision {
  const where =
    input.build.generated === undefined
      ? `from ${input.build.context}`
      : "from the Dockerfile written in the map";
  if (input.imageId === undefined)
    return {
      build: true,
      reasons: [{ message: `image ${input.image} is not present: it is built ${where}` }],
    };
  const recorded = decodeBuildRecord(input.labels);
  const differences: string[] = [];
  if (recorded === undefined)
    differences.push(`image ${input.image} has no build record of berth's (not built by berth)`);
  else {
    const wanted = buildRecord(input.build, input.context, input.images, recorded.salt, input.sensitive);
    differences.push(...buildDifferences(recorded, wanted, input.sensitive));
  }
  for (const base of input.rebuiltBases) differences.push(`base image ${base} is rebuilt`);
  const reasons: Reason[] = differences.map((message) => ({ message }));
  if (!input.update) return { build: false, reasons };
  if (input.mode === "always" && reasons.length === 0) reasons.push({ message: "--build was given" });
  return { build: reasons.length > 0, reasons };
}

const decisions = new WeakMap<PlanContext, Map<string, BuildDecision | undefined>>();

/** The build decision of an image of the map (memoized per engine); undefined when it is not built. */
export function buildDecision(ctx: PlanContext, image: string): BuildDecision | undefined {
  let known = decisions.get(ctx);
  if (known === undefined) {
    known = new Map();
    decisions.set(ctx, known);
  }
  if (known.has(image)) return known.get(image);
  const source = ctx.buildOf(image);
  if (source === undefined) {
    known.set(image, undefined);
    return undefined;
  }
  const context = ctx.builds[image];
  if (context === undefined) throw new InternalError(`plan: the build context of ${image} was not read`);
  const decision = decideBuild({
    image,
    build: source.build,
    context,
    imageId: ctx.imageId(image),
    labels: ctx.imageLabels(image),
    images: ctx.observed.images,
    rebuiltBases: context.bases.filter((base) => {
      const built = mapImage(ctx, base);
      return built !== undefined && built !== image && buildDecision(ctx, built)?.build === true;
    }),
    update: ctx.options.action === "update",
    mode: ctx.options.build,
    sensitive: ctx.resolved.sensitive,
  });
  known.set(image, decision);
  const ref = imageRef(ctx, image, source.config);
  if (decision.build && ctx.options.build === "never") {
    throw new PlanError(
      `engine ${ref.client}: image ${image} (config ${source.config}) must be built and --no-build was given: ${decision.reasons.map((r) => r.message).join("; ")}`,
      { hint: "build it first (berth update --build), or leave --no-build out" },
    );
  }
  if (!decision.build && decision.reasons.length > 0) ctx.builder.change(ref, "outdated", decision.reasons);
  return decision;
}

/**
 * What a container made from `image` waits for: the image's build when this plan builds it, its
 * pull when it is missing and not built by the map, else nothing.
 */
export function imageStep(ctx: PlanContext, index: StepIndex, image: string): string | undefined {
  const decision = buildDecision(ctx, image);
  if (decision === undefined) return pullStep(ctx, index, image);
  if (!decision.build) return undefined;
  return index.getOrSet("pull", image, () => {
    const source = ctx.buildOf(image) as { config: string; build: ResolvedBuild };
    const ref = imageRef(ctx, image, source.config);
    const context = ctx.builds[image] as ContextDigest;
    // A base image the map builds is built first (once, whoever needs it).
    const bases = context.bases.map((base) => mapImage(ctx, base));
    const after = bases.map((base) =>
      base === undefined || base === image ? undefined : imageStep(ctx, index, base),
    );
    ctx.builder.fingerprint({ object: ref, id: ctx.imageId(image) ?? null });
    const id = ctx.builder.add({
      type: "build-image",
      object: ref,
      image,
      config: source.config,
      tags: source.build.tags,
      pullBases: source.build.pull ? context.bases.filter((_, i) => bases[i] === undefined) : [],
      after,
    });
    ctx.builder.change(ref, "build", decision.reasons);
    return id;
  });
}

function imageRef(ctx: PlanContext, image: string, config: string): ObjectRef {
  return { kind: "image", name: image, client: ctx.client.name, key: config };
}

/** The map's image a base reference names, when the map builds it. */
function mapImage(ctx: PlanContext, base: string): string | undefined {
  const wanted = normalizeImageReference(base);
  for (const container of ctx.containers.values())
    if (container.build !== undefined && normalizeImageReference(container.image) === wanted)
      return container.image;
  return undefined;
}
