import { isEngineError } from "./engine/engine-errors.js";
import type { RegistryAuth } from "./engine/engine-types.js";
import { registryOf } from "./engine/registry-auth.js";
import { targetKeys } from "./graph/dependency-graph.js";
import type { LoadedMap } from "./load-map.js";
import { normalizeImageReference } from "./model/image-reference.js";
import { registryAuthFrom, type Engines } from "./reconcile.js";

/** One reference `berth push` sends: the config's image or one of its `build.tags`. */
export interface PushItem {
  /** The config whose `build:` makes the image. */
  config: string;
  /** The reference pushed, as the map writes it. */
  image: string;
  /** The registry it goes to (Docker Hub's config key when the reference names none). */
  registry: string;
  /** The engine it is pushed from: the first of the config's clients (by name). */
  client: string;
}

export interface PushOutcome extends PushItem {
  /** `would fail`: a dry run found the image missing on its engine. */
  result: "pushed" | "would push" | "failed" | "would fail";
  /** The registry's digest of the pushed image, when the engine reported it. */
  digest?: string;
  /** Why it failed: the engine's or registry's message (never a credential). */
  error?: string;
}

/** What `push()` reports while it runs (the CLI renders these on stderr). */
export type PushEvent =
  | { type: "push-start"; item: PushItem; time: number }
  /** A status line of the engine's progress (a layer pushed, the digest). */
  | { type: "push-output"; item: PushItem; line: string; time: number }
  | { type: "push-done"; item: PushItem; digest: string | undefined; durationMs: number; time: number }
  | { type: "push-failed"; item: PushItem; error: string; durationMs: number; time: number };

export interface PushOptions {
  /** Configs, config.instance names or groups (default: every config that builds its image). */
  targets?: string[];
  /** Only say what would be pushed (and whether each image is there to push). */
  dryRun?: boolean;
  /** Credentials per reference; default: the Docker config file (DOCKER_CONFIG or ~/.docker). */
  registryAuth?: (image: string) => RegistryAuth | undefined;
  onEvent?: (event: PushEvent) => void;
}

export interface PushResult {
  /** Every reference was pushed (or, in a dry run, is there to push). */
  ok: boolean;
  pushes: PushOutcome[];
}

/**
 * The references a push sends: of each target container whose config builds its image, the image
 * and its extra tags, once each (an image several instances or engines share is pushed once, from
 * the first engine by name: the registry keeps one copy).
 */
export function pushItems(map: LoadedMap, targets: readonly string[] = []): PushItem[] {
  const keys = new Set(targetKeys(map.resolved, targets));
  const byImage = new Map<string, PushItem>();
  for (const container of map.resolved.containers) {
    if (!keys.has(container.key) || container.build === undefined) continue;
    const client = [...container.clients].sort()[0];
    if (client === undefined) continue;
    for (const image of [container.image, ...container.build.tags]) {
      const known = byImage.get(normalizeImageReference(image));
      if (known !== undefined && known.client <= client) continue;
      byImage.set(normalizeImageReference(image), {
        config: container.config,
        image,
        registry: registryOf(image),
        client,
      });
    }
  }
  return [...byImage.values()];
}

/**
 * `berth push`: sends the images the map builds to their registries, with the credentials of the
 * Docker config file (its `auths`, or its credential helpers), one after the other. An image not
 * built on its engine yet, or a push the registry refuses, fails that reference and the others
 * still go; `ok` says whether all did. Read-only on the engines but for the push itself: it takes
 * no lock (a push changes nothing of the map's objects).
 */
export async function push(map: LoadedMap, engines: Engines, options: PushOptions = {}): Promise<PushResult> {
  const items = pushItems(map, options.targets ?? []);
  const auth = options.registryAuth ?? registryAuthFrom();
  const present = await localReferences(engines, new Set(items.map((i) => i.client)));
  const pushes: PushOutcome[] = [];
  for (const item of items) {
    const missing = present.get(item.client)?.has(normalizeImageReference(item.image)) !== true;
    const notBuilt = `image ${item.image} is not on engine ${item.client}: build it first (berth build ${item.config})`;
    if (options.dryRun === true) {
      pushes.push(
        missing ? { ...item, result: "would fail", error: notBuilt } : { ...item, result: "would push" },
      );
      continue;
    }
    pushes.push(await pushOne(engines, item, missing ? notBuilt : undefined, auth, options.onEvent));
  }
  return { ok: pushes.every((p) => p.result === "pushed" || p.result === "would push"), pushes };
}

async function pushOne(
  engines: Engines,
  item: PushItem,
  refusal: string | undefined,
  auth: (image: string) => RegistryAuth | undefined,
  onEvent: ((event: PushEvent) => void) | undefined,
): Promise<PushOutcome> {
  const started = Date.now();
  onEvent?.({ type: "push-start", item, time: started });
  const failed = (error: string): PushOutcome => {
    onEvent?.({ type: "push-failed", item, error, durationMs: Date.now() - started, time: Date.now() });
    return { ...item, result: "failed", error };
  };
  if (refusal !== undefined) return failed(refusal);
  const engine = engines[item.client];
  if (engine === undefined) return failed(`no engine for client ${item.client}`);
  try {
    const { digest } = await engine.pushImage(item.image, auth(item.image), (line) =>
      onEvent?.({ type: "push-output", item, line, time: Date.now() }),
    );
    onEvent?.({ type: "push-done", item, digest, durationMs: Date.now() - started, time: Date.now() });
    return { ...item, result: "pushed", ...(digest === undefined ? {} : { digest }) };
  } catch (err) {
    // The engine's own message: it names what the registry said, and never the credentials sent.
    if (isEngineError(err)) return failed(err.engineMessage);
    throw err;
  }
}

/** The image references each engine has now (normalized), one list call per engine. */
async function localReferences(
  engines: Engines,
  clients: ReadonlySet<string>,
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const client of [...clients].sort()) {
    const engine = engines[client];
    if (engine === undefined) continue;
    const images = await engine.listImages();
    out.set(client, new Set(images.flatMap((i) => (i.RepoTags ?? []).map(normalizeImageReference))));
  }
  return out;
}
