import { Command, Option } from "commander";
import { push, type PushEvent, type PushOutcome } from "../../push.js";
import { openEngines, registryAuthFrom } from "../../reconcile.js";
import type { CliIo } from "../cli-io.js";
import { EXIT } from "../exit-codes.js";
import { engineOptionsFor, loadMapFor } from "../global-options.js";
import { formatOf, outputOption, toYaml, type OutputFormat } from "../output-format.js";
import { clientsFor } from "./run-commands.js";

type PushProgressMode = "auto" | "plain" | "json" | "quiet";

interface PushFlags {
  dryRun?: boolean;
  output?: OutputFormat;
  progress: PushProgressMode;
}

/**
 * `berth push [TARGET...]`: the images the map builds (each config's image and its `build.tags`)
 * sent to their registries with the Docker config file's credentials. One line per reference on
 * stdout (data); progress on stderr. Exit 1 when any reference could not be pushed.
 */
export function pushCommand(io: CliIo): Command {
  return new Command("push")
    .description("push the images the map builds (image and build.tags) to their registries")
    .argument("[targets...]", "configs, config.instance names or groups (default: all that build)")
    .option("--dry-run", "list what would be pushed, and whether each image is built; push nothing")
    .addOption(outputOption(["text", "json", "yaml"], "text"))
    .addOption(
      new Option("--progress <mode>", "progress display on stderr (plain: the engine's status lines too)")
        .choices(["auto", "plain", "json", "quiet"])
        .default("auto"),
    )
    .action(async (targets: string[], flags: PushFlags, command: Command) => {
      const map = loadMapFor(command, io);
      const engines = openEngines(map, clientsFor(command, io), engineOptionsFor(command, io, map));
      const result = await push(map, engines, {
        targets,
        ...(flags.dryRun === true ? { dryRun: true } : {}),
        registryAuth: registryAuthFrom(io.env),
        onEvent: progressWriter(io, flags.progress),
      });
      const format = formatOf(flags, "text");
      if (format === "json") io.stdout.write(`${JSON.stringify(result.pushes, null, 2)}\n`);
      else if (format === "yaml") io.stdout.write(toYaml(result.pushes));
      else for (const outcome of result.pushes) io.stdout.write(`${line(outcome)}\n`);
      if (flags.progress !== "quiet" && flags.progress !== "json")
        io.stderr.write(`${summary(result.pushes, flags.dryRun === true)}\n`);
      if (result.pushes.length === 0 && flags.progress !== "quiet")
        io.stderr.write(
          `push: map ${map.name} builds no image${targets.length > 0 ? " among the targets" : ""}\n`,
        );
      command.setOptionValue("exitCode", result.ok ? EXIT.ok : EXIT.error);
    });
}

function progressWriter(io: CliIo, mode: PushProgressMode): (event: PushEvent) => void {
  if (mode === "quiet") return () => undefined;
  if (mode === "json") return (event) => io.stderr.write(`${JSON.stringify(event)}\n`);
  return (event) => {
    const { image, registry } = event.item;
    switch (event.type) {
      case "push-start":
        io.stderr.write(`push   ${image} to ${registry}\n`);
        break;
      case "push-output":
        if (mode === "plain") io.stderr.write(`${image} | ${event.line}\n`);
        break;
      case "push-done":
        io.stderr.write(`done   ${image} (${(event.durationMs / 1000).toFixed(1)}s)\n`);
        break;
      case "push-failed":
        io.stderr.write(`failed ${image} to ${registry}: ${event.error}\n`);
        break;
    }
  };
}

/** `pushed 127.0.0.1:5000/app:1 to 127.0.0.1:5000 from default (sha256:…)`. */
function line(o: PushOutcome): string {
  const where = `${o.image} to ${o.registry} from ${o.client}`;
  if (o.error !== undefined) return `${o.result} ${where}: ${o.error}`;
  return `${o.result} ${where}${o.digest === undefined ? "" : ` (${o.digest})`}`;
}

function summary(outcomes: readonly PushOutcome[], dryRun: boolean): string {
  const good = outcomes.filter((o) => o.result === (dryRun ? "would push" : "pushed")).length;
  const bad = outcomes.length - good;
  const verb = dryRun ? "would push" : "pushed";
  return `push: ${verb} ${good} image reference(s)${bad > 0 ? `, ${bad} ${dryRun ? "would fail" : "failed"}` : ""}`;
}
