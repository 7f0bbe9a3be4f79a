import { canonicalJson } from "../common/canonical-json.js";
import { compareText } from "../common/text.js";
import { posix } from "node:path";
import { didYouMean } from "./did-you-mean.js";
import type { ProblemList, SourcePosition } from "./map-error.js";
import {
  DEFAULT_CLIENT,
  PRESET_NETWORKS,
  type BuildEntry,
  type BuildFileEntry,
  type ContainerInstance,
  type DockerfileEntry,
  type GeneratedBuild,
  type GeneratedFile,
  type LinkEntry,
  type NormalizedContainer,
  type NormalizedMap,
  type ResolvedBind,
  type ResolvedBuild,
  type ResolvedContainerUse,
  type ResolvedDependency,
  type ResolvedEndpoint,
  type ResolvedLink,
  type ResolvedMap,
  type ResolvedNetwork,
  type ResolvedNetworkMode,
  type ResolvedVolume,
  type ResolvedVolumeMount,
} from "./model.js";
import type { Origins } from "./origins.js";
import { parseDuration, shellSplit } from "./units.js";

/** How one object depends on another; the planner decides from the kind what a recreate does. */
export type EdgeKind =
  | "attaches"
  | "uses-volume"
  | "uses-container"
  | "links"
  | "network-mode"
  | "network"
  | "network-link"
  | "depends-on";

/** A graph node id: `container:web.1`, `volume:app_log`, `network:app`. */
export type NodeId = `${"container" | "volume" | "network"}:${string}`;

export const containerNode = (key: string): NodeId => `container:${key}`;
export const volumeNode = (key: string): NodeId => `volume:${key}`;
export const networkNode = (key: string): NodeId => `network:${key}`;

/** `dependency` must exist (and run) before `dependent`. */
export interface DependencyEdge {
  dependency: NodeId;
  dependent: NodeId;
  kind: EdgeKind;
  at: SourcePosition;
}

export interface ResolveContext {
  problems: ProblemList;
  origins: Origins;
  /** Folder relative host paths are resolved against when the map sets no host_root. */
  baseDir: string;
  /** Where the map as a whole is (for problems with no better position). */
  mapAt: SourcePosition;
}

export interface ResolveResult {
  resolved: ResolvedMap;
  edges: DependencyEdge[];
}

/** The hostname form of a name: `.` and `_` become `-`. */
export const hostnameOf = (name: string): string => name.replace(/[._]/g, "-");

/**
 * Expands instances and resolves every name and reference of a normalized map: container names,
 * images with repository and tag, host paths, attached volume names, links, uses, network modes,
 * endpoints, groups and clients. Unknown references are reported where they were written.
 */
export function resolveMap(map: NormalizedMap, ctx: ResolveContext): ResolveResult {
  return new Resolver(map, ctx).run();
}

class Resolver {
  private readonly edges: DependencyEdge[] = [];
  /** Config name → instance keys. */
  private readonly configs = new Map<string, string[]>();
  /** Attached-volume key → volume. */
  private readonly volumes = new Map<string, ResolvedVolume>();
  private readonly hostRoot: string | undefined;
  /** Images a config builds: which config, and how (one image, one build). */
  private readonly builtImages = new Map<string, { config: string; build: ResolvedBuild }>();

  constructor(
    private readonly map: NormalizedMap,
    private readonly ctx: ResolveContext,
  ) {
    const root = map.host_root ?? (typeof map.host.root === "string" ? map.host.root : undefined);
    // A relative host_root is relative to the map's folder, as relative host paths are.
    this.hostRoot =
      root === undefined ? undefined : posix.isAbsolute(root) ? root : posix.join(ctx.baseDir, root);
    for (const [name, config] of Object.entries(map.containers)) {
      this.configs.set(
        name,
        config.instances.length === 0 ? [name] : config.instances.map((instance) => `${name}.${instance}`),
      );
    }
  }

  private problem(at: SourcePosition | undefined, message: string, hint?: string): void {
    this.ctx.problems.add(at ?? this.ctx.mapAt, message, hint);
  }

  private at(entry: object | undefined, config: NormalizedContainer, field: string): SourcePosition {
    return this.ctx.origins.of(entry, config, field) ?? this.ctx.mapAt;
  }

  private edge(dependency: NodeId, dependent: NodeId, kind: EdgeKind, at: SourcePosition): void {
    this.edges.push({ dependency, dependent, kind, at });
  }

  run(): ResolveResult {
    const clients = this.map.clients ?? [DEFAULT_CLIENT];
    this.collectVolumes();
    const networks = this.resolveNetworks();
    const containers: ContainerInstance[] = [];
    for (const [name, config] of Object.entries(this.map.containers)) {
      const instances = config.instances.length === 0 ? [null] : config.instances;
      for (const instance of instances) containers.push(this.container(name, instance, config, clients));
    }
    containers.sort((a, b) => compareText(a.key, b.key));
    const groups = this.resolveGroups(containers);
    const resolved: ResolvedMap = {
      name: this.map.name,
      containers,
      volumes: [...this.volumes.values()].sort((a, b) => compareText(a.key, b.key)),
      networks,
      groups,
      configs: Object.fromEntries(this.configs),
      clients,
      sensitive: this.map.sensitive,
    };
    if (this.map.helper_image !== undefined) resolved.helperImage = this.map.helper_image;
    return { resolved, edges: this.edges };
  }

  // ---- references --------------------------------------------------------------------------------

  /** `config` → all its instances; `config.instance` → that one. Reports unknown ones. */
  private instancesOf(reference: string, at: SourcePosition, what: string): string[] {
    const dot = reference.indexOf(".");
    const configName = dot < 0 ? reference : reference.slice(0, dot);
    const keys = this.configs.get(configName);
    if (keys === undefined) {
      this.problem(
        at,
        `unknown container \`${reference}\` in ${what}`,
        didYouMean(configName, this.configs.keys()),
      );
      return [];
    }
    if (dot < 0) return keys;
    if (!keys.includes(reference)) {
      const instances = keys.map((k) => k.slice(configName.length + 1)).filter((k) => k !== "");
      this.problem(
        at,
        `unknown instance \`${reference}\` in ${what}`,
        instances.length === 0
          ? `\`${configName}\` has no instances`
          : (didYouMean(reference.slice(dot + 1), instances) ??
              `instances of \`${configName}\`: ${instances.join(", ")}`),
      );
      return [];
    }
    return [reference];
  }

  private nameOf(key: string): string {
    return `${this.map.name}.${key}`;
  }

  private hostAbsolute(path: string): string {
    if (path.startsWith("/")) return posix.normalize(path);
    return posix.join(this.hostRoot ?? this.ctx.baseDir, path);
  }

  // ---- volumes and networks ----------------------------------------------------------------------

  /** Attached volumes, named `<map>.<alias>` (or `<map>.<config>.<alias>`), one per alias. */
  private collectVolumes(): void {
    const byParent = this.map.use_attached_parent_name;
    for (const [configName, config] of Object.entries(this.map.containers)) {
      for (const attach of config.attaches) {
        const at = this.at(attach, config, "attaches");
        const definition = this.map.volumes[attach.name];
        const path = attach.path ?? definition?.default_path;
        if (path === undefined) {
          this.problem(
            at,
            `attached volume \`${attach.name}\` has no container path`,
            definition === undefined
              ? (didYouMean(attach.name, Object.keys(this.map.volumes)) ??
                  `define it under \`volumes:\` or write \`{${attach.name}: /path}\``)
              : `give \`volumes.${attach.name}\` a path`,
          );
          continue;
        }
        const key = byParent ? `${configName}.${attach.name}` : attach.name;
        const existing = this.volumes.get(key);
        if (existing !== undefined) {
          this.problem(
            at,
            `volume \`${attach.name}\` is attached by both \`${existing.owner}\` and \`${configName}\``,
            "attach it once and `uses` it elsewhere, or set use_attached_parent_name: true",
          );
          continue;
        }
        const volume: ResolvedVolume = {
          key,
          alias: attach.name,
          name: this.nameOf(key),
          owner: configName,
          path,
          driver: definition?.driver ?? "local",
          driver_options: definition?.driver_options ?? {},
          labels: definition?.create_options.labels ?? {},
        };
        const user = definition?.user ?? config.user;
        const permissions = definition?.permissions ?? config.permissions;
        if (user !== undefined) volume.user = user;
        if (permissions !== undefined) volume.permissions = permissions;
        this.volumes.set(key, volume);
      }
    }
  }

  private resolveNetworks(): ResolvedNetwork[] {
    return Object.entries(this.map.networks)
      .map(([key, network]) => {
        const out: ResolvedNetwork = {
          key,
          name: this.nameOf(key),
          driver: network.driver,
          driver_options: network.driver_options,
          internal: network.internal,
          enable_ipv6: network.create_options.enable_ipv6 ?? false,
          attachable: network.create_options.attachable ?? false,
          labels: network.create_options.labels ?? {},
        };
        if (network.create_options.ipam !== undefined) out.ipam = network.create_options.ipam;
        return out;
      })
      .sort((a, b) => compareText(a.key, b.key));
  }

  // ---- containers --------------------------------------------------------------------------------

  private container(
    configName: string,
    instance: string | null,
    config: NormalizedContainer,
    mapClients: string[],
  ): ContainerInstance {
    const key = instance === null ? configName : `${configName}.${instance}`;
    const name = this.nameOf(key);
    const self = containerNode(key);
    const out: ContainerInstance = {
      key,
      config: configName,
      instance,
      name,
      image: this.image(config.image ?? configName),
      clients: this.placed(config, instance, mapClients),
      environment: config.environment,
      labels: config.labels,
      shares: config.shares,
      binds: this.binds(config, instance),
      attaches: this.attaches(config, configName, self),
      usesVolumes: [],
      usesContainers: [],
      links: this.links(config.links, config, "links", self, "links"),
      ports: config.exposes.map((e) => {
        const port = typeof e.exposed_port === "number" ? `${e.exposed_port}/tcp` : e.exposed_port;
        const resolvedPort: ContainerInstance["ports"][number] = { port, ipv6: e.ipv6 };
        if (e.host_port !== undefined) resolvedPort.hostPort = e.host_port;
        if (e.interface !== undefined) resolvedPort.interface = e.interface;
        return resolvedPort;
      }),
      networkMode: { kind: "default" },
      endpoints: [],
      execCommands: config.exec_commands.map((e) => {
        const exec: ContainerInstance["execCommands"][number] = {
          cmd: Array.isArray(e.cmd) ? e.cmd : shellSplit(e.cmd),
          text: Array.isArray(e.cmd) ? e.cmd.join(" ") : e.cmd,
          policy: e.policy,
          detach: e.detach,
        };
        if (e.user !== undefined) exec.user = e.user;
        if (e.timeout !== undefined) exec.timeoutMs = Math.round(parseDuration(e.timeout) / 1e6);
        return exec;
      }),
      persistent: config.persistent,
      dependsOn: this.dependsOn(config, self),
      create_options: config.create_options,
      host_config: config.host_config,
    };
    this.uses(config, configName, self, out);
    this.checkMounts(config, out);
    out.endpoints = this.endpoints(config, self);
    out.networkMode = this.networkMode(config, self, out.endpoints);
    this.checkNetworkModeConflicts(config, out);
    const hostname = config.hostname ?? (this.map.set_hostname ? hostnameOf(name) : undefined);
    if (hostname !== undefined) out.hostname = hostname;
    const domainname = config.domainname ?? this.map.default_domain;
    if (domainname !== undefined) out.domainname = domainname;
    if (config.build !== undefined) out.build = this.build(configName, config, out.image);
    if (config.user !== undefined) out.user = config.user;
    if (config.permissions !== undefined) out.permissions = config.permissions;
    if (config.working_dir !== undefined) out.working_dir = config.working_dir;
    if (config.command !== undefined) out.command = config.command;
    if (config.entrypoint !== undefined) out.entrypoint = config.entrypoint;
    if (config.stop_signal !== undefined) out.stop_signal = config.stop_signal;
    if (config.stop_timeout !== undefined) out.stop_timeout = config.stop_timeout;
    if (config.start_delay !== undefined)
      out.startDelayMs = Math.round(parseDuration(config.start_delay) / 1e6);
    if (config.restart !== undefined) out.restart = config.restart;
    if (config.swarm !== undefined) out.swarm = config.swarm;
    if (config.healthcheck !== undefined) {
      const h = config.healthcheck;
      out.healthcheck = { test: h.test };
      if (h.interval !== undefined) out.healthcheck.intervalNs = parseDuration(h.interval);
      if (h.timeout !== undefined) out.healthcheck.timeoutNs = parseDuration(h.timeout);
      if (h.retries !== undefined) out.healthcheck.retries = h.retries;
      if (h.start_period !== undefined) out.healthcheck.startPeriodNs = parseDuration(h.start_period);
    }
    return out;
  }

  /**
   * A config's build: the context relative to the map's folder, extra tags as references in the
   * image's repository. Two configs that build one image must build it the same way.
   */
  private build(configName: string, config: NormalizedContainer, image: string): ResolvedBuild {
    const entry = config.build as BuildEntry;
    const at = this.at(entry, config, "build");
    if (image.includes("@")) this.problem(at, `a built image needs a tag, not a digest: ${image}`);
    const repository = image.slice(
      0,
      image.lastIndexOf(":") > image.lastIndexOf("/") ? image.lastIndexOf(":") : undefined,
    );
    const hostPath = (path: string) => (posix.isAbsolute(path) ? path : posix.join(this.ctx.baseDir, path));
    const out: ResolvedBuild = {
      // The generated form's context is made of the files it names: the map's folder stands for it.
      context: hostPath(entry.context ?? "."),
      dockerfile: entry.dockerfile ?? "Dockerfile",
      args: entry.args ?? {},
      labels: entry.labels ?? {},
      tags: (entry.tags ?? []).map((tag) =>
        tag.includes(":") || tag.includes("/") ? tag : `${repository}:${tag}`,
      ),
      pull: entry.pull === true,
      noCache: entry.no_cache === true,
    };
    if (entry.target !== undefined) out.target = entry.target;
    if (entry.from !== undefined) out.generated = generatedBuild({ ...entry, from: entry.from }, hostPath);
    const same = this.builtImages.get(image);
    if (same === undefined) this.builtImages.set(image, { config: configName, build: out });
    else if (same.config !== configName && canonicalJson(same.build) !== canonicalJson(out)) {
      this.problem(
        at,
        `configs ${same.config} and ${configName} both build image ${image}, differently`,
        "give one of them another image, or the same build",
      );
    }
    return out;
  }

  /** docker-map's image rule: config name by default, repository prefix, default tag. */
  private image(image: string): string {
    let name = image;
    if (name.startsWith("/")) name = name.slice(1);
    else if (!name.includes("/") && this.map.repository !== undefined)
      name = `${this.map.repository}/${name}`;
    const lastSlash = name.lastIndexOf("/");
    const hasTag = name.includes("@") || name.indexOf(":", lastSlash + 1) >= 0;
    return hasTag ? name : `${name}:${this.map.default_tag ?? "latest"}`;
  }

  /** The engines of one instance: its `placement` entry, else the config's clients. */
  private placed(config: NormalizedContainer, instance: string | null, mapClients: string[]): string[] {
    if (instance === null || instance === config.instances[0]) this.checkPlacement(config, mapClients);
    const client = instance === null ? undefined : config.placement[instance];
    if (client === undefined) return this.clients(config, mapClients);
    return mapClients.includes(client) ? [client] : [];
  }

  /** Once per config: every `placement` entry names an instance of the config and a client of the map. */
  private checkPlacement(config: NormalizedContainer, mapClients: string[]): void {
    for (const [instance, client] of Object.entries(config.placement)) {
      const at = this.ctx.origins.field(config, `placement.${instance}`) ?? this.ctx.mapAt;
      if (!config.instances.includes(instance))
        this.problem(
          at,
          `placement names instance \`${instance}\`, which the config does not have`,
          didYouMean(instance, config.instances) ??
            (config.instances.length === 0
              ? "placement places instances: give the config `instances`, or use `clients`"
              : `its instances: ${config.instances.join(", ")}`),
        );
      if (!mapClients.includes(client))
        this.problem(
          at,
          `unknown client \`${client}\` in placement`,
          didYouMean(client, mapClients) ?? `the map's clients: ${mapClients.join(", ")}`,
        );
    }
  }

  private clients(config: NormalizedContainer, mapClients: string[]): string[] {
    if (config.clients === undefined || config.clients.length === 0) return mapClients;
    for (const [index, client] of config.clients.entries()) {
      if (!mapClients.includes(client)) {
        this.problem(
          this.ctx.origins.field(config, `clients.${index}`) ?? this.at(undefined, config, "clients"),
          `unknown client \`${client}\``,
          didYouMean(client, mapClients) ?? `the map's clients: ${mapClients.join(", ")}`,
        );
      }
    }
    return config.clients.filter((c) => mapClients.includes(c));
  }

  private binds(config: NormalizedContainer, instance: string | null): ResolvedBind[] {
    const out: ResolvedBind[] = [];
    for (const bind of config.binds) {
      const at = this.at(bind, config, "binds");
      if (bind.host_path !== undefined) {
        out.push({
          containerPath: bind.path,
          hostPath: this.hostAbsolute(bind.host_path),
          readonly: bind.readonly,
        });
        continue;
      }
      const alias = bind.path;
      const definition = this.map.volumes[alias];
      const hostEntry = this.map.host[alias];
      if (definition === undefined && hostEntry === undefined) {
        this.problem(
          at,
          `unknown volume alias \`${alias}\` in binds`,
          didYouMean(alias, [...Object.keys(this.map.volumes), ...Object.keys(this.map.host)]) ??
            "define it under `volumes:` and `host:`, or write a direct bind `/container/path: host/path`",
        );
        continue;
      }
      if (definition?.default_path === undefined) {
        this.problem(at, `bind alias \`${alias}\` has no container path`, `give \`volumes.${alias}\` a path`);
        continue;
      }
      if (hostEntry === undefined) {
        this.problem(at, `bind alias \`${alias}\` has no host path`, `add \`${alias}\` under \`host:\``);
        continue;
      }
      // A per-instance mapping names every instance; `default` serves a config without instances.
      const hostPath = typeof hostEntry === "string" ? hostEntry : hostEntry[instance ?? "default"];
      if (hostPath === undefined) {
        this.problem(
          at,
          `no host path for instance \`${instance ?? "default"}\` of bind alias \`${alias}\``,
          `add \`${instance ?? "default"}\` under \`host.${alias}\``,
        );
        continue;
      }
      out.push({
        containerPath: definition.default_path,
        hostPath: this.hostAbsolute(hostPath),
        readonly: bind.readonly,
      });
    }
    return out;
  }

  private attaches(config: NormalizedContainer, configName: string, self: NodeId): ResolvedVolumeMount[] {
    const out: ResolvedVolumeMount[] = [];
    for (const attach of config.attaches) {
      const key = this.map.use_attached_parent_name ? `${configName}.${attach.name}` : attach.name;
      const volume = this.volumes.get(key);
      if (volume === undefined || volume.owner !== configName) continue; // reported in collectVolumes
      out.push({ volume: key, name: volume.name, path: attach.path ?? volume.path, readonly: false });
      this.edge(volumeNode(key), self, "attaches", this.at(attach, config, "attaches"));
    }
    return out;
  }

  private uses(config: NormalizedContainer, configName: string, self: NodeId, out: ContainerInstance): void {
    for (const use of config.uses) {
      const at = this.at(use, config, "uses");
      const volume = this.volumes.get(use.name);
      if (volume !== undefined) {
        if (volume.owner === configName) {
          this.problem(
            at,
            `\`${configName}\` uses volume \`${use.name}\` that it attaches itself`,
            "drop the `uses` entry",
          );
          continue;
        }
        out.usesVolumes.push({
          volume: volume.key,
          name: volume.name,
          path: use.path ?? this.map.volumes[volume.alias]?.default_path ?? volume.path,
          readonly: use.readonly,
        });
        this.edge(volumeNode(volume.key), self, "uses-volume", at);
        for (const owner of this.configs.get(volume.owner) ?? [])
          this.edge(containerNode(owner), self, "uses-volume", at);
        continue;
      }
      const configPart = use.name.split(".")[0] as string;
      if (this.configs.has(configPart)) {
        for (const target of this.instancesOf(use.name, at, "uses")) {
          const entry: ResolvedContainerUse = { container: target, readonly: use.readonly };
          out.usesContainers.push(entry);
          this.edge(containerNode(target), self, "uses-container", at);
        }
        continue;
      }
      const aliases = [...this.volumes.keys()];
      const bareAlias = this.map.use_attached_parent_name
        ? aliases.find((k) => k.endsWith(`.${use.name}`))
        : undefined;
      this.problem(
        at,
        `unknown volume alias or container \`${use.name}\` in uses`,
        bareAlias !== undefined
          ? `with use_attached_parent_name, write \`${bareAlias}\``
          : (didYouMean(use.name, [...aliases, ...this.configs.keys()]) ??
              "uses names an attached volume alias or a container"),
      );
    }
  }

  private links(
    entries: LinkEntry[],
    config: NormalizedContainer,
    field: string,
    self: NodeId,
    kind: EdgeKind,
  ): ResolvedLink[] {
    const out: ResolvedLink[] = [];
    for (const link of entries) {
      const at = this.at(link, config, field);
      for (const target of this.instancesOf(
        link.container,
        at,
        field === "links" ? "links" : "network links",
      )) {
        const alias = link.alias ?? hostnameOf(target);
        if (out.some((l) => l.alias === alias)) {
          this.problem(
            at,
            `link alias \`${alias}\` is used twice`,
            "give each linked container its own alias",
          );
          continue;
        }
        out.push({ container: target, alias });
        this.edge(containerNode(target), self, kind, at);
      }
    }
    return out;
  }

  private endpoints(config: NormalizedContainer, self: NodeId): ResolvedEndpoint[] {
    const out: ResolvedEndpoint[] = [];
    for (const endpoint of config.networks) {
      const at = this.at(endpoint, config, "networks");
      if (out.some((e) => e.network === endpoint.network)) {
        this.problem(at, `network \`${endpoint.network}\` is listed twice`, "give one endpoint per network");
        continue;
      }
      const preset = PRESET_NETWORKS.has(endpoint.network);
      if (!preset && this.map.networks[endpoint.network] === undefined) {
        this.problem(
          at,
          `unknown network \`${endpoint.network}\``,
          didYouMean(endpoint.network, Object.keys(this.map.networks)) ?? "define it under `networks:`",
        );
        continue;
      }
      const resolved: ResolvedEndpoint = {
        network: endpoint.network,
        name: preset ? endpoint.network : this.nameOf(endpoint.network),
        aliases: endpoint.aliases,
        links: this.links(endpoint.links, config, "networks", self, "network-link"),
        linkLocalIps: endpoint.link_local_ips,
      };
      if (endpoint.ipv4_address !== undefined) resolved.ipv4Address = endpoint.ipv4_address;
      if (endpoint.ipv6_address !== undefined) resolved.ipv6Address = endpoint.ipv6_address;
      if (!preset) this.edge(networkNode(endpoint.network), self, "network", at);
      out.push(resolved);
    }
    return out;
  }

  private networkMode(
    config: NormalizedContainer,
    self: NodeId,
    endpoints: ResolvedEndpoint[],
  ): ResolvedNetworkMode {
    const mode = config.network_mode;
    if (mode === undefined) {
      const first = endpoints[0];
      if (first === undefined) return { kind: "default" };
      return PRESET_NETWORKS.has(first.network)
        ? { kind: first.network as "bridge" | "host" | "none" }
        : { kind: "network", network: first.network };
    }
    const at = this.at(undefined, config, "network_mode");
    const own = endpoints.filter((e) => e.network !== "bridge");
    if (
      mode === "host" ||
      mode === "none" ||
      mode === "disabled" ||
      mode.startsWith("container:") ||
      mode.startsWith("/")
    ) {
      if (own.length > 0) {
        this.problem(
          at,
          `a container with network_mode \`${mode}\` cannot also join networks`,
          "remove `networks` or `network_mode`",
        );
      }
    }
    if (mode === "bridge" || mode === "host" || mode === "none" || mode === "disabled") return { kind: mode };
    if (mode.startsWith("container:"))
      return { kind: "external-container", name: mode.slice("container:".length) };
    if (mode.startsWith("/")) return { kind: "external-container", name: mode.slice(1) };
    const targets = this.instancesOf(mode, at, "network_mode");
    if (targets.length > 1) {
      this.problem(
        at,
        `network_mode \`${mode}\` names ${targets.length} instances; it needs one`,
        `write one of: ${targets.join(", ")}`,
      );
      return { kind: "default" };
    }
    const target = targets[0];
    if (target === undefined) return { kind: "default" };
    if (endpoints.length > 0) {
      this.problem(
        at,
        "a container that shares another container's network (network_mode) cannot also join networks",
        "remove `networks` or `network_mode`",
      );
    }
    this.edge(containerNode(target), self, "network-mode", at);
    return { kind: "container", container: target };
  }

  /**
   * The engine refuses links, ports and a hostname beside a shared network namespace ("conflicting
   * options") — at create, halfway through an apply. Say so while loading, once per config.
   */
  private checkNetworkModeConflicts(config: NormalizedContainer, container: ContainerInstance): void {
    if (container.instance !== null && container.instance !== config.instances[0]) return;
    const kind = container.networkMode.kind;
    const shares = kind === "container" || kind === "external-container";
    if (!shares && kind !== "host") return;
    const at = (field: string) => this.at(undefined, config, field);
    const mode = `network_mode \`${config.network_mode ?? kind}\``;
    if (container.links.length > 0)
      this.problem(
        at("links"),
        `\`${container.config}\` has links and ${mode}; the engine refuses both together`,
        shares
          ? "remove `links`: the container reaches what the container whose network it shares reaches"
          : "remove `links`: on the host network, reach other containers through published ports",
      );
    if (shares && container.ports.length > 0)
      this.problem(
        at("exposes"),
        `\`${container.config}\` exposes ports and has ${mode}; the engine refuses both together`,
        "expose the ports on the container whose network it shares",
      );
    if (shares && config.hostname !== undefined)
      this.problem(
        at("hostname"),
        `\`${container.config}\` sets a hostname and has ${mode}; the engine refuses both together`,
        "remove `hostname`: the container has the hostname of the container whose network it shares",
      );
  }

  private dependsOn(config: NormalizedContainer, self: NodeId): ResolvedDependency[] {
    const out: ResolvedDependency[] = [];
    for (const dependency of config.depends_on) {
      const at = this.at(dependency, config, "depends_on");
      for (const target of this.instancesOf(dependency.container, at, "depends_on")) {
        out.push({ container: target, condition: dependency.condition });
        this.edge(containerNode(target), self, "depends-on", at);
      }
    }
    return out;
  }

  /** Two mounts at one container path fail at create ("Duplicate mount point"); say so now. */
  private checkMounts(config: NormalizedContainer, container: ContainerInstance): void {
    if (container.instance !== null && container.instance !== config.instances[0]) return; // once per config
    // Positions are looked up only for a problem: finding them costs more than the checks.
    type Mount = [path: string, at: () => SourcePosition];
    const mounts: Mount[] = [
      ...config.shares.map((path): Mount => [path, () => this.at(undefined, config, "shares")]),
      ...container.binds.map((b, i): Mount => [
        b.containerPath,
        () => this.at(config.binds[i], config, "binds"),
      ]),
      ...container.attaches.map((a): Mount => [
        a.path,
        () =>
          this.at(
            config.attaches.find((e) => e.name === a.volume || a.volume.endsWith(`.${e.name}`)),
            config,
            "attaches",
          ),
      ]),
      ...container.usesVolumes.map((u): Mount => [
        u.path,
        () =>
          this.at(
            config.uses.find((e) => e.name === u.volume),
            config,
            "uses",
          ),
      ]),
    ];
    const seen = new Set<string>();
    for (const [path, at] of mounts) {
      if (!path.startsWith("/") && !path.startsWith("./")) {
        this.problem(
          at(),
          `mount path \`${path}\` in \`${container.config}\` is not absolute`,
          "container paths start with `/`",
        );
      }
      const normalized = posix.normalize(path).replace(/\/$/, "");
      if (seen.has(normalized))
        this.problem(at(), `container path \`${path}\` is mounted twice in \`${container.config}\``);
      seen.add(normalized);
    }
  }

  // ---- groups ------------------------------------------------------------------------------------

  private resolveGroups(containers: ContainerInstance[]): Record<string, string[]> {
    const groups: Record<string, string[]> = { __all__: containers.map((c) => c.key) };
    const instanceKeys = new Set(containers.map((c) => c.key));
    for (const [group, members] of Object.entries(this.map.groups)) {
      const at = this.ctx.origins.of(members) ?? this.ctx.mapAt;
      if (this.configs.has(group) || instanceKeys.has(group) || group === "__all__") {
        this.problem(at, `group \`${group}\` has the name of a container`, "rename the group");
      }
      const keys: string[] = [];
      for (const [index, member] of members.entries()) {
        const memberAt = this.ctx.origins.field(members, String(index)) ?? at;
        for (const key of this.instancesOf(member, memberAt, `group \`${group}\``))
          if (!keys.includes(key)) keys.push(key);
      }
      groups[group] = keys;
    }
    return groups;
  }
}

/** The generated form with every list present and each named file's host and context paths. */
function generatedBuild(entry: DockerfileEntry, hostPath: (path: string) => string): GeneratedBuild {
  let index = 0;
  const file = (f: BuildFileEntry): GeneratedFile => ({
    src: f.src,
    source: hostPath(f.src),
    contextPath: contextPathOf(index++, f.src),
    dest: f.dest,
  });
  const out: GeneratedBuild = {
    from: entry.from,
    run: entry.run ?? [],
    add: (entry.add ?? []).map(file),
    copy: (entry.copy ?? []).map(file),
    env: entry.env ?? {},
    expose: entry.expose ?? [],
    volumes: entry.volumes ?? [],
  };
  if (entry.workdir !== undefined) out.workdir = entry.workdir;
  if (entry.user !== undefined) out.user = entry.user;
  if (entry.entrypoint !== undefined) out.entrypoint = entry.entrypoint;
  if (entry.cmd !== undefined) out.cmd = entry.cmd;
  return out;
}

/**
 * Where a named file goes in the generated context: its own numbered folder, under its own
 * name with characters the builder would substitute or glob (`$`, `*`, …) replaced, so two files
 * of one name never collide and the context path is read literally.
 */
export function contextPathOf(index: number, source: string): string {
  const name = source.replace(/\/+$/, "").split("/").pop() ?? "";
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+$/, "_");
  return `files/${index}/${safe === "" ? "_" : safe}`;
}
