import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import type { Clock } from "../common/clock.js";
import { pollUntil } from "../common/poll.js";
import type { EngineWriter } from "../engine/engine.js";
import {
  isEngineConflictError,
  isEngineNotFoundError,
  isImageBuildError,
  type ImageBuildError,
} from "../engine/engine-errors.js";
import type { RegistryAuth } from "../engine/engine-types.js";
import { OVERLAY_DRIVER, type ResolvedMap } from "../map/model.js";
import { LABEL } from "../model/labels.js";
import { networkLabels, volumeLabels } from "../plan/object-definition.js";
import type { Step, StepOf, StepType } from "../plan/plan-types.js";
import type { ContainerSpec } from "../desired/container-spec.js";
import { createBody, endpointConfig, updateBody } from "../desired/create-body.js";
import { networkCreateBody, volumeCreateBody } from "../desired/object-bodies.js";
import { maskSecrets, secretValuesOf } from "../desired/sensitive.js";
import { encodeSpecLabels } from "../desired/spec-label.js";
import { BERTH_VERSION } from "../version.js";
import { encodeMapState, type ExecRecord, type MapState } from "../desired/map-state.js";
import { ExecFailedError, ImageBuildFailedError, VolumePreparationError, WaitError } from "./apply-errors.js";
import { packBuildContext } from "../desired/build-context.js";
import { buildRecord, encodeBuildLabels, GENERATED_DOCKERFILE } from "../desired/build-record.js";
import { instructionOfStep, type Instruction } from "../desired/dockerfile.js";
import { splitReference } from "../engine/docker-engine.js";
import { imageIndex } from "../observe/observe.js";
import { removeContainerUntilGone, type RemovalWait } from "./container-removal.js";
import { createMarkerContainer } from "./engine-lock.js";
import { swarmExecutors, type SwarmLookup } from "./swarm-executors.js";
import {
  checkPreparation,
  describePreparation,
  preparationScript,
  VOLUME_MOUNT,
} from "./volume-preparation.js";
import { PullProgress } from "./pull-progress.js";

/** How long a swarm manager may hold the name of an overlay network it has just removed. */
const OVERLAY_NAME_RELEASE_MS = 10_000;

/** How long a swarm manager may still count a departed container or task on a network. */
const SWARM_NETWORK_RELEASE_MS = 20_000;

/** The swarm manager's answer while a task (or a node's attachment) it has not yet seen leave is on a network. */
function isSwarmTaskStillAttached(err: unknown): boolean {
  return /is in use by task/i.test(err instanceof Error ? err.message : String(err));
}

/** How long a swarm node's task containers may hold a volume after their service went. */
const NODE_VOLUME_RELEASE_MS = 20_000;

/** What the step executors share during one apply. */
export interface ExecutionContext {
  engine(client: string): EngineWriter;
  map: ResolvedMap;
  /** The desired spec of a container on an engine (the same the planner compared). */
  spec(client: string, key: string): ContainerSpec;
  /** Container name → id per engine: observed ids, updated as containers are made and renamed. */
  ids: Map<string, Map<string, string>>;
  /** How a step of this run ended (undefined while it has not). */
  outcome(step: string): "done" | "failed" | "skipped" | "cancelled" | undefined;
  /** Exit codes of the exec steps that failed (null: no exit code), by step id. */
  execExits: Map<string, number | null>;
  waitTimeoutMs: number;
  clock: Clock;
  signal: AbortSignal | undefined;
  registryAuth(image: string): RegistryAuth | undefined;
  /**
   * A line of a step's output (a build's, a pull's), for the progress display and the logs;
   * `transient`: a progress counter that the next line replaces.
   */
  output?(step: Step, line: string, transient?: boolean): void;
  /** The map's Swarm part the plan was made from (services and overlays to send); undefined without one. */
  swarm?: SwarmLookup;
}

/** The outcome of one step: a short note for the progress display. */
export type StepOutcome = string | undefined;

type Executors = { [T in StepType]: (step: StepOf<T>, ctx: ExecutionContext) => Promise<StepOutcome> };

/**
 * One executor per step type; the type makes a missing one a compile error. Executors decide
 * nothing: every choice (names, order, what to carry over) is in the step.
 */
export const executors: Executors = {
  ...swarmExecutors,

  "pull-image": async (step, ctx) => {
    await ctx
      .engine(step.object.client)
      .pullImage(step.image, ctx.registryAuth(step.image), pullOutput(step, ctx));
    return undefined;
  },

  "build-image": async (step, ctx) => {
    const container = ctx.map.containers.find((c) => c.config === step.config && c.build !== undefined);
    if (container?.build === undefined) throw new Error(`config ${step.config} builds no image in the map`);
    const build = container.build;
    const engine = ctx.engine(step.object.client);
    for (const base of step.pullBases)
      await engine.pullImage(base, ctx.registryAuth(base), pullOutput(step, ctx));
    const { digest: context, tar } = await packBuildContext(step.config, build);
    const secrets = secretValuesOf(ctx.map);
    // The record names base image ids as they are now, just before the build uses them.
    const record = buildRecord(
      build,
      context,
      imageIndex(await engine.listImages()),
      randomBytes(16).toString("hex"),
      ctx.map.sensitive,
    );
    // The classic builder adds one step per label: berth adds two (the map, and the record).
    const labels = { ...build.labels, [LABEL.map]: ctx.map.name, ...encodeBuildLabels(record) };
    let imageId: string;
    try {
      ({ imageId } = await engine.buildImage(
        {
          context: tar,
          tag: step.image,
          dockerfile: build.dockerfile,
          args: build.args,
          labels,
          ...(build.target === undefined ? {} : { target: build.target }),
          noCache: build.noCache,
          ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        },
        (line) => ctx.output?.(step, maskSecrets(line, secrets)),
      ));
    } catch (err) {
      if (!isImageBuildError(err) || err.mayHaveBeenApplied) throw err;
      throw buildFailure(
        step,
        build.generated === undefined ? posix.join(build.context, build.dockerfile) : GENERATED_DOCKERFILE,
        context.instructions,
        err,
        secrets,
      );
    }
    for (const extra of step.tags) {
      const { repository, tag } = splitReference(extra);
      await engine.tagImage(imageId, repository, tag);
    }
    return `built ${imageId.replace(/^sha256:/, "").slice(0, 12)}`;
  },

  "create-network": async (step, ctx) => {
    const network = ctx.map.networks.find((n) => n.key === step.object.key);
    if (network === undefined)
      throw new Error(`network ${step.object.key ?? step.object.name} is not in the map`);
    const labels = { ...networkLabels(ctx.map.name, network), [LABEL.version]: BERTH_VERSION };
    const body = networkCreateBody(network, labels);
    const engine = ctx.engine(step.object.client);
    if (network.driver !== OVERLAY_DRIVER) {
      await engine.createNetwork(body);
      return undefined;
    }
    // A swarm manager still holds the name of an overlay it has just removed for a moment (the
    // plan removed it: it is made again): the name is asked again until it is free.
    let conflict: unknown;
    await pollUntil({
      probe: () =>
        engine.createNetwork(body).then(
          () => true,
          (err: unknown) => {
            if (!isEngineConflictError(err)) throw err;
            conflict = err;
            return false;
          },
        ),
      done: (created) => created,
      onTimeout: () => conflict as Error,
      timeoutMs: OVERLAY_NAME_RELEASE_MS,
      intervalMs: 200,
      clock: ctx.clock,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    return undefined;
  },

  "remove-network": async (step, ctx) => {
    const engine = ctx.engine(step.object.client);
    // A swarm manager learns that a node's container or task left a network asynchronously: it
    // refuses the removal ("in use by task") until it has, so a bounded wait on that answer only.
    const deadline = ctx.clock.now() + SWARM_NETWORK_RELEASE_MS;
    for (;;) {
      try {
        await engine.removeNetwork(step.networkId);
        break;
      } catch (err) {
        if (isEngineNotFoundError(err)) return "already gone";
        if (isSwarmTaskStillAttached(err) && ctx.clock.now() < deadline) {
          await ctx.clock.sleep(500, ctx.signal);
          continue;
        }
        if (step.ifUnused && (isEngineConflictError(err) || /active endpoints/i.test(String(err)))) {
          return "kept: still used by containers outside the map";
        }
        throw err;
      }
    }
    const network = ctx.map.networks.find((n) => n.key === step.object.key);
    // A swarm manager answers before the overlay is gone: the step is done once it is.
    if (network?.driver === OVERLAY_DRIVER) {
      await pollUntil({
        probe: async () => (await engine.listNetworks({ [LABEL.map]: ctx.map.name })).map((n) => n.Id),
        done: (ids) => !ids.includes(step.networkId),
        onTimeout: () =>
          new Error(
            `overlay network ${step.object.name} is still listed ${OVERLAY_NAME_RELEASE_MS / 1000} s after its removal`,
          ),
        timeoutMs: OVERLAY_NAME_RELEASE_MS,
        intervalMs: 200,
        clock: ctx.clock,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    }
    return undefined;
  },

  "connect-network": async (step, ctx) => {
    await ctx
      .engine(step.object.client)
      .connectNetwork(step.network, step.container, endpointConfig(step.endpoint));
    return undefined;
  },

  "disconnect-network": async (step, ctx) => {
    try {
      await ctx.engine(step.object.client).disconnectNetwork(step.network, step.container, true);
    } catch (err) {
      if (isEngineNotFoundError(err)) return "already disconnected";
      throw err;
    }
    return undefined;
  },

  "create-volume": async (step, ctx) => {
    const volume = ctx.map.volumes.find((v) => v.key === step.object.key);
    if (volume === undefined)
      throw new Error(`volume ${step.object.key ?? step.object.name} is not in the map`);
    const labels = { ...volumeLabels(ctx.map.name, volume), [LABEL.version]: BERTH_VERSION };
    await ctx.engine(step.object.client).createVolume(volumeCreateBody(volume, labels));
    return undefined;
  },

  "remove-volume": async (step, ctx) => {
    // On a swarm node, the tasks of a removed service leave asynchronously: the engine says
    // "in use" until they have, so a bounded wait there; elsewhere in use is an answer.
    const deadline =
      ctx.clock.now() + (ctx.swarm?.isVolumeNode(step.object.client) ? NODE_VOLUME_RELEASE_MS : 0);
    for (;;) {
      try {
        await ctx.engine(step.object.client).removeVolume(step.object.name);
        return undefined;
      } catch (err) {
        if (isEngineNotFoundError(err)) return "already gone";
        if (!isEngineConflictError(err) || ctx.clock.now() >= deadline) throw err;
      }
      await ctx.clock.sleep(500, ctx.signal);
    }
  },

  "prepare-volume": async (step, ctx) => {
    const engine = ctx.engine(step.object.client);
    const id = await engine.createContainer(
      `${ctx.map.name}.berth-helper-${randomBytes(4).toString("hex")}`,
      {
        Image: step.image,
        Entrypoint: ["sh", "-c"],
        Cmd: [preparationScript(step.user, step.permissions)],
        User: "0:0",
        Labels: { [LABEL.map]: ctx.map.name, [LABEL.kind]: "helper" },
        HostConfig: { Binds: [`${step.volume}:${VOLUME_MOUNT}`], NetworkMode: "none" },
      },
    );
    try {
      await engine.startContainer(id);
      const exitCode = await engine.waitContainer(id, ctx.signal);
      const output = await readLogs(engine, id);
      if (exitCode !== 0) {
        throw new VolumePreparationError(
          step.object.client,
          `volume ${step.volume}`,
          "prepare",
          `the helper exited with code ${exitCode}: ${helperOutput(output)}`,
        );
      }
      const check = checkPreparation(output, step.user, step.permissions);
      if (!check.ok) {
        throw new VolumePreparationError(
          step.object.client,
          `volume ${step.volume}`,
          "prepare",
          check.problem ?? "unexpected result",
        );
      }
      return (
        describePreparation(output) ??
        [step.user && `owner ${step.user}`, step.permissions && `mode ${step.permissions}`]
          .filter(Boolean)
          .join(", ")
      );
    } finally {
      await removeContainerUntilGone(engine, id, { force: true, volumes: false }).catch(() => undefined);
    }
  },

  "create-container": async (step, ctx) => {
    const client = step.object.client;
    const key = step.object.key as string;
    const spec = ctx.spec(client, key);
    const ids = idsOf(ctx, client);
    const bound: Record<string, string> = {};
    for (const name of referencedContainers(spec)) {
      const id = ids.get(name);
      if (id !== undefined) bound[name] = id;
    }
    const container = ctx.map.containers.find((c) => c.key === key);
    const labels: Record<string, string> = {
      [LABEL.map]: ctx.map.name,
      [LABEL.config]: container?.config ?? key,
      [LABEL.instance]: container?.instance ?? "",
      [LABEL.kind]: "container",
      [LABEL.version]: BERTH_VERSION,
      ...encodeSpecLabels(spec, randomBytes(16).toString("hex"), ctx.map.sensitive, bound),
    };
    if (step.temporary) labels[LABEL.replaces] = step.object.name;
    const id = await ctx
      .engine(client)
      .createContainer(step.name, createBody(spec, { labels, carriedVolumes: step.carriedVolumes }));
    ids.set(step.name, id);
    return undefined;
  },

  "start-container": async (step, ctx) => {
    await ctx.engine(step.object.client).startContainer(step.container);
    if (step.delayMs > 0) await ctx.clock.sleep(step.delayMs, ctx.signal);
    return undefined;
  },

  "stop-container": async (step, ctx) => {
    const engine = ctx.engine(step.object.client);
    const timeout = step.timeoutSeconds ?? 10;
    if (step.signal === null || step.signal === "SIGTERM" || step.signal === "TERM") {
      await engine.stopContainer(step.container, timeout);
      return undefined;
    }
    // The map's stop signal (which may differ from the one the container was made with).
    try {
      await engine.killContainer(step.container, step.signal);
    } catch (err) {
      if (isEngineConflictError(err)) return "was not running";
      throw err;
    }
    const exited = await engine
      .waitContainer(step.container, AbortSignal.timeout(timeout * 1000))
      .then(() => true)
      .catch(() => false);
    if (!exited) await engine.stopContainer(step.container, 0);
    return exited ? undefined : `did not stop on ${step.signal} within ${timeout} s; killed`;
  },

  "kill-container": async (step, ctx) => {
    try {
      await ctx.engine(step.object.client).killContainer(step.container, step.signal);
    } catch (err) {
      if (isEngineConflictError(err)) return "was not running";
      throw err;
    }
    return undefined;
  },

  "remove-container": async (step, ctx) => {
    const outcome = await removeContainerUntilGone(
      ctx.engine(step.object.client),
      step.container,
      { volumes: step.removeVolumes, force: step.force },
      removalWait(ctx),
    );
    if (outcome === "already-gone") return "already gone";
    // A run killed mid-removal leaves the engine finishing it: that removal was waited for.
    return outcome === "removed-by-engine" ? "already being removed: gone now" : undefined;
  },

  "rename-container": async (step, ctx) => {
    const ids = idsOf(ctx, step.object.client);
    await ctx.engine(step.object.client).renameContainer(step.container, step.to);
    const id = ids.get(step.container) ?? step.container;
    ids.delete(step.container);
    ids.set(step.to, id);
    return undefined;
  },

  "update-container": async (step, ctx) => {
    const spec = ctx.spec(step.object.client, step.object.key as string);
    await ctx.engine(step.object.client).updateContainer(step.container, updateBody(spec, step.fields));
    return step.fields.join(", ");
  },

  exec: async (step, ctx) => {
    const failed = (message: string, cause?: unknown) =>
      new ExecFailedError(step.object.client, `container ${step.container}`, "exec", message, {
        ...(cause === undefined ? {} : { cause }),
      });
    const result = await ctx
      .engine(step.object.client)
      .exec(step.container, step.command, {
        ...(step.user === null ? {} : { user: step.user }),
        detach: step.detach,
        ...(step.timeoutMs === null ? {} : { timeoutMs: step.timeoutMs }),
      })
      .catch((err: unknown) => {
        ctx.execExits.set(step.id, null);
        const message = maskSecrets(
          err instanceof Error ? err.message : String(err),
          secretValuesOf(ctx.map),
        );
        throw failed(`\`${step.text}\`: ${message}`, err);
      });
    if (step.detach) return "started in the background";
    if (result.exitCode !== 0) {
      ctx.execExits.set(step.id, result.exitCode ?? null);
      throw failed(
        `\`${step.text}\` exited with code ${result.exitCode ?? "unknown"}${outputTail(result.output, ctx)}`,
      );
    }
    return undefined;
  },

  "record-state": async (step, ctx) => {
    // Replaced whole: the run holds the map's lock, so nobody else writes it meanwhile.
    const engine = ctx.engine(step.object.client);
    await removeContainerUntilGone(engine, step.object.name, { force: true }, removalWait(ctx));
    const state = recordAfterRun(step, ctx);
    await createMarkerContainer(engine, step.object.name, encodeMapState(ctx.map.name, state));
    const ids = new Set([...Object.keys(state.containers), ...Object.keys(state.exec ?? {})]);
    const volumes = Object.keys(state.volumes ?? {}).length;
    return `${ids.size} container(s)${volumes === 0 ? "" : `, ${volumes} volume(s)`} recorded`;
  },

  "wait-healthy": async (step, ctx) => {
    const engine = ctx.engine(step.object.client);
    const seconds = Math.round(ctx.waitTimeoutMs / 1000);
    await pollUntil({
      probe: () => engine.inspectContainer(step.container),
      done: (d) => d.State.Health?.Status === "healthy",
      fail: (d) => {
        if (d.State.Health === undefined || d.State.Health === null) {
          return new WaitError(
            step.object.client,
            `container ${step.container}`,
            "wait healthy",
            "it has no health check",
            {
              hint: "give it a `healthcheck` in the map, or depend on it with `condition: started`",
            },
          );
        }
        if (!d.State.Running) {
          return new WaitError(
            step.object.client,
            `container ${step.container}`,
            "wait healthy",
            `it stopped (exit code ${d.State.ExitCode}) before it was healthy`,
          );
        }
        return undefined;
      },
      onTimeout: (d) =>
        new WaitError(
          step.object.client,
          `container ${step.container}`,
          "wait healthy",
          `not healthy after ${seconds} s; last health check output: ${lastHealthOutput(d)}`,
        ),
      timeoutMs: ctx.waitTimeoutMs,
      intervalMs: 250,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return "healthy";
  },

  "wait-completed": async (step, ctx) => {
    const engine = ctx.engine(step.object.client);
    const seconds = Math.round(ctx.waitTimeoutMs / 1000);
    const details = await pollUntil({
      probe: () => engine.inspectContainer(step.container),
      done: (d) => !d.State.Running && d.State.Status !== "created",
      onTimeout: () =>
        new WaitError(
          step.object.client,
          `container ${step.container}`,
          "wait completed",
          `still running after ${seconds} s`,
        ),
      timeoutMs: ctx.waitTimeoutMs,
      intervalMs: 250,
      clock: ctx.clock,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (details.State.ExitCode !== 0) {
      throw new WaitError(
        step.object.client,
        `container ${step.container}`,
        "wait completed",
        `exited with code ${details.State.ExitCode}`,
      );
    }
    return "completed";
  },
};

/**
 * The last lines of a failed command's output, masked whole before it is split and joined (a
 * secret that spans lines would no longer be found once they are joined with ` | `).
 */
function outputTail(output: string, ctx: ExecutionContext): string {
  const masked = maskSecrets(output, secretValuesOf(ctx.map));
  const tail = masked.trim().split("\n").slice(-5).join(" | ");
  return tail === "" ? "" : `: ${tail}`;
}

/**
 * The record a record-state step writes: its base, with each in-place change whose steps are all
 * done, and the result of each exec step that ended (done: exit 0; failed: its exit code). A
 * container the run was to make but did not is left out.
 */
function recordAfterRun(step: StepOf<"record-state">, ctx: ExecutionContext): MapState {
  const done = (id: string) => ctx.outcome(id) === "done";
  const state: MapState = {
    v: 1,
    containers: { ...step.state.containers },
    ...(step.state.exec === undefined ? {} : { exec: { ...step.state.exec } }),
    ...(step.state.volumes === undefined ? {} : { volumes: { ...step.state.volumes } }),
  };
  for (const { name, record, step: prepared } of step.volumes) {
    if (!done(prepared)) continue;
    state.volumes ??= {};
    state.volumes[name] = record;
  }
  const ids = idsOf(ctx, step.object.client);
  for (const change of step.inPlace) {
    if (change.steps.every(done)) state.containers[change.id] = change.record;
  }
  for (const update of step.exec) {
    if (update.made !== null && !done(update.made)) continue;
    const id = update.id ?? ids.get(update.container);
    if (id === undefined) continue;
    const record: ExecRecord = { ...update.kept };
    for (const { digest, step: ran } of update.ran) {
      const outcome = ctx.outcome(ran);
      if (outcome === "done") record[digest] = 0;
      else if (outcome === "failed") record[digest] = ctx.execExits.get(ran) ?? null;
    }
    state.exec ??= {};
    state.exec[id] = record;
  }
  return state;
}

function idsOf(ctx: ExecutionContext, client: string): Map<string, string> {
  let ids = ctx.ids.get(client);
  if (!ids) {
    ids = new Map();
    ctx.ids.set(client, ids);
  }
  return ids;
}

/** Names of the containers a spec refers to in ways that bind to their id at create time. */
function referencedContainers(spec: ContainerSpec): string[] {
  const names = [
    ...spec.links.map((l) => l.slice(0, l.lastIndexOf(":"))),
    ...spec.uses.filter((u) => u.startsWith("container:")).map((u) => u.split(":")[1] as string),
  ];
  if (spec.network_mode.startsWith("container:")) names.push(spec.network_mode.slice("container:".length));
  return names;
}

function lastHealthOutput(
  details: Awaited<ReturnType<EngineWriter["inspectContainer"]>> | undefined,
): string {
  const log = details?.State.Health?.Log ?? [];
  const last = log.at(-1);
  return last === undefined
    ? "(none yet)"
    : `${last.Output.trim().slice(-300) || "(empty)"} (exit code ${last.ExitCode})`;
}

async function readLogs(engine: EngineWriter, id: string): Promise<string> {
  const stream = await engine.containerLogs(id, {});
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** The helper's own messages on one line (without the `before` mode line the check reads). */
function helperOutput(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^before \d+$/.test(l));
  return lines.slice(-5).join(" | ").slice(-500) || "(no output)";
}

function removalWait(ctx: ExecutionContext): RemovalWait {
  return {
    timeoutMs: ctx.waitTimeoutMs,
    clock: ctx.clock,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  };
}

/** A failed build as berth reports it: config, `Dockerfile:LINE`, the instruction, the builder's words. */
function buildFailure(
  step: StepOf<"build-image">,
  dockerfile: string,
  instructions: readonly Instruction[],
  err: ImageBuildError,
  secrets: readonly string[],
): ImageBuildFailedError {
  const { failure } = err;
  const instruction = failure.step === undefined ? undefined : instructionOfStep(instructions, failure.step);
  const at =
    instruction === undefined
      ? dockerfile
      : `${dockerfile}:${instruction.line} (${instruction.keyword} ${instruction.args})`;
  const message = maskSecrets(err.engineMessage, secrets);
  const where = maskSecrets(at, secrets);
  return new ImageBuildFailedError(
    step.object.client,
    `image ${step.image}`,
    "build-image",
    `config ${step.config}: ${where}: ${message}`,
    { hint: "fix the Dockerfile or the context; nothing made from the image was changed", cause: err },
  );
}

/** A pull's progress events as the step's output lines (see PullProgress). */
function pullOutput(step: Step, ctx: ExecutionContext): ((event: unknown) => void) | undefined {
  if (ctx.output === undefined) return undefined;
  const progress = new PullProgress();
  return (event) => {
    const line = progress.add(event);
    if (line !== undefined) ctx.output?.(step, line.line, line.transient);
  };
}
