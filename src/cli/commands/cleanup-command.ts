import { Command } from "commander";
import { cleanup, type CleanupOutcome } from "../../cleanup.js";
import { openEngines } from "../../reconcile.js";
import type { CliIo } from "../cli-io.js";
import { engineOptionsFor, loadMapFor } from "../global-options.js";
import { formatOf, outputOption, toYaml, type OutputFormat } from "../output-format.js";
import { clientsFor } from "./run-commands.js";

/**
 * `berth cleanup`: the map's ended containers it no longer has, and the untagged images built for
 * it (docker-map's cleanup_containers / cleanup_images). One line per object on stdout; the total
 * on stderr.
 */
export function cleanupCommand(io: CliIo): Command {
  return new Command("cleanup")
    .description("remove the map's exited containers it no longer has and dangling images built for it")
    .option("--containers", "only containers")
    .option("--images", "only images")
    .option("--dry-run", "list what would be removed; change nothing")
    .addOption(outputOption(["text", "json", "yaml"], "text"))
    .action(
      async (
        flags: { containers?: boolean; images?: boolean; dryRun?: boolean; output?: OutputFormat },
        command: Command,
      ) => {
        const map = loadMapFor(command, io);
        const engines = openEngines(map, clientsFor(command, io), engineOptionsFor(command, io, map));
        const outcomes = await cleanup(map, engines, {
          ...(flags.dryRun === true ? { dryRun: true } : {}),
          ...(flags.containers === true ? { containers: true } : {}),
          ...(flags.images === true ? { images: true } : {}),
        });
        const format = formatOf(flags, "text");
        if (format === "json") io.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        else if (format === "yaml") io.stdout.write(toYaml(outcomes));
        else for (const outcome of outcomes) io.stdout.write(`${line(outcome)}\n`);
        io.stderr.write(`${summary(outcomes, flags.dryRun === true)}\n`);
      },
    );
}

function line(o: CleanupOutcome): string {
  return `${o.result} ${o.kind} ${o.name} on ${o.client}: ${o.reason}${o.size > 0 ? ` (${megabytes(o.size)})` : ""}`;
}

function summary(outcomes: readonly CleanupOutcome[], dryRun: boolean): string {
  const done = outcomes.filter((o) => o.result === (dryRun ? "would remove" : "removed"));
  const bytes = done.reduce((sum, o) => sum + o.size, 0);
  const verb = dryRun ? "would remove" : "removed";
  return `cleanup: ${verb} ${done.length} object(s), ${megabytes(bytes)} of images`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
