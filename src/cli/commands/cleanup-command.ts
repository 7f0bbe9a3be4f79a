import { Command, InvalidArgumentError } from "commander";
import { cleanup, type CleanupOutcome } from "../../cleanup.js";
import { openEngines } from "../../reconcile.js";
import type { CliIo } from "../cli-io.js";
import { engineOptionsFor, loadMapFor } from "../global-options.js";
import { formatOf, outputOption, toYaml, type OutputFormat } from "../output-format.js";
import { clientsFor } from "./run-commands.js";

/**
 * `berth cleanup`: the map's ended containers it no longer has, and the untagged images built for
 * it (docker-map's cleanup_containers / cleanup_images), berth's own leftovers (a lock whose
 * holder is gone, helpers and `_berth-new` containers of interrupted runs), and with --volumes
 * the map's named volumes it no longer has. One line per object on stdout; the total on stderr.
 */
export function cleanupCommand(io: CliIo): Command {
  return new Command("cleanup")
    .description(
      "remove the map's exited containers it no longer has, dangling images built for it, and berth's leftovers",
    )
    .option("--containers", "only containers (berth's leftovers included)")
    .option("--images", "only images")
    .option("--volumes", "also the map's named volumes the map no longer has and no container mounts")
    .option("--dry-run", "list what would be removed; change nothing (takes no lock)")
    .option(
      "--lock-timeout <seconds>",
      "how long to wait for another run on the same map (default: 30)",
      seconds,
    )
    .addOption(outputOption(["text", "json", "yaml"], "text"))
    .action(
      async (
        flags: {
          containers?: boolean;
          images?: boolean;
          volumes?: boolean;
          dryRun?: boolean;
          lockTimeout?: number;
          output?: OutputFormat;
        },
        command: Command,
      ) => {
        const map = loadMapFor(command, io);
        const engines = openEngines(map, clientsFor(command, io), engineOptionsFor(command, io, map));
        const outcomes = await cleanup(map, engines, {
          ...(flags.dryRun === true ? { dryRun: true } : {}),
          ...(flags.containers === true ? { containers: true } : {}),
          ...(flags.images === true ? { images: true } : {}),
          ...(flags.volumes === true ? { volumes: true } : {}),
          ...(flags.lockTimeout === undefined ? {} : { lockTimeoutMs: flags.lockTimeout * 1000 }),
          ...(io.signal === undefined ? {} : { signal: io.signal }),
          onProgress: (event) => {
            if (event.type === "lock-wait")
              io.stderr.write(`cleanup: waiting for the lock of map ${event.map}, held by ${event.holder}\n`);
          },
        });
        const format = formatOf(flags, "text");
        // The data: what was removed (or would be), and the bytes that freed (or would free).
        const report = { objects: outcomes, freedBytes: freedBytes(outcomes, flags.dryRun === true) };
        if (format === "json") io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (format === "yaml") io.stdout.write(toYaml(report));
        else for (const outcome of outcomes) io.stdout.write(`${line(outcome)}\n`);
        io.stderr.write(`${summary(outcomes, flags.dryRun === true)}\n`);
      },
    );
}

function line(o: CleanupOutcome): string {
  return `${o.result} ${o.kind} ${o.name} on ${o.client}: ${o.reason}${o.size > 0 ? ` (${megabytes(o.size)})` : ""}`;
}

/** `cleanup: removed 3 object(s), 2.1 MB freed (containers 1.0 MB, volumes 1.0 MB, images 0.1 MB)`. */
function summary(outcomes: readonly CleanupOutcome[], dryRun: boolean): string {
  const done = freed(outcomes, dryRun);
  const verb = dryRun ? "would remove" : "removed";
  const kinds = (["container", "volume", "image"] as const).filter((kind) =>
    done.some((o) => o.kind === kind),
  );
  const byKind = kinds.map(
    (kind) =>
      `${kind}s ${megabytes(
        freedBytes(
          done.filter((o) => o.kind === kind),
          dryRun,
        ),
      )}`,
  );
  const unknown = done.filter((o) => o.size < 0).length;
  return (
    `cleanup: ${verb} ${done.length} object(s), ${megabytes(freedBytes(outcomes, dryRun))} ${dryRun ? "would be " : ""}freed` +
    (byKind.length > 0 ? ` (${byKind.join(", ")})` : "") +
    (unknown > 0 ? `; the engine did not tell the size of ${unknown} of them` : "")
  );
}

/** What was removed (or, in a dry run, would be). */
function freed(outcomes: readonly CleanupOutcome[], dryRun: boolean): CleanupOutcome[] {
  return outcomes.filter((o) => o.result === (dryRun ? "would remove" : "removed"));
}

/**
 * Bytes the removed objects took (or, in a dry run, would free), as the engine measured them
 * before: images, containers' writable layers, volumes' contents; a size it could not tell counts 0.
 */
function freedBytes(outcomes: readonly CleanupOutcome[], dryRun: boolean): number {
  return freed(outcomes, dryRun).reduce((sum, o) => sum + Math.max(0, o.size), 0);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds");
  return n;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
