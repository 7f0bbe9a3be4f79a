import { text } from "../common/text.js";
import type { Environment } from "./interpolate.js";
import type { ProblemList, SourcePosition } from "./map-error.js";
import type {
  AttachEntry,
  BindEntry,
  BuildEntry,
  BuildFileEntry,
  DependencyCondition,
  DockerfileEntry,
  DependsOnEntry,
  ExecEntry,
  ExposeEntry,
  HealthcheckEntry,
  LinkEntry,
  NetworkEndpointEntry,
  NormalizedContainer,
  NormalizedNetwork,
  NormalizedVolume,
  SwarmEntry,
  UseEntry,
} from "./model.js";
import type { Origins } from "./origins.js";
import type { ContainerField } from "../fields/fields.js";
import { CONTAINER_FIELDS, containerField } from "../fields/fields-container.js";
import { optionField } from "../fields/fields-host-config.js";
import { formatDuration, parseByteSize, parseDuration, shellSplit } from "./units.js";
import type { MapPath, PositionIndex } from "./yaml-source.js";

/**
 * Expands every short form of one file's (schema-valid) map into its long form. Semantic checks
 * the schema cannot express (a direct bind whose path is not absolute, a read-only flag that is
 * neither `ro` nor `rw`) are reported here, with positions.
 */

type Raw = Record<string, unknown>;

/** One file's map after short forms are expanded; configs may still extend and be abstract. */
export interface FileMap {
  file: string;
  mapKeys: Raw;
  configs: Map<string, ConfigDraft>;
}

/** A config before `extends` is resolved: its own long-form fields plus what it extends. */
export interface ConfigDraft {
  name: string;
  abstract: boolean;
  extends: string[];
  /** Only the fields the config sets itself. */
  fields: Partial<NormalizedContainer>;
  at: SourcePosition;
}

export interface NormalizeContext {
  positions: PositionIndex;
  problems: ProblemList;
  origins: Origins;
  env: Environment;
}

const READONLY_WORDS: Record<string, boolean> = {
  ro: true,
  rw: false,
  true: true,
  false: false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

export class Normalizer {
  constructor(private readonly ctx: NormalizeContext) {}

  private at(path: MapPath): SourcePosition {
    return this.ctx.positions.valueAt(path);
  }

  private problem(path: MapPath, message: string, hint?: string): void {
    this.ctx.problems.add(this.at(path), message, hint);
  }

  private entry<T extends object>(value: T, path: MapPath): T {
    return this.ctx.origins.entry(value, this.at(path));
  }

  /** An entry written as a mapping key (`alias: ro`): its position is the key's. */
  private entryAtKey<T extends object>(value: T, path: MapPath): T {
    return this.ctx.origins.entry(value, this.ctx.positions.keyAt(path));
  }

  // ---- map level ---------------------------------------------------------------------------------

  volume(raw: unknown, path: MapPath): NormalizedVolume {
    const spec = typeof raw === "string" ? { default_path: raw } : ((raw ?? {}) as Raw);
    const out: NormalizedVolume = {
      driver: (spec.driver as string | undefined) ?? "local",
      driver_options: stringRecord(spec.driver_options),
      create_options: {},
    };
    if (typeof spec.default_path === "string") out.default_path = spec.default_path;
    const labels = (spec.create_options as Raw | undefined)?.labels;
    if (labels !== undefined)
      out.create_options.labels = this.keyValues(labels, [...path, "create_options", "labels"]);
    if (spec.user !== undefined) out.user = this.user(spec.user, [...path, "user"]);
    if (typeof spec.permissions === "string") out.permissions = spec.permissions;
    return this.entry(out, path);
  }

  network(raw: unknown, path: MapPath): NormalizedNetwork {
    const spec = (raw ?? {}) as Raw;
    const create = (spec.create_options ?? {}) as Raw;
    const out: NormalizedNetwork = {
      driver: (spec.driver as string | undefined) ?? "bridge",
      driver_options: stringRecord(spec.driver_options),
      internal: spec.internal === true,
      create_options: {},
    };
    if (typeof create.enable_ipv6 === "boolean") out.create_options.enable_ipv6 = create.enable_ipv6;
    if (typeof create.attachable === "boolean") out.create_options.attachable = create.attachable;
    if (create.labels !== undefined) {
      out.create_options.labels = this.keyValues(create.labels, [...path, "create_options", "labels"]);
    }
    if (create.ipam !== undefined) out.create_options.ipam = create.ipam as object;
    return this.entry(out, path);
  }

  // ---- container level ---------------------------------------------------------------------------

  config(name: string, raw: unknown, path: MapPath): ConfigDraft {
    const spec = (raw ?? {}) as Raw;
    const fields: Partial<NormalizedContainer> = {};
    const draft: ConfigDraft = {
      name,
      abstract: spec.abstract === true,
      extends: list(spec.extends) as string[],
      fields,
      at: this.ctx.positions.keyAt(path),
    };
    this.ctx.origins.entry(fields, draft.at);
    if (spec.extends !== undefined)
      this.ctx.origins.setField(fields, "extends", this.at([...path, "extends"]));
    list(spec.clients).forEach((_, i) =>
      this.ctx.origins.setField(
        fields,
        `clients.${i}`,
        this.at(Array.isArray(spec.clients) ? [...path, "clients", i] : [...path, "clients"]),
      ),
    );
    // Each placement entry where it is written (an instance or client it names may be unknown).
    if (typeof spec.placement === "object" && spec.placement !== null && !Array.isArray(spec.placement))
      for (const instance of Object.keys(spec.placement))
        this.ctx.origins.setField(fields, `placement.${instance}`, this.at([...path, "placement", instance]));
    const set = <K extends keyof NormalizedContainer>(key: K, value: NormalizedContainer[K] | undefined) => {
      if (value === undefined) return;
      fields[key] = value;
      this.ctx.origins.setField(fields, key, this.ctx.positions.valueAt([...path, key]));
    };
    for (const [key, entry] of Object.entries(CONTAINER_FIELDS as Record<string, ContainerField>)) {
      if (spec[key] === undefined) continue;
      const value = this.containerValue(entry.normalize, spec[key], [...path, key]);
      set(key as keyof NormalizedContainer, value as NormalizedContainer[keyof NormalizedContainer]);
    }
    if (spec.create_options !== undefined) {
      this.liftCreateOptions(spec.create_options as Raw, [...path, "create_options"], fields, set);
    }
    if (fields.host_config?.restart_policy !== undefined) {
      const { restart_policy, ...rest } = fields.host_config;
      if (fields.restart === undefined) set("restart", restartPolicy(restart_policy));
      fields.host_config = rest;
    }
    return draft;
  }

  /** The long form of a container key's value, by the normalizer its registry entry names. */
  private containerValue(normalizer: string, raw: unknown, path: MapPath): unknown {
    switch (normalizer) {
      case "string":
        return typeof raw === "string" ? raw : undefined;
      case "boolean":
        return typeof raw === "boolean" ? raw : undefined;
      case "text":
        return text(raw);
      case "string-list":
        return list(raw);
      case "instance-names":
        return this.uniqueNames(instanceNames(raw), path, "instance");
      case "binds":
        return this.binds(raw, path);
      case "attaches":
        return this.attaches(raw, path);
      case "uses":
        return this.uses(raw, path);
      case "links":
        return this.links(raw, path);
      case "exposes":
        return this.exposes(raw, path);
      case "user":
        return this.user(raw, path);
      case "seconds":
        return this.seconds(raw);
      case "duration":
        return this.duration(raw);
      case "networks":
        return this.networks(raw, path);
      case "exec-commands":
        return this.execCommands(raw, path);
      case "healthcheck":
        return this.healthcheck(raw, path);
      case "environment":
        return this.environment(raw, path);
      case "command":
        return this.command(raw, path);
      case "key-values":
        return this.keyValues(raw, path);
      case "restart-policy":
        return restartPolicy(raw);
      case "depends-on":
        return this.dependsOn(raw, path);
      case "swarm":
        return swarmEntry(raw as Raw);
      case "host-config":
        return this.hostConfig(raw as Raw, path);
      case "build":
        return this.build(raw, path);
      case "draft": // abstract, extends: the draft's own
      case "create-options": // lifted by liftCreateOptions
        return undefined;
    }
    throw new Error(
      `the field registry names a normalizer \`${normalizer}\` that normalize.ts does not have`,
    );
  }

  /**
   * create_options keys with a first-class equivalent (the registry's `liftedTo`) move there: a
   * mapping under the first-class one's keys, any other value only where the map sets none.
   */
  private liftCreateOptions(
    raw: Raw,
    path: MapPath,
    fields: Partial<NormalizedContainer>,
    set: <K extends keyof NormalizedContainer>(key: K, value: NormalizedContainer[K] | undefined) => void,
  ): void {
    const rest: Raw = { ...raw };
    const host: Raw = { ...(fields.host_config ?? {}) };
    const record = fields as Record<string, unknown>;
    for (const [key, value] of Object.entries(raw)) {
      const docker = optionField("create_options", key)?.docker;
      if (docker === undefined || !("liftedTo" in docker)) continue;
      delete rest[key];
      const target = docker.liftedTo;
      if (target.startsWith("host_config.")) {
        const hostKey = target.slice("host_config.".length);
        if (!(hostKey in host)) host[hostKey] = hostValue(hostKey, value);
        continue;
      }
      const entry = containerField(target);
      if (entry === undefined) continue;
      const mapping = entry.merge.rule === "update";
      if (!mapping && record[target] !== undefined) continue;
      const normalized = this.containerValue(entry.normalize, value, [...path, key]);
      const lifted = mapping
        ? { ...(normalized as object), ...(record[target] as object | undefined) }
        : normalized;
      set(target as keyof NormalizedContainer, lifted as NormalizedContainer[keyof NormalizedContainer]);
    }
    if (Object.keys(host).length > 0) set("host_config", host);
    if (Object.keys(rest).length > 0) set("create_options", rest);
  }

  private hostConfig(raw: Raw, path: MapPath): Record<string, unknown> {
    const out: Raw = {};
    for (const [key, value] of Object.entries(raw)) {
      out[key] = hostValue(key, value);
      // Each key where it is written: a key a target cannot run is reported there.
      this.ctx.origins.setField(out, key, this.at([...path, key]));
    }
    this.ctx.origins.entry(out, this.at(path));
    return out;
  }

  private uniqueNames(raw: unknown, path: MapPath, what: string): string[] {
    const names = list(raw) as string[];
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name))
        this.problem(Array.isArray(raw) ? [...path, index] : path, `duplicate ${what} \`${name}\``);
      seen.add(name);
    });
    return [...seen];
  }

  private readonly(flag: unknown, path: MapPath): boolean {
    if (flag === null || flag === undefined) return false;
    if (typeof flag === "boolean") return flag;
    const word = READONLY_WORDS[text(flag).toLowerCase()];
    if (word === undefined) {
      this.problem(path, `expected \`ro\` or \`rw\`, found \`${text(flag)}\``);
      return true;
    }
    return word;
  }

  private isDirectPath(path: string): boolean {
    return path.startsWith("/") || path.startsWith("./");
  }

  binds(raw: unknown, path: MapPath): BindEntry[] {
    return this.items(raw, path, (item, itemPath) => this.bindItem(item, itemPath));
  }

  /** Iterates a "list or single item or mapping" key, each item with its path. */
  private items<T>(raw: unknown, path: MapPath, each: (item: unknown, path: MapPath) => T[]): T[] {
    if (Array.isArray(raw)) return raw.flatMap((item, index) => each(item, [...path, index]));
    return each(raw, path);
  }

  private bindItem(item: unknown, path: MapPath): BindEntry[] {
    if (typeof item === "string") return [this.entry({ path: item, readonly: false }, path)];
    if (Array.isArray(item)) {
      const [first, second, third] = item as [string, unknown, unknown];
      if (
        this.isDirectPath(first) &&
        item.length >= 2 &&
        typeof second === "string" &&
        !(second.toLowerCase() in READONLY_WORDS)
      ) {
        return [
          this.entry({ path: first, host_path: second, readonly: this.readonly(third, [...path, 2]) }, path),
        ];
      }
      if (item.length === 3) {
        this.problem(
          path,
          `a three-item bind needs a container path starting with \`/\` or \`./\`, found \`${first}\``,
        );
        return [];
      }
      if (this.isDirectPath(first)) {
        this.problem(
          path,
          `the direct bind \`${first}\` needs a host path`,
          "write `[/container/path, host/path, ro]`",
        );
        return [];
      }
      return [this.entry({ path: first, readonly: this.readonly(second, [...path, 1]) }, path)];
    }
    const spec = item as Raw;
    if (typeof spec.name === "string") {
      // docker-map's `{name: alias, readonly: …}`.
      return [
        this.entry({ path: spec.name, readonly: this.readonly(spec.readonly, [...path, "readonly"]) }, path),
      ];
    }
    if (typeof spec.path === "string") {
      const entry: BindEntry = {
        path: spec.path,
        readonly: this.readonly(spec.readonly, [...path, "readonly"]),
      };
      if (typeof spec.host_path === "string") entry.host_path = spec.host_path;
      return [this.entry(entry, path)];
    }
    return Object.entries(spec).map(([key, value]) => {
      const keyPath = [...path, key];
      if (this.isDirectPath(key)) {
        if (typeof value === "string" && !(value.toLowerCase() in READONLY_WORDS)) {
          return this.entryAtKey({ path: key, host_path: value, readonly: false }, keyPath);
        }
        if (Array.isArray(value) && typeof value[0] === "string") {
          return this.entryAtKey(
            { path: key, host_path: value[0], readonly: this.readonly(value[1], [...keyPath, 1]) },
            keyPath,
          );
        }
        this.problem(
          keyPath,
          `the direct bind \`${key}\` needs a host path`,
          "write `/container/path: [host/path, ro]`",
        );
        return this.entryAtKey({ path: key, readonly: false }, keyPath);
      }
      if (Array.isArray(value)) {
        this.problem(
          keyPath,
          `\`${key}\` is a volume alias, which takes a read-only flag, not a list`,
          "direct binds need a container path starting with `/` or `./`",
        );
      }
      return this.entryAtKey(
        { path: key, readonly: this.readonly(Array.isArray(value) ? null : value, keyPath) },
        keyPath,
      );
    });
  }

  attaches(raw: unknown, path: MapPath): AttachEntry[] {
    const entries = this.attachEntries(raw, path);
    const seen = new Set<string>();
    return entries.filter((entry) => {
      if (!seen.has(entry.name)) {
        seen.add(entry.name);
        return true;
      }
      this.ctx.problems.add(
        this.ctx.origins.of(entry) ?? this.at(path),
        `duplicate attached volume \`${entry.name}\``,
      );
      return false;
    });
  }

  private attachEntries(raw: unknown, path: MapPath): AttachEntry[] {
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "string") return [this.entry({ name: item }, itemPath)];
      if (Array.isArray(item)) {
        const [name, mount] = item as [string, string | undefined];
        return [this.entry(mount === undefined ? { name } : { name, path: mount }, itemPath)];
      }
      const spec = item as Raw;
      if (typeof spec.name === "string") {
        return [
          this.entry(
            typeof spec.path === "string" ? { name: spec.name, path: spec.path } : { name: spec.name },
            itemPath,
          ),
        ];
      }
      return Object.entries(spec).map(([name, mount]) =>
        this.entryAtKey(typeof mount === "string" ? { name, path: mount } : { name }, [...itemPath, name]),
      );
    });
  }

  uses(raw: unknown, path: MapPath): UseEntry[] {
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "string") return [this.entry({ name: item, readonly: false }, itemPath)];
      if (Array.isArray(item)) {
        const [name, second, third] = item as [string, unknown, unknown];
        if (typeof second === "string" && this.isDirectPath(second)) {
          return [
            this.entry({ name, path: second, readonly: this.readonly(third, [...itemPath, 2]) }, itemPath),
          ];
        }
        return [this.entry({ name, readonly: this.readonly(second, [...itemPath, 1]) }, itemPath)];
      }
      const spec = item as Raw;
      if (typeof spec.name === "string") {
        const entry: UseEntry = {
          name: spec.name,
          readonly: this.readonly(spec.readonly, [...itemPath, "readonly"]),
        };
        if (typeof spec.path === "string") entry.path = spec.path;
        return [this.entry(entry, itemPath)];
      }
      return Object.entries(spec).map(([name, value]) => {
        const keyPath = [...itemPath, name];
        if (typeof value === "string" && this.isDirectPath(value)) {
          return this.entryAtKey({ name, path: value, readonly: false }, keyPath);
        }
        return this.entryAtKey({ name, readonly: this.readonly(value, keyPath) }, keyPath);
      });
    });
  }

  links(raw: unknown, path: MapPath): LinkEntry[] {
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "string") return [this.entry({ container: item }, itemPath)];
      if (Array.isArray(item)) {
        const [container, alias] = item as [string, string | null | undefined];
        return [this.entry(alias ? { container, alias } : { container }, itemPath)];
      }
      const spec = item as Raw;
      if (typeof spec.container === "string") {
        const alias = spec.alias;
        return [
          this.entry(
            typeof alias === "string" && alias !== ""
              ? { container: spec.container, alias }
              : { container: spec.container },
            itemPath,
          ),
        ];
      }
      return Object.entries(spec).map(([container, alias]) =>
        this.entryAtKey(typeof alias === "string" && alias !== "" ? { container, alias } : { container }, [
          ...itemPath,
          container,
        ]),
      );
    });
  }

  exposes(raw: unknown, path: MapPath): ExposeEntry[] {
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && !("exposed_port" in raw)) {
      return Object.entries(raw as Raw).map(([port, value]) => {
        const keyPath = [...path, port];
        if (Array.isArray(value)) {
          const [host, iface, ipv6] = value as [unknown, unknown, unknown];
          return this.expose(port, host, iface, ipv6, keyPath, true);
        }
        return this.expose(port, value, undefined, undefined, keyPath, true);
      });
    }
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "number" || typeof item === "string")
        return [this.expose(item, undefined, undefined, undefined, itemPath)];
      if (Array.isArray(item)) {
        const [port, host, iface, ipv6] = item as [number | string, unknown, unknown, unknown];
        if (Array.isArray(host)) {
          const [hostPort, hostIface] = host as [unknown, unknown];
          return [this.expose(port, hostPort, hostIface ?? iface, ipv6, itemPath)];
        }
        return [this.expose(port, host, iface, ipv6, itemPath)];
      }
      const spec = item as Raw;
      return [
        this.expose(
          spec.exposed_port as number | string,
          spec.host_port,
          spec.interface,
          spec.ipv6,
          itemPath,
        ),
      ];
    });
  }

  private expose(
    port: number | string,
    host: unknown,
    iface: unknown,
    ipv6: unknown,
    path: MapPath,
    atKey = false,
  ): ExposeEntry {
    const entry: ExposeEntry = { exposed_port: canonicalPort(port), ipv6: ipv6 === true };
    if (host !== undefined && host !== null) entry.host_port = Number(text(host).split("/")[0]);
    if (typeof iface === "string" && iface !== "") entry.interface = iface;
    return atKey ? this.entryAtKey(entry, path) : this.entry(entry, path);
  }

  private user(raw: unknown, path: MapPath): string {
    if (Array.isArray(raw)) return `${text(raw[0])}:${text(raw[1])}`;
    const user = text(raw);
    if (user.trim() === "") this.problem(path, "the user is empty");
    return user;
  }

  private seconds(raw: unknown): number {
    return Math.ceil(parseDuration(raw as string | number) / 1e9);
  }

  private duration(raw: unknown): string {
    return formatDuration(parseDuration(raw as string | number));
  }

  networks(raw: unknown, path: MapPath): NetworkEndpointEntry[] {
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && !("network" in raw)) {
      return Object.entries(raw as Raw).map(([network, options]) =>
        this.ctx.origins.entry(
          this.endpoint(network, (options ?? {}) as Raw, [...path, network]),
          this.ctx.positions.keyAt([...path, network]),
        ),
      );
    }
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "string") return [this.endpoint(item, {}, itemPath)];
      if (Array.isArray(item)) {
        const [network, second, links, ipv4, ipv6, linkLocal] = item as [
          string,
          unknown,
          unknown,
          unknown,
          unknown,
          unknown,
        ];
        if (second !== null && typeof second === "object" && !Array.isArray(second)) {
          return [this.endpoint(network, second as Raw, itemPath, [...itemPath, 1])];
        }
        return [
          this.endpoint(
            network,
            { aliases: second, links, ipv4_address: ipv4, ipv6_address: ipv6, link_local_ips: linkLocal },
            itemPath,
            itemPath,
            true,
          ),
        ];
      }
      const spec = item as Raw;
      if (typeof spec.network === "string") return [this.endpoint(spec.network, spec, itemPath)];
      // docker-map also takes `- {net: {aliases: …}}`.
      return Object.entries(spec).map(([network, options]) =>
        this.ctx.origins.entry(
          this.endpoint(network, (options ?? {}) as Raw, [...itemPath, network]),
          this.ctx.positions.keyAt([...itemPath, network]),
        ),
      );
    });
  }

  private endpoint(
    network: string,
    spec: Raw,
    path: MapPath,
    optionsPath: MapPath = path,
    positional = false,
  ): NetworkEndpointEntry {
    const entry: NetworkEndpointEntry = {
      network,
      aliases: spec.aliases == null ? [] : (list(spec.aliases) as string[]),
      links:
        spec.links == null
          ? []
          : this.links(spec.links, positional ? [...optionsPath, 2] : [...optionsPath, "links"]),
      link_local_ips: spec.link_local_ips == null ? [] : (list(spec.link_local_ips) as string[]),
    };
    if (typeof spec.ipv4_address === "string") entry.ipv4_address = spec.ipv4_address;
    if (typeof spec.ipv6_address === "string") entry.ipv6_address = spec.ipv6_address;
    return this.entry(entry, path);
  }

  execCommands(raw: unknown, path: MapPath): ExecEntry[] {
    const entries = this.execEntries(raw, path);
    for (const entry of entries) {
      if (typeof entry.cmd !== "string") continue;
      try {
        shellSplit(entry.cmd);
      } catch (err) {
        this.ctx.problems.add(this.ctx.origins.of(entry) ?? this.at(path), (err as Error).message);
      }
    }
    return entries;
  }

  private execEntries(raw: unknown, path: MapPath): ExecEntry[] {
    return this.items(raw, path, (item, itemPath) => {
      if (typeof item === "string")
        return [this.entry({ cmd: item, policy: "restart" as const, detach: false }, itemPath)];
      if (Array.isArray(item)) {
        const [cmd, user, policy] = item as [string | string[], unknown, unknown];
        const entry: ExecEntry = { cmd, policy: policy === "initial" ? "initial" : "restart", detach: false };
        if (user !== null && user !== undefined) entry.user = this.user(user, [...itemPath, 1]);
        return [this.entry(entry, itemPath)];
      }
      const spec = item as Raw;
      const entry: ExecEntry = {
        cmd: spec.cmd as string | string[],
        policy: spec.policy === "initial" ? "initial" : "restart",
        detach: spec.detach === true,
      };
      if (spec.user !== null && spec.user !== undefined)
        entry.user = this.user(spec.user, [...itemPath, "user"]);
      if (spec.timeout !== undefined) entry.timeout = this.duration(spec.timeout);
      return [this.entry(entry, itemPath)];
    });
  }

  healthcheck(raw: unknown, path: MapPath): HealthcheckEntry {
    const disabled = (): HealthcheckEntry => this.entry({ test: ["NONE"] }, path);
    if (raw === null) return disabled();
    if (typeof raw === "string")
      return raw.toUpperCase() === "NONE" ? disabled() : this.entry({ test: testCommand(raw) }, path);
    if (Array.isArray(raw)) {
      const [test, interval, timeout, retries, startPeriod] = raw as [
        string | string[],
        unknown,
        unknown,
        unknown,
        unknown,
      ];
      return this.entry(
        this.healthFields({ test, interval, timeout, retries, start_period: startPeriod }),
        path,
      );
    }
    const spec = raw as Raw;
    if (spec.disable === true || spec.test === null) return disabled();
    return this.entry(this.healthFields(spec), path);
  }

  private healthFields(spec: Raw): HealthcheckEntry {
    const test = spec.test;
    const entry: HealthcheckEntry = {
      test:
        typeof test === "string"
          ? test.toUpperCase() === "NONE"
            ? ["NONE"]
            : testCommand(test)
          : prefixTest(test as string[] | undefined),
    };
    if (spec.interval != null) entry.interval = healthDuration(spec.interval);
    if (spec.timeout != null) entry.timeout = healthDuration(spec.timeout);
    if (typeof spec.retries === "number") entry.retries = spec.retries;
    if (spec.start_period != null) entry.start_period = healthDuration(spec.start_period);
    return entry;
  }

  environment(raw: unknown, path: MapPath): Record<string, string> {
    const out: Record<string, string> = {};
    if (Array.isArray(raw)) {
      raw.forEach((item: string, index) => {
        const [name, value] = splitOnce(item, "=");
        if (value !== undefined) out[name] = value;
        else {
          // `NAME` alone passes the value through from the environment berth runs in.
          const fromEnv = this.ctx.env[name];
          if (fromEnv !== undefined) out[name] = fromEnv;
          else
            this.problem(
              [...path, index],
              `variable ${name} is not set`,
              "write NAME=value, or set it in the environment or .env",
            );
        }
      });
      return out;
    }
    for (const [name, value] of Object.entries((raw ?? {}) as Raw)) {
      if (value === null) {
        const fromEnv = this.ctx.env[name];
        if (fromEnv !== undefined) out[name] = fromEnv;
        else this.problem([...path, name], `variable ${name} has no value and is not set in the environment`);
      } else out[name] = text(value);
    }
    return out;
  }

  /** `build: FOLDER` or the mapping; args take `NAME` alone from the environment, as environment does. */
  private build(raw: unknown, path: MapPath): BuildEntry {
    const spec = typeof raw === "string" ? { context: raw } : ((raw ?? {}) as Raw);
    // Like every long form, empty mappings and lists and false flags are left out.
    const out: BuildEntry =
      typeof spec.from === "string"
        ? this.generatedDockerfile(spec, path)
        : { context: spec.context as string };
    if (typeof spec.dockerfile === "string") out.dockerfile = spec.dockerfile;
    const args = spec.args === undefined ? {} : this.environment(spec.args, [...path, "args"]);
    if (Object.keys(args).length > 0) out.args = args;
    if (typeof spec.target === "string") out.target = spec.target;
    const labels = spec.labels === undefined ? {} : this.keyValues(spec.labels, [...path, "labels"]);
    if (Object.keys(labels).length > 0) out.labels = labels;
    const tags = list(spec.tags) as string[];
    if (tags.length > 0) out.tags = tags;
    if (spec.pull === true) out.pull = true;
    if (spec.no_cache === true) out.no_cache = true;
    return this.entry(out, path);
  }

  /** The generated form's instructions (`from` present); empty lists and mappings are left out. */
  private generatedDockerfile(spec: Raw, path: MapPath): DockerfileEntry {
    const out: DockerfileEntry = { from: spec.from as string };
    const run = list(spec.run).map((line) => (Array.isArray(line) ? line.map(text) : text(line)));
    if (run.length > 0) out.run = run;
    for (const kind of ["add", "copy"] as const) {
      const files = list(spec[kind]).map((item) => this.buildFile(item));
      if (files.length > 0) out[kind] = files;
    }
    const env = spec.env === undefined ? {} : this.keyValues(spec.env, [...path, "env"]);
    for (const [name, value] of Object.entries(env))
      if (/[\r\n]/.test(value))
        this.problem(
          [...path, "env", name],
          "a value of a generated Dockerfile's ENV cannot hold a line break",
        );
    if (Object.keys(env).length > 0) out.env = env;
    if (spec.workdir !== undefined) out.workdir = text(spec.workdir);
    if (spec.user !== undefined) out.user = text(spec.user);
    if (spec.entrypoint !== undefined)
      out.entrypoint = this.command(spec.entrypoint, [...path, "entrypoint"]);
    if (spec.cmd !== undefined) out.cmd = this.command(spec.cmd, [...path, "cmd"]);
    const expose = list(spec.expose).map(text);
    if (expose.length > 0) out.expose = expose;
    const volumes = list(spec.volumes).map(text);
    if (volumes.length > 0) out.volumes = volumes;
    return out;
  }

  /** `SRC:DEST` or `{src, dest}`. */
  private buildFile(item: unknown): BuildFileEntry {
    if (typeof item === "string") {
      const [src, dest] = splitOnce(item, ":");
      return { src, dest: dest ?? src };
    }
    const spec = item as Raw;
    return { src: text(spec.src), dest: text(spec.dest) };
  }

  keyValues(raw: unknown, path: MapPath): Record<string, string> {
    const out: Record<string, string> = {};
    if (Array.isArray(raw)) {
      for (const item of raw as string[]) {
        const [name, value] = splitOnce(item, "=");
        out[name] = value ?? "";
      }
      return out;
    }
    for (const [name, value] of Object.entries((raw ?? {}) as Raw)) {
      out[name] = value === null ? "" : text(value);
    }
    void path;
    return out;
  }

  private command(raw: unknown, path: MapPath): string[] {
    if (Array.isArray(raw)) return raw as string[];
    try {
      return shellSplit(raw as string);
    } catch (err) {
      this.problem(path, (err as Error).message);
      return [raw as string];
    }
  }

  dependsOn(raw: unknown, path: MapPath): DependsOnEntry[] {
    if (typeof raw === "string") return [this.entry({ container: raw, condition: "started" as const }, path)];
    if (Array.isArray(raw)) {
      return raw.map((item: unknown, index) => {
        const itemPath = [...path, index];
        if (typeof item === "string")
          return this.entry({ container: item, condition: "started" as const }, itemPath);
        const spec = item as Raw;
        return this.entry(
          {
            container: spec.container as string,
            condition: (spec.condition as DependencyCondition | undefined) ?? "started",
          },
          itemPath,
        );
      });
    }
    return Object.entries(raw as Raw).map(([container, value]) => {
      const condition =
        typeof value === "string"
          ? (value as DependencyCondition)
          : (((value as Raw | null)?.condition as DependencyCondition | undefined) ?? "started");
      return this.entryAtKey({ container, condition }, [...path, container]);
    });
  }
}

/** The long form of a host_config value, by the normalizer its registry entry names. */
function hostValue(key: string, value: unknown): unknown {
  switch (optionField("host_config", key)?.normalize) {
    case "size":
      return value === -1 ? value : parseByteSize(value as string | number);
    case "list":
      return list(value);
    case "extra-hosts":
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value as Record<string, string>).map(([h, ip]) => `${h}:${ip}`)
        : value;
    case "tmpfs":
      return typeof value === "string" || Array.isArray(value)
        ? Object.fromEntries(
            (list(value) as string[]).map((entry) => {
              const [mount, options] = splitOnce(entry, ":");
              return [mount, options ?? ""];
            }),
          )
        : value;
    case "log-config": {
      const spec = value as Raw;
      return { type: spec.type ?? spec.Type, config: spec.config ?? spec.Config ?? {} };
    }
    case "string-record":
      return stringRecord(value);
    case undefined:
    default: // value, restart-policy (moved to `restart` by config())
      return value;
  }
}

/**
 * A health-check duration. Numbers are seconds, except that docker-map maps wrote nanoseconds
 * (as docker-py takes them): a number of a million or more is read as nanoseconds.
 */
function healthDuration(raw: unknown): string {
  if (typeof raw === "number" && raw >= 1e6) return formatDuration(Math.round(raw));
  return formatDuration(parseDuration(raw as string | number));
}

export function list(raw: unknown): unknown[] {
  if (raw === undefined || raw === null) return [];
  return Array.isArray(raw) ? raw : [raw];
}

function stringRecord(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Raw)) out[key] = text(value);
  return out;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + separator.length)];
}

function canonicalPort(port: number | string): number | string {
  const [number, protocol] = splitOnce(String(port), "/");
  return protocol === undefined || protocol === "tcp" ? Number(number) : `${Number(number)}/${protocol}`;
}

/** A health-check command string runs in a shell (`CMD-SHELL`), as Docker's own CLI does. */
function testCommand(text: string): string[] {
  return ["CMD-SHELL", text];
}

/** A list without `CMD`, `CMD-SHELL` or `NONE` first gets `CMD` (docker-map's rule). */
function prefixTest(test: string[] | undefined): string[] {
  // No test: the image's own test runs, with the intervals the map gives.
  if (test === undefined || test.length === 0) return [];
  const first = test[0];
  return first === "CMD" || first === "CMD-SHELL" || first === "NONE" ? test : ["CMD", ...test];
}

/** `swarm:` with its durations as canonical text (the schema checked the rest). */
function swarmEntry(raw: Raw): SwarmEntry {
  const out = { ...raw } as SwarmEntry;
  const update = raw.update_config as Raw | undefined;
  if (update !== undefined) {
    const config = { ...update } as NonNullable<SwarmEntry["update_config"]>;
    for (const key of ["delay", "monitor"] as const)
      if (update[key] !== undefined)
        config[key] = formatDuration(parseDuration(update[key] as string | number));
    out.update_config = config;
  }
  return out;
}

export function restartPolicy(raw: unknown): string {
  if (typeof raw === "string") return raw === "" ? "no" : raw;
  const spec = (raw ?? {}) as Raw;
  const name = ((spec.Name ?? spec.name ?? "no") as string) || "no";
  const count = (spec.MaximumRetryCount ?? spec.maximum_retry_count) as number | undefined;
  return name === "on-failure" && count !== undefined && count > 0 ? `on-failure:${count}` : name;
}

/** `instances: [1, 2]` names instances `1` and `2`, as docker-map formats them. */
function instanceNames(raw: unknown): unknown {
  const asName = (value: unknown) => (typeof value === "number" ? String(value) : value);
  return Array.isArray(raw) ? raw.map(asName) : asName(raw);
}
