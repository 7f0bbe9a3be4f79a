import { readFileSync, writeFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import type { ApplyResult } from "../../apply/executor.js";
import { parseSavedPlan } from "../../apply/saved-plan.js";
import { UsageError } from "../../common/berth-error.js";
import { loadMap, type LoadedMap } from "../../load-map.js";
import { loadClientsFile, type ClientConfig } from "../../map/clients-file.js";
import { DEFAULT_RUN_OPTIONS as RUN } from "../../apply/run-defaults.js";
import { DEFAULT_PLAN_OPTIONS } from "../../plan/plan.js";
import { PLAN_ACTIONS, planLeavesUndone, type Plan, type PlanAction } from "../../plan/plan-types.js";
import { renderPlanJson, renderPlanText, summaryLine } from "../../plan/render-plan.js";
import {
  buildImages,
  dryRun,
  openEngines,
  readersOf,
  reconcile,
  registryAuthFrom,
  type Engines,
  type PlanRequest,
  type RunOptions,
} from "../../reconcile.js";
import { logsAt } from "../../common/logger.js";
import { useColor, type CliIo } from "../cli-io.js";
import {
  endpointFor,
  engineOptionsFor,
  globalOptions,
  loadMapFor,
  loggerFor,
  logProgress,
  mapSourceFor,
  parseCacheFor,
  planLogFor,
} from "../global-options.js";
import { EXIT } from "../exit-codes.js";
import { printDockerfile } from "./build-command.js";
import { formatOf, outputOption, toYaml, type OutputFormat } from "../output-format.js";
import { firstLookReaders } from "../prefetched-reader.js";
import { progressRenderer, type ProgressMode, type ProgressRenderer } from "../progress-renderer.js";

interface PlanningFlags {
  removeOrphans?: boolean;
  volumes?: boolean;
  recreateVolumes?: boolean;
  pull?: "missing" | "always" | "never";
  /** --build (true) or --no-build (false). */
  build?: boolean;
  signal?: string;
  refresh?: "labels" | "full";
}

interface RunFlags extends PlanningFlags {
  dryRun?: boolean;
  detailedExitcode?: boolean;
  json?: boolean;
  output?: OutputFormat;
  parallel?: number;
  waitTimeout?: number;
  lockTimeout?: number;
  progress: ProgressMode;
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
};
const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds");
  return n;
};

/** The clients file of `--clients`; its `context`s are read in the CLI's environment (DOCKER_CONFIG). */
export function clientsFor(command: Command, io: CliIo): Record<string, ClientConfig> {
  const file = globalOptions(command).clients;
  return file === undefined ? {} : loadClientsFile(file, io.env);
}

/** The plan options given on the command line; the rest take their defaults in planOptions (the API's). */
function planRequest(action: PlanAction, targets: string[], flags: PlanningFlags): PlanRequest {
  if ((action === "update" || action === "startup") && flags.volumes === true && flags.removeOrphans !== true)
    throw new UsageError(
      `--volumes on ${action} removes the volumes of orphans: it goes with --remove-orphans`,
      {
        hint: `berth ${action} --remove-orphans --volumes`,
      },
    );
  return {
    action,
    targets,
    ...(flags.removeOrphans === undefined ? {} : { removeOrphans: flags.removeOrphans }),
    ...(flags.volumes === undefined ? {} : { removeVolumes: flags.volumes }),
    ...(flags.recreateVolumes === undefined ? {} : { recreateVolumes: flags.recreateVolumes }),
    ...(flags.pull === undefined ? {} : { pull: flags.pull }),
    ...(flags.build === undefined ? {} : { build: flags.build ? ("always" as const) : ("never" as const) }),
    ...(flags.signal === undefined ? {} : { killSignal: flags.signal }),
    ...(flags.refresh === undefined ? {} : { refresh: flags.refresh }),
  };
}

/** The map, clients file and engines the global options name. */
function openFor(
  command: Command,
  io: CliIo,
): { map: LoadedMap; clients: Record<string, ClientConfig>; engines: Engines } {
  const clients = clientsFor(command, io);
  // With the clients file: a swarm client's configs are checked against what Swarm can run.
  const map = loadMapFor(command, io, { clients });
  return { map, clients, engines: openEngines(map, clients, engineOptionsFor(command, io, map)) };
}

/** The plan a run would start from, read-only, with the prefetched lists for its first look. */
async function planNow(command: Command, io: CliIo, request: PlanRequest): Promise<Plan> {
  const { map, clients, engines } = openFor(command, io);
  const firstLook = firstLookReaders(engines, clients, io.prefetch, endpointFor(command, io));
  return dryRun(map, readersOf(engines), {
    ...request,
    ...planLogFor(command, io),
    clients,
    ...(firstLook === undefined ? {} : { firstLook }),
  });
}

/** `--refresh`: how deep the look at the engine goes, with the API's default in its help. */
export function refreshOption(): Option {
  return new Option(
    "--refresh <mode>",
    `labels: compare with what berth recorded (4 calls per engine); full: also inspect every container of the map, one call each, and compare its whole configuration with the map (changes made by hand: docker update, a container made again) (default: ${DEFAULT_PLAN_OPTIONS.refresh})`,
  ).choices(["labels", "full"]);
}

/** `--pull`, with the API's default in its help. */
function pullOption(): Option {
  return new Option("--pull <policy>", `when to pull images (default: ${DEFAULT_PLAN_OPTIONS.pull})`).choices(
    ["missing", "always", "never"],
  );
}

/** `--build` / `--no-build`: for the images the map builds (`build:`). */
function withBuildOptions(command: Command): Command {
  return command
    .option("--build", "build the map's images again even when nothing they are built from changed")
    .option("--no-build", "fail rather than build an image (missing, or changed on update)");
}

/** Prints a plan on stdout, as text, JSON or YAML; returns the exit code a dry run or plan ends with. */
function printPlan(
  plan: Plan,
  io: CliIo,
  flags: { json?: boolean; output?: OutputFormat; detailedExitcode?: boolean },
): number {
  const format = formatOf(flags, "text");
  io.stdout.write(
    format === "json"
      ? renderPlanJson(plan)
      : format === "yaml"
        ? toYaml(JSON.parse(renderPlanJson(plan)))
        : renderPlanText(plan, { color: useColor(io, "stdout") }),
  );
  // A plan that leaves part of the asked work undone (an engine that did not answer, volumes on a
  // node berth cannot reach) is not the whole answer: exit 1, never "no changes" (plan.undone says what).
  if (planLeavesUndone(plan)) return EXIT.error;
  return flags.detailedExitcode && plan.steps.length > 0 ? EXIT.changes : EXIT.ok;
}

export function planCommand(io: CliIo): Command {
  return new Command("plan")
    .description("show what an action would change, without changing anything (read-only)")
    .argument("[targets...]", "configs, config.instance names or groups (default: all)")
    .addOption(new Option("--action <action>", "the action to plan").choices(PLAN_ACTIONS).default("update"))
    .addOption(outputOption(["text", "json", "yaml"], "text"))
    .option("--json", "print the plan as JSON (schemas/plan.schema.json); same as -o json")
    .option(
      "--detailed-exitcode",
      "exit 2 when the plan has changes, 0 when it has none (1 when part of the asked work cannot be done)",
    )
    .option("--out <file>", "save the plan as JSON for a later `berth apply FILE`")
    .option("--remove-orphans", "plan the removal of containers the map no longer has")
    .option("--volumes", "shutdown/remove: plan the removal of volumes too")
    .option(
      "--recreate-volumes",
      "update: plan to recreate volumes whose driver options changed (data is lost)",
    )
    .addOption(pullOption())
    .addOption(refreshOption())
    .option("--build", "build the map's images again even when nothing they are built from changed")
    .option("--no-build", "fail rather than build an image (missing, or changed on update)")
    .action(
      async (
        targets: string[],
        flags: PlanningFlags & {
          action: PlanAction;
          json?: boolean;
          output?: OutputFormat;
          detailedExitcode?: boolean;
          out?: string;
        },
        command: Command,
      ) => {
        const plan = await planNow(command, io, planRequest(flags.action, targets, flags));
        if (flags.out !== undefined) {
          writeFileSync(resolvePath(io.cwd, flags.out), renderPlanJson(plan));
          io.stderr.write(`plan saved to ${flags.out}; apply it with: berth apply ${flags.out}\n`);
        }
        command.setOptionValue("exitCode", printPlan(plan, io, flags));
      },
    );
}

/** The progress display and the logs (--log-level) of one run, fed by the same events. */
function progressFor(cmd: Command, io: CliIo, mode: ProgressMode): ProgressRenderer {
  const display = progressRenderer(mode, io);
  // Progress is logged at info and debug: at the default level (warn) no logger is needed.
  // With `--progress json` every stderr line is JSON: logs asked for (--log-level) are JSON lines too.
  const log = logsAt(globalOptions(cmd).logLevel ?? "warn", "info")
    ? logProgress(loggerFor(cmd, io, mode === "json" ? { format: "json" } : {}))
    : () => undefined;
  return {
    listener: (event) => {
      display.listener(event);
      log(event);
    },
    finish: () => display.finish(),
  };
}

/** The options of everything that applies steps: parallelism, waits, the lock, progress. */
function withApplyOptions(command: Command): Command {
  return command
    .option("--parallel <n>", `most engine operations at once (default: ${RUN.parallel})`, positiveInt)
    .option(
      "--wait-timeout <seconds>",
      `limit of each health or completion wait (default: ${RUN.waitTimeoutMs / 1000})`,
      seconds,
    )
    .option(
      "--lock-timeout <seconds>",
      `how long to wait for another run on the same map (default: ${RUN.lockTimeoutMs / 1000})`,
      seconds,
    )
    .addOption(
      new Option("--progress <mode>", "progress display on stderr")
        .choices(["auto", "tty", "plain", "json", "quiet"])
        .default("auto"),
    );
}

function runCommand(
  io: CliIo,
  name: PlanAction,
  description: string,
  configure?: (c: Command) => Command,
): Command {
  let command = new Command(name)
    .description(description)
    .argument("[targets...]", "configs, config.instance names or groups (default: all)")
    .option("--dry-run", "print the plan and change nothing (read-only)")
    .option("--detailed-exitcode", "with --dry-run: exit 2 when there are changes")
    .option("--json", "print the plan (dry run) or the plan and step results as JSON on stdout")
    .addOption(outputOption(["text", "json", "yaml"], "text"));
  command = withApplyOptions(command);
  if (configure) command = configure(command);
  return command.action(async (targets: string[], flags: RunFlags, cmd: Command) => {
    const request = planRequest(name, targets, flags);
    if (flags.dryRun) {
      cmd.setOptionValue("exitCode", printPlan(await planNow(cmd, io, request), io, flags));
      return;
    }
    const { map, clients, engines } = openFor(cmd, io);
    const firstLook = firstLookReaders(engines, clients, io.prefetch, endpointFor(cmd, io));
    const renderer = progressFor(cmd, io, flags.progress);
    const { plan, result } = await finishing(renderer, () =>
      reconcile(map, engines, {
        ...request,
        ...planLogFor(cmd, io),
        clients,
        ...runOptions(flags, io, renderer),
        ...(firstLook === undefined ? {} : { firstLook }),
      }),
    );
    cmd.setOptionValue("exitCode", reportRun(plan, result as ApplyResult, io, flags));
  });
}

/**
 * `berth build [CONFIG...]`: builds the map's images (of the targets) that are missing or changed,
 * or all with --force, and touches no container; `--print-dockerfile CONFIG` prints a Dockerfile.
 */
export function buildCommand(io: CliIo): Command {
  const command = new Command("build")
    .description("build the map's images that are missing or changed, touching no container")
    .argument("[targets...]", "configs, config.instance names or groups (default: all)")
    .option(
      "--print-dockerfile",
      "print the Dockerfile the one config's image is built from, and build nothing",
    )
    .option("--force", "build even the images whose inputs did not change")
    .option("--dry-run", "print the builds and change nothing (read-only)")
    .option("--detailed-exitcode", "with --dry-run: exit 2 when there are builds")
    .option("--json", "print the plan (dry run) or the plan and step results as JSON on stdout")
    .addOption(outputOption(["text", "json", "yaml"], "text"));
  return withApplyOptions(command).action(
    async (
      targets: string[],
      flags: RunFlags & { printDockerfile?: boolean; force?: boolean },
      cmd: Command,
    ) => {
      if (flags.printDockerfile === true) {
        printDockerfile(io, cmd, targets);
        return;
      }
      const { map, clients, engines } = openFor(cmd, io);
      const request = { targets, clients, ...(flags.force === true ? { build: "always" as const } : {}) };
      if (flags.dryRun) {
        const { plan } = await buildImages(map, engines, { ...request, dryRun: true });
        cmd.setOptionValue("exitCode", printPlan(plan, io, flags));
        return;
      }
      const renderer = progressFor(cmd, io, flags.progress);
      const { plan, result } = await finishing(renderer, () =>
        buildImages(map, engines, { ...request, ...runOptions(flags, io, renderer) }),
      );
      cmd.setOptionValue("exitCode", reportRun(plan, result as ApplyResult, io, flags));
    },
  );
}

/**
 * Runs `work` with the progress display, finished whatever happens: a run that throws gives
 * stderr back and stops the live display's timer before its error is written.
 */
async function finishing<T>(renderer: ProgressRenderer, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    renderer.finish();
  }
}

/** How the steps are applied: the command line's settings, the progress display, Ctrl-C. */
function runOptions(flags: RunFlags, io: CliIo, renderer: ProgressRenderer): RunOptions {
  return {
    ...(flags.parallel === undefined ? {} : { parallel: flags.parallel }),
    ...(flags.waitTimeout === undefined ? {} : { waitTimeoutMs: flags.waitTimeout * 1000 }),
    ...(flags.lockTimeout === undefined ? {} : { lockTimeoutMs: flags.lockTimeout * 1000 }),
    registryAuth: registryAuthFrom(io.env),
    onProgress: renderer.listener,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  };
}

/**
 * The end of a run: a summary on stderr (JSON on stdout if asked); exit 0, 1 or 130. With
 * `--progress json` the summary is one JSON event (`type: "summary"`), as every stderr line is
 * JSON then; with `--progress quiet` only the errors are written.
 */
function reportRun(
  plan: Plan,
  result: ApplyResult,
  io: CliIo,
  flags: { json?: boolean; output?: OutputFormat; progress?: ProgressMode },
): number {
  const format = formatOf(flags, "text");
  if (format === "json") io.stdout.write(`${JSON.stringify({ plan, result }, null, 2)}\n`);
  if (format === "yaml") io.stdout.write(toYaml({ plan, result }));
  const failed = result.results.filter((r) => r.status === "failed");
  const skipped = result.results.filter((r) => r.status === "skipped" || r.status === "cancelled");
  const done = result.results.length - failed.length - skipped.length;
  // Work the plan leaves undone (an engine that did not answer, …): said as an error (even when
  // quiet), as the exit code says.
  const warnings = plan.warnings;
  const errors = [
    ...failed.map((failure) => failure.message ?? failure.id),
    ...(plan.undone ?? []).map((u) => u.message),
  ];
  const incomplete = failed.length > 0 || planLeavesUndone(plan);
  const code =
    plan.steps.length > 0 && result.interrupted ? EXIT.interrupted : incomplete ? EXIT.error : EXIT.ok;
  if (flags.progress === "json") {
    const summary = {
      type: "summary",
      time: Date.now(),
      map: plan.map,
      steps: result.results.length,
      done,
      failed: failed.length,
      skippedOrCancelled: skipped.length,
      durationMs: result.durationMs,
      interrupted: code === EXIT.interrupted,
      exitCode: code,
      errors,
      warnings,
    };
    io.stderr.write(`${JSON.stringify(summary)}\n`);
    return code;
  }
  const quiet = flags.progress === "quiet";
  if (plan.steps.length === 0) {
    if (!quiet) io.stderr.write(`${summaryLine(plan)}\n`);
  } else if (!quiet) {
    io.stderr.write(
      `${done} of ${result.results.length} step(s) done in ${(result.durationMs / 1000).toFixed(1)}s`,
    );
    io.stderr.write(
      failed.length + skipped.length > 0
        ? `, ${failed.length} failed, ${skipped.length} skipped or cancelled\n`
        : "\n",
    );
  }
  for (const error of errors) io.stderr.write(`error: ${error}\n`);
  if (!quiet) for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
  if (code === EXIT.interrupted && !quiet) {
    io.stderr.write(
      "interrupted: running steps finished, the rest was not started; `berth update` continues from here\n",
    );
  }
  return code;
}

const ORPHAN_VOLUMES =
  "with --remove-orphans: also remove the orphans' volumes and anonymous volumes (their data is lost)";

export function runCommands(io: CliIo): Command[] {
  const pull = (c: Command) => withBuildOptions(c.addOption(pullOption()));
  return [
    runCommand(
      io,
      "startup",
      "create what is missing and start what is stopped (targets and their dependencies); outdated containers are reported, not changed",
      (c) =>
        pull(c)
          .addOption(refreshOption())
          .option("--remove-orphans", "also remove containers the map no longer has")
          .option("--volumes", ORPHAN_VOLUMES),
    ),
    runCommand(
      io,
      "update",
      "bring the engine in line with the map: create, recreate, update in place, reconnect, start",
      (c) =>
        pull(c)
          .addOption(refreshOption())
          .option("--remove-orphans", "also remove containers (and networks) the map no longer has")
          .option("--volumes", ORPHAN_VOLUMES)
          .option(
            "--recreate-volumes",
            "remove and recreate volumes whose driver options changed (their data is lost)",
          ),
    ),
    runCommand(
      io,
      "shutdown",
      "stop and remove containers (targets and their dependents, dependents first); volumes are kept",
      (c) =>
        c
          .option("--volumes", "also remove attached and anonymous volumes (their data is lost)")
          .option("--remove-orphans", "also remove containers the map no longer has"),
    ),
    runCommand(io, "start", "start existing containers (targets and their dependencies)"),
    runCommand(io, "stop", "stop running containers (targets and their dependents, dependents first)"),
    runCommand(
      io,
      "restart",
      "restart the target containers and those sharing their network namespace, in dependency order",
    ),
    runCommand(io, "remove", "remove stopped containers (targets and their dependents)", (c) =>
      c.option("--volumes", "also remove their anonymous volumes"),
    ),
    runCommand(io, "kill", "send a signal to the running target containers", (c) =>
      c.option("--signal <signal>", `the signal (default: ${DEFAULT_PLAN_OPTIONS.killSignal})`),
    ),
  ];
}

export function applyCommand(io: CliIo): Command {
  const command = new Command("apply")
    .description(
      "carry out a plan saved with `berth plan --out FILE`; refused if anything it touches changed since",
    )
    .argument("<plan-file>", "the saved plan (JSON)")
    .option("--json", "print the plan and step results as JSON on stdout")
    .addOption(outputOption(["text", "json", "yaml"], "text"));
  return withApplyOptions(command).action(async (file: string, flags: RunFlags, cmd: Command) => {
    const saved = parseSavedPlan(readText(resolvePath(io.cwd, file)), file);
    const clients = clientsFor(cmd, io);
    const map: LoadedMap = loadMap({
      ...mapSourceFor(cmd, io, { files: saved.files }),
      // The plan was made for this map: its name is not open to the environment.
      mapName: saved.map,
      ...parseCacheFor(cmd, io),
      clients,
    });
    const renderer = progressFor(cmd, io, flags.progress);
    const engines = openEngines(map, clients, engineOptionsFor(cmd, io, map));
    const { plan, result } = await finishing(renderer, () =>
      reconcile(map, engines, {
        savedPlan: saved,
        clients,
        ...runOptions(flags, io, renderer),
        ...planLogFor(cmd, io),
      }),
    );
    cmd.setOptionValue("exitCode", reportRun(plan, result as ApplyResult, io, flags));
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}
