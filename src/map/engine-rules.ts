import { isIP } from "node:net";
import { formatPosition, type ProblemList, type SourcePosition } from "./map-error.js";
import {
  idOutOfRange,
  imageProblem,
  isCapability,
  isExtraHost,
  isSignal,
  MAX_DURATION_NS,
  MAX_HOSTNAME,
  MIN_HEALTH_DURATION_NS,
  MIN_MEMORY,
} from "./engine-grammar.js";
import {
  bridgeNetworkProblem,
  cpusetProblem,
  deviceProblem,
  ipamHasSubnet,
  ipamProblem,
  localVolumeProblem,
  logConfigProblem,
  macProblem,
  MAX_NAME,
  seccompProblem,
  sysctlProblem,
  tmpfsProblem,
} from "./engine-options.js";
import {
  DEFAULT_CLIENT,
  type ContainerInstance,
  type NormalizedContainer,
  type NormalizedMap,
  type ResolvedMap,
} from "./model.js";
import type { Origins } from "./origins.js";
import type { DependencyEdge, EdgeKind } from "./resolve.js";

export interface EngineRulesContext {
  problems: ProblemList;
  origins: Origins;
  /** Where the map as a whole is (for problems with no better position). */
  mapAt: SourcePosition;
  /** The dependency edges, with where each was written (references across engines are checked on them). */
  edges?: readonly DependencyEdge[];
  /**
   * The swarm manager that deploys what is placed on a client (the manager itself, or a node
   * client's manager); undefined for a plain engine. Containers on one swarm see each other
   * across its nodes, and the replicas of one service publish a port once.
   */
  swarmOf?: (client: string) => string | undefined;
}

/**
 * Rules the engine enforces that the schema cannot state, because they span fields, containers
 * or engines, or depend on what a name becomes: a map breaking one would validate, then fail at
 * create or start halfway through an apply. Runs on the resolved map; every problem is reported
 * where the map wrote the value (or the container).
 */
export function checkEngineRules(map: NormalizedMap, resolved: ResolvedMap, ctx: EngineRulesContext): void {
  const rules = new EngineRules(map, ctx);
  const firstOfConfig = new Set<string>();
  for (const container of resolved.containers) {
    const config = map.containers[container.config];
    if (config === undefined) continue;
    if (!firstOfConfig.has(container.config)) {
      firstOfConfig.add(container.config);
      rules.configValues(container, config);
    }
    rules.hostname(container, config);
  }
  rules.objectOptions();
  rules.linksToDefaultBridge(resolved);
  rules.referencesAcrossEngines(resolved, ctx.edges ?? []);
  rules.publishedPorts(resolved);
}

class EngineRules {
  constructor(
    private readonly map: NormalizedMap,
    private readonly ctx: EngineRulesContext,
  ) {}

  private at(config: NormalizedContainer, field: string, entry?: object): SourcePosition {
    return this.ctx.origins.of(entry, config, field) ?? this.ctx.mapAt;
  }

  private problem(at: SourcePosition, message: string, hint?: string): void {
    this.ctx.problems.add(at, message, hint);
  }

  /** Values that are the same for every instance of a config. */
  configValues(container: ContainerInstance, config: NormalizedContainer): void {
    const imageWhy = imageProblem(container.image);
    if (imageWhy !== undefined) {
      const named = config.image === undefined ? " (the config's name, as no `image` is given)" : "";
      this.problem(
        this.at(config, "image"),
        `invalid image \`${container.image}\`${named}: ${imageWhy}`,
        config.image === undefined ? "give the config an `image`" : undefined,
      );
    }
    this.durations(container, config);
    this.user(container, config);
    if (container.stop_signal !== undefined && !isSignal(container.stop_signal))
      this.problem(
        this.at(config, "stop_signal"),
        `unknown stop signal \`${container.stop_signal}\``,
        "a signal name like SIGTERM or SIGINT, or a number from 1 to 64",
      );
    this.hostConfig(container, config);
  }

  private durations(container: ContainerInstance, config: NormalizedContainer): void {
    const tooLong = (ns: number | undefined) => ns !== undefined && ns > MAX_DURATION_NS;
    const say = (field: string, what: string) =>
      this.problem(
        this.at(config, field),
        `${what} is longer than 24h`,
        "the engine and berth wait at most a day",
      );
    if (tooLong((container.stop_timeout ?? 0) * 1e9)) say("stop_timeout", "stop_timeout");
    if (tooLong((container.startDelayMs ?? 0) * 1e6)) say("start_delay", "start_delay");
    if (container.execCommands.some((e) => tooLong((e.timeoutMs ?? 0) * 1e6)))
      say("exec_commands", "an exec command's timeout");
    const health = container.healthcheck;
    if (health === undefined) return;
    const durations = {
      interval: health.intervalNs,
      timeout: health.timeoutNs,
      start_period: health.startPeriodNs,
    };
    for (const [name, ns] of Object.entries(durations)) {
      if (tooLong(ns)) say("healthcheck", `the health check's ${name}`);
      else if (ns !== undefined && ns > 0 && ns < MIN_HEALTH_DURATION_NS)
        this.problem(
          this.at(config, "healthcheck"),
          `the health check's ${name} is shorter than 1ms`,
          "the engine takes 0 (its default) or at least 1ms",
        );
    }
  }

  private user(container: ContainerInstance, config: NormalizedContainer): void {
    const big = container.user === undefined ? undefined : idOutOfRange(container.user);
    if (big !== undefined)
      this.problem(
        this.at(config, "user"),
        `uid or gid ${big} is out of range`,
        "ids go from 0 to 2147483647",
      );
  }

  /** Host options whose rules span fields, or name things the engine looks up. */
  private hostConfig(container: ContainerInstance, config: NormalizedContainer): void {
    const host = container.host_config;
    const at = () => this.at(config, "host_config");
    const size = (key: string) => (typeof host[key] === "number" ? host[key] : 0);
    for (const key of ["mem_limit", "mem_reservation"]) {
      const bytes = size(key);
      if (bytes > 0 && bytes < MIN_MEMORY) this.problem(at(), `${key} is below the engine's minimum of 6MB`);
    }
    // The engine reads sizes as 64-bit integers ("cannot unmarshal number … of type int64").
    for (const key of ["mem_limit", "mem_reservation", "memswap_limit", "shm_size"])
      if (size(key) > Number.MAX_SAFE_INTEGER)
        this.problem(at(), `${key} is too large`, "sizes go up to 9007199254740991 bytes (8 PiB)");
    const memory = size("mem_limit");
    const swap = size("memswap_limit");
    if (swap > 0 && memory === 0)
      this.problem(
        at(),
        "memswap_limit needs mem_limit",
        "the engine refuses a swap limit without a memory limit",
      );
    else if (swap > 0 && swap < memory)
      this.problem(at(), "memswap_limit is smaller than mem_limit", "memswap_limit counts memory plus swap");
    if (memory > 0 && size("mem_reservation") > memory)
      this.problem(at(), "mem_reservation is larger than mem_limit");
    for (const key of ["cap_add", "cap_drop"]) {
      const unknown = asStrings(host[key]).filter((name) => !isCapability(name));
      if (unknown.length > 0)
        this.problem(
          at(),
          `unknown capability \`${unknown[0]}\` in ${key}`,
          "names like NET_ADMIN or SYS_TIME, or ALL",
        );
    }
    const badHost = asStrings(host.extra_hosts).find((entry) => !isExtraHost(entry));
    if (badHost !== undefined)
      this.problem(
        at(),
        `extra_hosts entry \`${badHost}\` has no IP address`,
        "write `name:IP` (or `name:host-gateway`)",
      );
    const bigGroup = asStrings(host.group_add).find((group) => idOutOfRange(group) !== undefined);
    if (bigGroup !== undefined)
      this.problem(at(), `gid ${bigGroup} in group_add is out of range`, "ids go from 0 to 2147483647");
    for (const limit of Array.isArray(host.ulimits) ? (host.ulimits as Record<string, unknown>[]) : []) {
      const { soft, hard } = limit;
      if (typeof soft === "number" && typeof hard === "number" && hard >= 0 && (soft < 0 || soft > hard))
        this.problem(
          at(),
          `ulimit \`${String(limit.name)}\`: soft limit ${soft} is above the hard limit ${hard}`,
        );
    }
    this.optionGrammar(container, config);
  }

  /** Option values the engine or runc parse themselves (src/map/engine-options.ts). */
  private optionGrammar(container: ContainerInstance, config: NormalizedContainer): void {
    const host = container.host_config;
    const hostAt = (key: string) =>
      this.ctx.origins.field(config.host_config, key) ?? this.at(config, "host_config");
    const say = (key: string, message: string | undefined, hint: string) => {
      if (message !== undefined) this.problem(hostAt(key), `host_config.${key}: ${message}`, hint);
    };
    const firstProblem = <T>(items: readonly T[], check: (item: T) => string | undefined) =>
      items.map(check).find((message) => message !== undefined);
    say(
      "devices",
      firstProblem(asStrings(host.devices), (entry) => {
        const why = deviceProblem(entry);
        return why === undefined ? undefined : `\`${entry}\` ${why.startsWith("has") ? why : `(${why})`}`;
      }),
      "write `/dev/HOST[:/dev/CONTAINER[:rwm]]`",
    );
    const log = host.log_config as { type?: string; config?: Record<string, string> } | undefined;
    if (log !== undefined)
      say(
        "log_config",
        logConfigProblem(log.type ?? "", log.config ?? {}),
        "see the options of the engine's logging driver (docs.docker.com/config/containers/logging/)",
      );
    const tmpfs = (host.tmpfs ?? {}) as Record<string, string>;
    say(
      "tmpfs",
      firstProblem(Object.entries(tmpfs), ([path, options]) => tmpfsProblem(path, options)),
      "options are mount flags (ro, noexec, …) and size=, mode= (octal), uid=, gid=, nr_inodes=, nr_blocks=",
    );
    const modes = { hostNetwork: container.networkMode.kind === "host", hostIpc: host.ipc_mode === "host" };
    say(
      "sysctls",
      firstProblem(Object.keys(host.sysctls ?? {}), (name) => sysctlProblem(name, modes)),
      "a container sets only namespaced sysctls: net.* (not on the host network), kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* (not with ipc_mode: host) and kernel.domainname",
    );
    say(
      "security_opt",
      firstProblem(asStrings(host.security_opt), seccompProblem),
      "write `seccomp=unconfined`, or the profile's JSON after `seccomp=`",
    );
    if (host.isolation === "process" || host.isolation === "hyperv")
      say("isolation", `\`${host.isolation}\` is for Windows engines`, "Linux engines take only `default`");
    for (const key of ["cpuset_cpus", "cpuset_mems"])
      if (typeof host[key] === "string") say(key, cpusetProblem(host[key]), "ranges go low-high: `0-3,5`");
    const mac = container.create_options.mac_address;
    const macWhy = typeof mac === "string" ? macProblem(mac) : undefined;
    if (macWhy !== undefined)
      this.problem(
        this.at(config, "create_options"),
        `create_options.mac_address \`${String(mac)}\`: ${macWhy}`,
        "give a unicast address, e.g. with first byte 02 (locally administered)",
      );
    const longPart = (container.working_dir ?? "").split("/").find((part) => part.length > MAX_NAME);
    if (longPart !== undefined)
      this.problem(
        this.at(config, "working_dir"),
        `a part of working_dir is ${longPart.length} characters long; the engine allows ${MAX_NAME}`,
      );
    this.endpointAddresses(container, config);
    // The engine makes a container with networking disabled and leaves its networks out, silently:
    // the plan then connects them on every run.
    if (container.create_options.network_disabled === true && container.endpoints.length > 0)
      this.problem(
        this.at(config, "create_options"),
        "create_options.network_disabled cannot go with `networks`: the engine joins no network then",
        "remove `networks`, or `network_disabled` (or write `network_mode: disabled` alone)",
      );
  }

  /** Fixed and link-local addresses of network endpoints ("invalid IPv6 address", "… user configured subnets"). */
  private endpointAddresses(container: ContainerInstance, config: NormalizedContainer): void {
    for (const endpoint of container.endpoints) {
      const entry = config.networks.find((e) => e.network === endpoint.network);
      const at = this.at(config, "networks", entry);
      const name = `\`${endpoint.network}\``;
      if (endpoint.ipv6Address !== undefined && isIP(endpoint.ipv6Address) !== 6)
        this.problem(at, `ipv6_address \`${endpoint.ipv6Address}\` on ${name} is not an IPv6 address`);
      const badLinkLocal = endpoint.linkLocalIps.find((ip) => isIP(ip) === 0);
      if (badLinkLocal !== undefined)
        this.problem(at, `link_local_ips entry \`${badLinkLocal}\` on ${name} is not an IP address`);
      const network = this.map.networks[endpoint.network];
      const fixed = endpoint.ipv4Address ?? endpoint.ipv6Address;
      if (
        fixed !== undefined &&
        isIP(fixed) !== 0 &&
        network !== undefined &&
        !ipamHasSubnet(network.create_options.ipam)
      )
        this.problem(
          at,
          `fixed address \`${fixed}\` on ${name}, whose definition gives no subnet`,
          "the engine takes a fixed address only on a network with a subnet: add `create_options: {ipam: {config: [{subnet: …}]}}` to the network",
        );
    }
  }

  /** Driver options of the map's volumes and networks the engine checks at create. */
  objectOptions(): void {
    const at = (object: object) => this.ctx.origins.of(object) ?? this.ctx.mapAt;
    for (const [alias, volume] of Object.entries(this.map.volumes)) {
      if (volume.driver !== "local") continue;
      const why = localVolumeProblem(volume.driver_options);
      if (why !== undefined)
        this.problem(
          at(volume),
          `volume \`${alias}\`: ${why}`,
          "a local volume takes no options, or `type`, `device` and optionally `o` (mount options) together",
        );
    }
    for (const [name, network] of Object.entries(this.map.networks)) {
      const why =
        (network.driver === "bridge" ? bridgeNetworkProblem(network.driver_options) : undefined) ??
        ipamProblem(network.create_options.ipam);
      if (why !== undefined) this.problem(at(network), `network \`${name}\`: ${why}`);
    }
  }

  /** A hostname longer than 64 characters makes the container fail to start. */
  hostname(container: ContainerInstance, config: NormalizedContainer): void {
    const kind = container.networkMode.kind;
    const name = container.hostname;
    if (name === undefined || kind === "container" || kind === "external-container") return;
    // On an engine other than the default one, berth appends `-<client>`.
    const longest = Math.max(
      ...container.clients.map((client) =>
        client === DEFAULT_CLIENT ? name.length : name.length + 1 + client.length,
      ),
    );
    if (longest <= MAX_HOSTNAME) return;
    const derived = config.hostname === undefined;
    this.problem(
      derived ? (this.ctx.origins.of(config) ?? this.ctx.mapAt) : this.at(config, "hostname"),
      `the hostname of \`${container.key}\`${derived ? ` (\`${name}\`, from its name)` : ""} would be ${longest} characters; the engine allows ${MAX_HOSTNAME}`,
      derived
        ? "set a shorter `hostname`, or `set_hostname: false`, or shorten the map, config or instance name"
        : "shorten the hostname",
    );
  }

  /**
   * Legacy links work on the default bridge only: a container there cannot link to one that is
   * not on it ("Cannot link to …, as it does not belong to the default network").
   */
  linksToDefaultBridge(resolved: ResolvedMap): void {
    const byKey = new Map(resolved.containers.map((c) => [c.key, c]));
    const reported = new Set<string>();
    for (const container of resolved.containers) {
      if (!onDefaultBridge(container, "first")) continue;
      // On a swarm a link is an alias on the map's overlay, not a bridge link.
      if (container.clients.some((client) => this.ctx.swarmOf?.(client) !== undefined)) continue;
      const config = this.map.containers[container.config];
      if (config === undefined) continue;
      for (const link of container.links) {
        const target = byKey.get(link.container);
        if (target === undefined || onDefaultBridge(target, "any")) continue;
        const id = `${container.config}>${target.key}`;
        if (reported.has(id)) continue;
        reported.add(id);
        const entry = config.links.find((l) => l.container === target.key || l.container === target.config);
        this.problem(
          this.at(config, "links", entry),
          `\`${container.config}\` links to \`${target.key}\`, which is not on the default bridge network`,
          "legacy links work between containers on the default bridge; put both on a user-defined network and use `networks` (with `links` or aliases there)",
        );
      }
    }
  }

  /**
   * Links, `uses` of a container and `network_mode: <container>` name a container the engine
   * looks up on itself: one that runs on another engine only is "No such container" at create.
   * (`depends_on` works across engines: berth waits there.)
   */
  referencesAcrossEngines(resolved: ResolvedMap, edges: readonly DependencyEdge[]): void {
    const byKey = new Map(resolved.containers.map((c) => [c.key, c]));
    const reported = new Set<string>();
    for (const edge of edges) {
      const what = BY_NAME_REFERENCES[edge.kind];
      if (what === undefined) continue;
      const dependent = byKey.get(keyOf(edge.dependent));
      const dependency = byKey.get(keyOf(edge.dependency));
      if (dependent === undefined || dependency === undefined) continue;
      // A reference that touches a swarm is checked by the swarm's rules (src/swarm/swarm-rules.ts).
      const onSwarm = (c: ContainerInstance) =>
        c.clients.some((client) => this.ctx.swarmOf?.(client) !== undefined);
      if (onSwarm(dependent) || onSwarm(dependency)) continue;
      const engine = (client: string) => this.ctx.swarmOf?.(client) ?? client;
      const engines = new Set(dependency.clients.map(engine));
      const missing = dependent.clients.find((client) => !engines.has(engine(client)));
      if (missing === undefined) continue;
      const id = `${dependent.config}>${dependency.key}>${edge.kind}`;
      if (reported.has(id)) continue;
      reported.add(id);
      this.problem(
        edge.at,
        `\`${dependent.key}\` ${what} \`${dependency.key}\` across engines: \`${dependent.key}\` runs on client \`${missing}\`, \`${dependency.key}\` on ${dependency.clients.map((c) => `\`${c}\``).join(", ")} only`,
        "an engine finds those containers on itself only; place both on the same client (`clients`), or reach it through a published port (`depends_on` works across engines)",
      );
    }
  }

  /** Two containers of one engine cannot publish one host port ("port is already allocated"). */
  publishedPorts(resolved: ResolvedMap): void {
    type Taken = { key: string; config: string; at: SourcePosition; iface: string | undefined };
    const taken = new Map<string, Taken[]>();
    for (const container of resolved.containers) {
      const kind = container.networkMode.kind;
      if (kind === "host" || kind === "container" || kind === "external-container") continue;
      const config = this.map.containers[container.config];
      if (config === undefined) continue;
      container.ports.forEach((port, index) => {
        if (port.hostPort === undefined) return;
        const iface = port.interface === undefined ? undefined : `${port.interface}${port.ipv6 ? "/6" : ""}`;
        const at = this.at(config, "exposes", config.exposes[index]);
        for (const client of container.clients) {
          const swarm = this.ctx.swarmOf?.(client);
          const slot = `${swarm ?? client}\u0000${port.hostPort}/${port.port.split("/")[1] ?? "tcp"}`;
          // A port on all addresses collides with any other on that port. Two on named interfaces
          // are left to the plan: a name's address is per engine (the clients file), and
          // docker-map's own test maps publish one port on one interface name twice.
          // On a swarm the replicas of one service publish the port once (or once per node).
          const earlier = (taken.get(slot) ?? []).find(
            (t) =>
              (t.iface === undefined || iface === undefined) &&
              (swarm === undefined || t.config !== container.config),
          );
          if (earlier !== undefined) {
            this.problem(
              at,
              `host port ${port.hostPort} of \`${container.key}\` is already published by \`${earlier.key}\` at ${formatPosition(earlier.at)}${client === DEFAULT_CLIENT ? "" : ` (client \`${client}\`)`}`,
              "the engine gives a host port to one container; give each its own, or leave the host port out",
            );
            return;
          }
          append(taken, slot, { key: container.key, config: container.config, at, iface });
        }
      });
    }
  }
}

/** On the default bridge: as its first network (`first`) or on any of its networks (`any`). */
function onDefaultBridge(container: ContainerInstance, where: "first" | "any"): boolean {
  const kind = container.networkMode.kind;
  if (kind === "default" || kind === "bridge") return true;
  return where === "any" && container.endpoints.some((e) => e.network === "bridge");
}

/** Edge kinds that name another container the engine resolves on itself, as people read them. */
const BY_NAME_REFERENCES: Partial<Record<EdgeKind, string>> = {
  links: "links to",
  "network-link": "links (on a network) to",
  "uses-container": "uses the volumes of",
  "network-mode": "shares the network of",
};

/** The map key of a graph node (`container:web` → `web`). */
function keyOf(node: string): string {
  return node.slice(node.indexOf(":") + 1);
}

function asStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.map(String) : [];
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
