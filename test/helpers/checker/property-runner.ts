import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import Docker from "dockerode";
import { checkConvergence } from "../convergence-checker.js";
import { writeMap } from "../cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine } from "../engine.js";
import { docker } from "./docker-cli.js";
import { runBerthBin } from "./expected-map.js";
import {
  describeAction,
  editModel,
  execGate,
  INITIAL_MODEL,
  isMapEdit,
  type Drift,
  renderMap,
  type Action,
  type MapModel,
} from "./property-model.js";

/**
 * Runs one sequence of actions against the real engine through the built `berth` executable:
 * after each action, `update --remove-orphans` must succeed, the checker must find no difference,
 * and the next plan must be empty. The first step that breaks this ends the sequence.
 */
export interface SequenceFailure {
  /** The actions up to and including the failing one. */
  actions: Action[];
  problems: string[];
}

export interface SequenceContext {
  /** Folder for the map files. */
  dir: string;
  /** Free host ports a `port` action may publish. */
  ports: number[];
}

interface RunState {
  mapName: string;
  file: string;
  image: string;
  model: MapModel;
  imageIsBase2: boolean;
  gateOpen: boolean;
}

const dockerApi = new Docker({ socketPath: "/var/run/docker.sock" });

export async function runSequence(
  actions: Action[],
  context: SequenceContext,
): Promise<SequenceFailure | undefined> {
  const tag = randomBytes(3).toString("hex");
  const mapName = `bt-prop-${tag}`;
  const image = `berth-test/prop-${tag}:live`;
  const state: RunState = {
    mapName,
    file: join(context.dir, `${mapName}.yaml`),
    image,
    model: INITIAL_MODEL,
    imageIsBase2: false,
    gateOpen: false,
  };
  try {
    await docker("tag", FIXTURE_IMAGES.base1, image);
    writeMap(context.dir, renderMap(mapName, state.model, image, context.ports), `${mapName}.yaml`);
    const first = await converge(state);
    if (first.length > 0) return { actions: [], problems: ["on the initial map:", ...first] };
    for (const [index, action] of actions.entries()) {
      const problems = await step(state, action, context);
      if (problems.length > 0) return { actions: actions.slice(0, index + 1), problems };
    }
    return undefined;
  } finally {
    await removeMapObjects(testEngine(), mapName);
    await docker("rmi", image).catch(() => undefined);
  }
}

async function step(state: RunState, action: Action, context: SequenceContext): Promise<string[]> {
  if (isMapEdit(action)) {
    const next = editModel(state.model, action);
    if (next.exec.serial !== state.model.exec.serial) state.gateOpen = false;
    state.model = next;
    writeMap(
      context.dir,
      renderMap(state.mapName, next, state.image, context.ports),
      `${state.mapName}.yaml`,
    );
  } else {
    const made = await drift(state, action);
    // The checker must see the drift before berth repairs it, or the property proves nothing.
    if (
      made &&
      VISIBLE_DRIFT.has(action.kind) &&
      (await checkConvergence(fileArgs(state), { docker: dockerApi })).length === 0
    ) {
      return [`the checker saw no difference after ${describeAction(action)}`];
    }
  }
  // A change made in place with `docker update` is seen only by an inspect: `--refresh full`.
  return converge(state, REFRESH_FULL_DRIFT.has(action.kind));
}

/** Drift that only `--refresh full` (one inspect per container) can see. */
const REFRESH_FULL_DRIFT = new Set<Action["kind"]>(["docker-update-memory"]);

/** Drift the checker must notice at once (when its target existed). */
const VISIBLE_DRIFT = new Set<Action["kind"]>([
  "retag",
  "docker-stop",
  "docker-rm",
  "docker-update-memory",
  "network-disconnect",
]);

const fileArgs = (state: RunState) => ["-f", state.file];

/**
 * `update` (with `--refresh full` after drift only it sees), then the checker, then a plan that
 * must be empty — also with `--refresh full`, which must find no drift where the checker finds none.
 */
async function converge(state: RunState, refreshFull = false): Promise<string[]> {
  const refresh = refreshFull ? ["--refresh", "full"] : [];
  const update = await runBerthBin([
    ...fileArgs(state),
    "update",
    "--remove-orphans",
    ...refresh,
    "--progress",
    "plain",
  ]);
  const execCannotRun = state.model.exec.gated && !state.gateOpen;
  if (update.code !== 0) {
    // A gated exec command fails until its gate opens: the map asks for something that cannot succeed.
    if (execCannotRun) return [];
    return [`berth update exited ${update.code}: ${lastLines(update.stderr)}`];
  }
  const problems = await checkConvergence(fileArgs(state), { docker: dockerApi });
  const plan = await runBerthBin([
    ...fileArgs(state),
    "plan",
    "--remove-orphans",
    "--refresh",
    "full",
    "--detailed-exitcode",
  ]);
  if (plan.code !== 0)
    problems.push(`the next plan is not empty (exit ${plan.code}): ${lastLines(plan.stdout + plan.stderr)}`);
  if (problems.length > 0 && execCannotRun)
    problems.unshift("berth update exited 0 though the exec command cannot succeed");
  return problems;
}

function lastLines(text: string, count = 12): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}

/** Disturbs the engine behind berth's back; false when there was nothing to disturb. */
async function drift(state: RunState, action: Drift): Promise<boolean> {
  const name = (key: string) => `${state.mapName}.${key}`;
  const done = (request: Promise<unknown>) =>
    request.then(
      () => true,
      (err: unknown) => {
        // The target may be gone already (an instance the map dropped, a stopped container).
        if (/No such container|is not running|is not connected/.test(String(err))) return false;
        throw err;
      },
    );
  // `docker rm -f` of a missing container succeeds: look first (an instance the map dropped).
  if ("target" in action && !(await exists(name(action.target)))) return false;
  switch (action.kind) {
    case "retag":
      state.imageIsBase2 = !state.imageIsBase2;
      return done(
        docker("tag", state.imageIsBase2 ? FIXTURE_IMAGES.base2 : FIXTURE_IMAGES.base1, state.image),
      );
    case "docker-stop":
      return done(docker("stop", "-t", "1", name(action.target)));
    case "docker-rm":
      return done(docker("rm", "-f", name(action.target)));
    case "docker-restart":
      return done(docker("restart", "-t", "1", name(action.target)));
    case "docker-update-memory":
      return done(docker("update", "--memory", "200m", "--memory-swap", "400m", name("svc")));
    case "network-disconnect":
      return done(docker("network", "disconnect", name("back"), name("hub")));
    case "open-exec-gate": {
      const volume = await dockerApi.getVolume(name("data")).inspect();
      await writeFile(join(volume.Mountpoint, execGate(state.model.exec.serial)), "");
      state.gateOpen = true;
      return true;
    }
    case "berth-restart":
      await runBerthBin([...fileArgs(state), "restart", action.target, "--progress", "quiet"]);
      return true;
  }
}

async function exists(container: string): Promise<boolean> {
  return dockerApi
    .getContainer(container)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** The sequence as lines, for a finding. */
export function describeSequence(failure: SequenceFailure): string {
  const steps = failure.actions.map((a, i) => `  ${i + 1}. ${describeAction(a)}`);
  return [...steps, "  → " + failure.problems.join("\n  → ")].join("\n");
}

/** The kind of a failure, without names, ids and numbers: shrinking keeps failures of one kind. */
export function failureSignature(failure: SequenceFailure): string {
  const first = failure.problems.find((p) => !p.startsWith("berth update exited 0 though")) ?? "";
  return first
    .replace(/bt-prop-[0-9a-f]+/g, "<map>")
    .replace(/sha256:[0-9a-f]+|\b[0-9a-f]{12,64}\b/g, "<id>")
    .replace(/\d+/g, "N")
    .slice(0, 120);
}

/**
 * Shrinks a failing sequence: drops one action at a time while the sequence still fails the same
 * way, within a time budget (each try is a full run on the engine).
 */
export async function shrinkFailure(
  failure: SequenceFailure,
  context: SequenceContext,
  budgetMs: number,
): Promise<SequenceFailure> {
  const deadline = Date.now() + budgetMs;
  const signature = failureSignature(failure);
  let best = failure;
  for (let index = best.actions.length - 1; index >= 0 && Date.now() < deadline; index--) {
    if (index >= best.actions.length) continue;
    const candidate = best.actions.filter((_, i) => i !== index);
    const again = await runSequence(candidate, context);
    if (again !== undefined && failureSignature(again) === signature) best = again;
  }
  return best;
}
