import { Command, InvalidArgumentError } from "commander";
import { readOnly, type EngineReader, type LogOptions } from "../../engine/engine.js";
import { desiredServices } from "../../swarm/swarm.js";
import { targetKeys } from "../../graph/dependency-graph.js";
import type { ObservedContainer } from "../../observe/observed-state.js";
import { OVERLAY_DRIVER } from "../../map/model.js";
import { overlayHome } from "../../plan/overlay-networks.js";
import { describeReason, painter } from "../../plan/render-plan.js";
import { observeAndPlan, openEngines } from "../../reconcile.js";
import { useColor, type CliIo } from "../cli-io.js";
import { EXIT } from "../exit-codes.js";
import { engineOptionsFor, loadMapFor } from "../global-options.js";
import { formatOf, outputOption, toYaml, type OutputFormat } from "../output-format.js";
import { clientsFor, refreshOption } from "./run-commands.js";
import { swarmClientsOf } from "../../swarm-part.js";
import { describeServiceRow, swarmStatusRows } from "./swarm-status.js";

export interface ObjectStatus {
  kind: "container" | "volume" | "network" | "service" | "node";
  name: string;
  client: string;
  key?: string;
  /**
   * running, exited, created, paused, restarting, dead, missing, present, orphan; `joined`: an
   * overlay network another engine made, which containers of this one use; `name-taken`:
   * a container berth did not make (or of another map) holds the name.
   */
  state: string;
  exitCode?: number;
  health?: string;
  /** Why `update` would change it; empty when it matches the map. */
  outdated: string[];
  /** `joined`: the swarm manager client that made the overlay network this engine joins. */
  home?: string;
  /**
   * Why `update` leaves it as it is: a foreign container holds a name it needs, or it is paused.
   * Absent otherwise.
   */
  leftAsIs?: string[];
  /** A service: tasks running (a job: completed) and replicas wanted. */
  replicas?: { running: number; desired: number };
  /** A service's current tasks, each with its node and state. */
  tasks?: { slot?: number; node: string; state: string; message: string }[];
}

const STATE_WORDS: Record<string, string> = { "name-taken": "name taken by a foreign container" };

/** Status of every object of the map: read-only, the same observation and plan as `plan`. */
export function statusCommand(io: CliIo): Command {
  return new Command("status")
    .description("show every object of the map: running / exited (code) / missing / outdated (why) / health")
    .argument("[targets...]", "configs, config.instance names or groups (default: all)")
    .option("--json", "print JSON; same as -o json")
    .addOption(outputOption(["text", "json", "yaml"], "text"))
    .addOption(refreshOption())
    .action(
      async (
        targets: string[],
        flags: { json?: boolean; output?: OutputFormat; refresh?: "labels" | "full" },
        command: Command,
      ) => {
        const clients = clientsFor(command, io);
        const map = loadMapFor(command, io, { clients });
        const engines = openEngines(map, clients, engineOptionsFor(command, io, map));
        const readers = Object.fromEntries(Object.entries(engines).map(([n, e]) => [n, readOnly(e)]));
        // A plan that is never applied: a volume that differs is shown outdated, and a name held
        // by a foreign container as a state, not refused.
        const { plan, observed, swarm } = await observeAndPlan(map, readers, {
          action: "update",
          recreateVolumes: true,
          nameConflicts: "report",
          targets,
          clients,
          ...(flags.refresh === undefined ? {} : { refresh: flags.refresh }),
        });
        const keys = new Set(targetKeys(map.resolved, targets));
        const outdated = new Map<string, string[]>();
        const leftAsIs = new Map<string, string[]>();
        for (const change of plan.changes) {
          if (change.change === "create" || change.change === "start" || change.change === "orphan") continue;
          const id = `${change.object.kind}:${change.object.client}/${change.object.name}`;
          const into = change.change === "skip" && change.object.kind === "container" ? leftAsIs : outdated;
          into.set(id, [...(into.get(id) ?? []), ...change.reasons.map(describeReason)]);
        }
        const rows: ObjectStatus[] = [];
        const swarmClients = new Set(swarmClientsOf(map, clients));
        for (const client of map.resolved.clients) {
          // Configs on a swarm client run as services: shown below, per swarm manager.
          if (swarmClients.has(client)) continue;
          const state = observed.clients[client];
          if (state === undefined) {
            // An engine of several that did not answer: what should run there is not known.
            for (const container of map.resolved.containers) {
              if (!keys.has(container.key) || !container.clients.includes(client)) continue;
              rows.push({
                kind: "container",
                name: container.name,
                client,
                key: container.key,
                state: "unreachable",
                outdated: [],
              });
            }
            continue;
          }
          const byName = new Map<string, ObservedContainer>(state.containers.map((c) => [c.name, c]));
          for (const container of map.resolved.containers) {
            if (!keys.has(container.key) || !container.clients.includes(client)) continue;
            const found = byName.get(container.name);
            const ours =
              found !== undefined &&
              found.mapName === map.name &&
              (found.kind === undefined || found.kind === "container");
            const id = `container:${client}/${container.name}`;
            const row: ObjectStatus = {
              kind: "container",
              name: container.name,
              client,
              key: container.key,
              state: found === undefined ? "missing" : ours ? found.state : "name-taken",
              outdated: outdated.get(id) ?? [],
            };
            const why = leftAsIs.get(id);
            if (why !== undefined) row.leftAsIs = why;
            if (ours && found.exitCode !== undefined) row.exitCode = found.exitCode;
            if (ours && found.health !== undefined) row.health = found.health;
            rows.push(row);
          }
          if (targets.length === 0) {
            const resourceRow = (kind: "volume" | "network", object: { name: string; key: string }) => ({
              kind,
              name: object.name,
              client,
              key: object.key,
              state: (kind === "volume" ? state.volumes : state.networks).some((o) => o.name === object.name)
                ? "present"
                : "missing",
              outdated: outdated.get(`${kind}:${client}/${object.name}`) ?? [],
            });
            for (const volume of map.resolved.volumes) rows.push(resourceRow("volume", volume));
            for (const network of map.resolved.networks) {
              // An overlay is made on a swarm manager; other engines only join it while they use it.
              const home =
                network.driver === OVERLAY_DRIVER ? overlayHome(map.resolved, observed) : undefined;
              if (home === undefined || home === client) rows.push(resourceRow("network", network));
              else if (state.networks.some((o) => o.name === network.name))
                rows.push({ ...resourceRow("network", network), state: "joined", home });
            }
            for (const change of plan.changes.filter(
              (c) => c.change === "orphan" && c.object.client === client,
            )) {
              rows.push({
                kind: change.object.kind as ObjectStatus["kind"],
                name: change.object.name,
                client,
                state: "orphan",
                outdated: [],
              });
            }
          }
        }
        rows.push(...swarmStatusRows(swarm, observed, clients, map.name, keys, outdated));
        if (observed.unreachable !== undefined) command.setOptionValue("exitCode", EXIT.error);
        const format = formatOf(flags, "text");
        if (format !== "text") {
          io.stdout.write(format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : toYaml(rows));
          return;
        }
        const paint = painter(useColor(io, "stdout"));
        // Several engines: one group of rows per engine, under its name.
        const grouped = new Set(rows.map((r) => r.client)).size > 1 || map.resolved.clients.length > 1;
        let group: string | undefined;
        for (const row of rows) {
          if (grouped && row.client !== group) {
            group = row.client;
            const why = observed.unreachable?.[row.client];
            const down = why === undefined ? "" : paint("red", ` did not answer: ${why}`);
            io.stdout.write(`engine ${row.client}${down}\n`);
          }
          const service = describeServiceRow(row);
          const state =
            row.state === "exited"
              ? `exited (${row.exitCode ?? "?"})`
              : row.state === "joined"
                ? `joined (overlay of ${row.home ?? "?"})`
                : row.replicas !== undefined
                  ? service.state
                  : (STATE_WORDS[row.state] ?? row.state);
          const health = row.health === undefined ? "" : ` ${row.health}`;
          const color =
            row.state === "running" ||
            row.state === "present" ||
            row.state === "joined" ||
            row.state === "ready" ||
            row.state === "completed"
              ? "green"
              : row.state === "missing" ||
                  row.state === "dead" ||
                  row.state === "name-taken" ||
                  row.state === "down"
                ? "red"
                : "yellow";
          const mark = row.outdated.length > 0 ? paint("yellow", " outdated") : "";
          const where = row.client === "default" || grouped ? "" : ` (${row.client})`;
          io.stdout.write(
            `${grouped ? "  " : ""}${row.kind.padEnd(9)} ${row.name.padEnd(40)} ${paint(color, state)}${health}${mark}${where}\n`,
          );
          for (const reason of [...(row.leftAsIs ?? []), ...row.outdated, ...service.details])
            io.stdout.write(`          · ${reason}\n`);
        }
      },
    );
}

export function logsCommand(io: CliIo): Command {
  return new Command("logs")
    .description("print the output of the target containers")
    .argument("<targets...>", "configs, config.instance names or groups")
    .option("-f, --follow", "keep printing new output (Ctrl-C stops, quietly)")
    .option("--tail <n>", "only the last N lines of each", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
      return n;
    })
    .action(async (targets: string[], flags: { follow?: boolean; tail?: number }, command: Command) => {
      const clients = clientsFor(command, io);
      const map = loadMapFor(command, io, { clients });
      const engines = openEngines(map, clients, engineOptionsFor(command, io, map));
      const keys = targetKeys(map.resolved, targets);
      const swarmClients = new Set(swarmClientsOf(map, clients));
      const containers = map.resolved.containers.filter((c) => keys.includes(c.key));
      // A config on a swarm client runs as a service: its output is the service's, from its manager.
      const services = desiredServices(map.resolved, clients).filter((s) =>
        s.instanceKeys.some((k) => keys.includes(k)),
      );
      const sources = [
        ...containers.flatMap((container) =>
          container.clients
            .filter((client) => !swarmClients.has(client))
            .map((client) => ({
              client,
              label: `${container.key}${client === "default" ? "" : `@${client}`} | `,
              open: (engine: EngineReader, options: LogOptions) =>
                engine.containerLogs(container.name, options),
            })),
        ),
        ...services.map((service) => ({
          client: service.client,
          label: `${service.configKey}${service.instances.length === 1 ? `.${service.instances[0] as string}` : ""}@${service.client} | `,
          open: (engine: EngineReader, options: LogOptions) => engine.serviceLogs(service.name, options),
        })),
      ];
      const prefix = sources.length > 1 || Object.keys(engines).length > 1;
      await Promise.all(
        sources.map(async (source) => {
          const engine = readOnly(engines[source.client] as NonNullable<(typeof engines)[string]>);
          const stream = await source.open(engine, {
            follow: flags.follow ?? false,
            ...(flags.tail === undefined ? {} : { tail: flags.tail }),
            ...(io.signal === undefined ? {} : { signal: io.signal }),
          });
          let pending = "";
          const label = source.label;
          for await (const chunk of stream) {
            const text = pending + (Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk));
            const lines = text.split("\n");
            pending = lines.pop() ?? "";
            for (const line of lines) io.stdout.write(`${prefix ? label : ""}${line}\n`);
          }
          if (pending !== "") io.stdout.write(`${prefix ? label : ""}${pending}\n`);
        }),
      ).catch((err: unknown) => {
        if (io.signal?.aborted) return;
        throw err;
      });
    });
}
