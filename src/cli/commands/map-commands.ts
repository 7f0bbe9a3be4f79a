import { Command, InvalidArgumentError, Option } from "commander";
import {
  EDGE_FILTERS,
  graphView,
  viewToDot,
  viewToMermaid,
  type EdgeFilter,
} from "../../graph/graph-view.js";
import { renderWithDot, type PictureFormat } from "../graphviz.js";
import { targetKeys } from "../../graph/dependency-graph.js";
import { renderGraph, type GraphFormat } from "../../graph/render-graph.js";
import { redactEnvironment } from "../../desired/sensitive.js";
import type { LoadedMap } from "../../load-map.js";
import { printMapJson, printMapYaml } from "../../map/print-map.js";
import { containerNode } from "../../map/resolve.js";
import type { CliIo } from "../cli-io.js";
import { globalOptions, loadMapFor } from "../global-options.js";
import { loadClientsFile } from "../../map/clients-file.js";
import { formatOf, outputOption, type OutputFormat } from "../output-format.js";

export function validateCommand(io: CliIo): Command {
  return new Command("validate")
    .description("check the map; print a one-line summary, or every problem as FILE:LINE:COL: message")
    .action((_options: unknown, command: Command) => {
      // With --clients, what a swarm client cannot run is refused too.
      const file = globalOptions(command).clients;
      const map = loadMapFor(
        command,
        io,
        file === undefined ? {} : { clients: loadClientsFile(file, io.env) },
      );
      const r = map.resolved;
      io.stdout.write(
        `${map.files.join(", ")}: map \`${map.name}\` is valid: ${r.containers.length} container(s), ` +
          `${r.volumes.length} attached volume(s), ${r.networks.length} network(s), ${map.graph.edges().length} dependency edge(s)\n`,
      );
    });
}

export function configCommand(io: CliIo): Command {
  return new Command("config")
    .description(
      "print the normalized map (long forms, extends resolved) with the resolved instances under x-berth",
    )
    .option("--json", "print JSON instead of YAML; same as -o json")
    .addOption(outputOption(["yaml", "json"], "yaml"))
    .option("--no-resolved", "leave out the x-berth section")
    .option("--show-sensitive", "print sensitive environment values in clear (masked by default)")
    .action(
      (
        options: { json?: boolean; output?: OutputFormat; resolved: boolean; showSensitive?: boolean },
        command: Command,
      ) => {
        const loaded = loadMapFor(command, io);
        const map = options.showSensitive === true ? loaded : withSecretsMasked(loaded);
        const resolved = options.resolved ? map.resolved : undefined;
        io.stdout.write(
          formatOf(options, "yaml") === "json"
            ? printMapJson(map.normalized, resolved)
            : printMapYaml(map.normalized, resolved),
        );
      },
    );
}

/** The map with every sensitive environment value replaced by the placeholder, as plans show it. */
function withSecretsMasked(map: LoadedMap): Pick<LoadedMap, "normalized" | "resolved"> {
  const sensitive = map.normalized.sensitive;
  const containers = Object.fromEntries(
    Object.entries(map.normalized.containers).map(([name, c]) => [
      name,
      {
        ...c,
        environment: redactEnvironment(c.environment, sensitive),
        ...(c.build?.args === undefined
          ? {}
          : { build: { ...c.build, args: redactEnvironment(c.build.args, sensitive) } }),
      },
    ]),
  );
  return {
    normalized: { ...map.normalized, containers },
    resolved: {
      ...map.resolved,
      containers: map.resolved.containers.map((c) => ({
        ...c,
        environment: redactEnvironment(c.environment, map.resolved.sensitive),
        ...(c.build === undefined
          ? {}
          : { build: { ...c.build, args: redactEnvironment(c.build.args, map.resolved.sensitive) } }),
      })),
    },
  };
}

type GraphCommandFormat = GraphFormat | PictureFormat;

export function graphCommand(io: CliIo): Command {
  return new Command("graph")
    .description(
      "print the dependency graph (of the targets and what they need): configs, their edges labelled by kind, networks as clusters",
    )
    .argument("[targets...]", "configs, config.instance names or groups (default: all)")
    .addOption(
      new Option(
        "--format <format>",
        "output format; svg and png are drawn by Graphviz's `dot`; json is the whole graph of instances, for tools",
      )
        .choices(["dot", "mermaid", "json", "svg", "png"])
        .default("dot"),
    )
    .option("--instances", "one node per instance (default: one per config)")
    .option(
      "--edges <kinds>",
      `edge kinds to show, comma-separated: ${EDGE_FILTERS.join(",")} (networks are drawn as clusters)`,
      edgeFilters,
    )
    .action(
      (
        targets: string[],
        options: { format: GraphCommandFormat; instances?: boolean; edges?: Set<EdgeFilter> },
        command: Command,
      ) => {
        const map = loadMapFor(command, io);
        const nodes =
          targets.length === 0
            ? undefined
            : map.graph.closure(targetKeys(map.resolved, targets).map(containerNode), "forward");
        if (options.format === "json") {
          io.stdout.write(renderGraph(map.graph, "json", nodes));
          return;
        }
        const view = graphView(map.graph, map.resolved, {
          ...(options.instances === true ? { instances: true } : {}),
          ...(options.edges === undefined ? {} : { edges: options.edges }),
          ...(nodes === undefined ? {} : { nodes }),
        });
        if (options.format === "mermaid") {
          io.stdout.write(viewToMermaid(view));
          return;
        }
        const dot = viewToDot(view);
        if (options.format === "dot") {
          io.stdout.write(dot);
          return;
        }
        // A picture is bytes (png): written as they are, as process.stdout takes them.
        (io.stdout as { write(data: Uint8Array | string): unknown }).write(
          renderWithDot(dot, options.format, io.env),
        );
      },
    );
}

function edgeFilters(text: string): Set<EdgeFilter> {
  const out = new Set<EdgeFilter>();
  for (const word of text.split(",").map((w) => w.trim().replace(/-/g, "_"))) {
    if (word === "") continue;
    if (!(EDGE_FILTERS as readonly string[]).includes(word))
      throw new InvalidArgumentError(`unknown edge kind "${word}"; choose from ${EDGE_FILTERS.join(", ")}`);
    out.add(word as EdgeFilter);
  }
  return out;
}
