import type { ResolvedBuild } from "../../src/map/model.js";

/** A build from the folder `context` with its `Dockerfile`, nothing else set (as the loader resolves `build: DIR`). */
export function folderBuild(context: string): ResolvedBuild {
  return { context, dockerfile: "Dockerfile", args: {}, labels: {}, tags: [], pull: false, noCache: false };
}
