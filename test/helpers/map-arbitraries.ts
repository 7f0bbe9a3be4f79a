/**
 * fast-check arbitraries for container maps.
 *
 * - `validMapArbitrary()`: random maps that load without problems, written with the many short
 *   and long forms the map format accepts. References (links, uses, depends_on, network_mode,
 *   network links, groups, extends) only point at configs earlier in a generated order, so the
 *   map is acyclic; volume aliases, bind aliases, networks and clients are defined before use.
 * - `cyclicMapArbitrary()`: small maps whose container references contain at least one cycle,
 *   with the instance-level "needs" relation the map should produce, to check reported cycles.
 */
import fc from "fast-check";
import { Document, visit } from "yaml";
import { parseDuration } from "../../src/map/units.js";

export type Environment = Record<string, string>;

/** The environment maps are loaded with (nothing depends on the machine). */
export const MAP_ENV: Environment = {
  TAG: "1.4",
  APP_PORT: "8080",
  FLAG: "true",
  HOME: "/home/berth",
  DB_PASSWORD: "s3cret",
  EMPTY: "",
  REGION: "eu-west",
};

export const MAP_NAME = "app";
export const MAP_CWD = "/srv/maps";

/** A generated map: the value that was serialised and the YAML text. */
export interface GeneratedMap {
  text: string;
  value: Record<string, unknown>;
}

/**
 * The random choices a map is built from: a list of numbers read in order (zeros once it runs
 * out). A map is a function of its list, and shrinking works on the list, Hypothesis-style:
 * zeroing or deleting runs of the numbers that were read turns features off (`chance` is
 * false at zero) and picks first items. This generates several times faster than fc.gen(), and
 * shrinks only the numbers a map used.
 */
class Choices {
  private next = 0;
  /** How many numbers the last build read. */
  used = 0;
  constructor(readonly values: readonly number[]) {}

  /** Starts a build (a value can be built more than once). */
  start(): this {
    this.next = 0;
    return this;
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    const value = this.values[this.next++] ?? 0;
    this.used = Math.max(this.used, this.next);
    return min + (value % (max - min + 1));
  }
}

type G = Choices;

/** Simpler lists than `values` (of which the first `used` matter), most promising first. */
function* simplerChoices(values: readonly number[], used: number): Generator<number[]> {
  const head = values.slice(0, used);
  // Runs from half the list down to single numbers: large runs drop whole configs quickly.
  const sizes: number[] = [];
  for (let size = 1; size <= head.length / 2; size *= 2) sizes.unshift(size);
  for (const size of sizes) {
    for (let i = 0; i + size <= head.length; i += size) {
      // Zeroing a run keeps what later numbers decide; deleting it shifts them (both help).
      if (head.slice(i, i + size).some((v) => v !== 0)) {
        yield [...head.slice(0, i), ...new Array<number>(size).fill(0), ...head.slice(i + size)];
      }
      yield [...head.slice(0, i), ...head.slice(i + size)];
    }
  }
  for (let i = 0; i < head.length; i++) {
    const value = head[i] as number;
    for (const smaller of [1, 2, 3, Math.floor(value / 2)]) {
      if (smaller < value) yield [...head.slice(0, i), smaller, ...head.slice(i + 1)];
    }
  }
}

class ChoicesArbitrary extends fc.Arbitrary<Choices> {
  constructor(private readonly length: number) {
    super();
  }

  generate(mrng: fc.Random): fc.Value<Choices> {
    const values = Array.from({ length: this.length }, () => mrng.nextInt(0, 0x7fffffff));
    return new fc.Value(new Choices(values), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is Choices {
    return value instanceof Choices;
  }

  shrink(value: Choices): fc.Stream<fc.Value<Choices>> {
    return fc
      .stream(simplerChoices(value.values, value.used))
      .map((values) => new fc.Value(new Choices(values), undefined));
  }
}

/** `length` numbers: more than a map reads (the rest are never read). */
const choices = (length: number): fc.Arbitrary<Choices> => new ChoicesArbitrary(length);

// ---- small generator helpers (each shrinks towards the first / simplest choice) -----------------

function int(g: G, min: number, max: number): number {
  return g.int(min, max);
}

function pick<T>(g: G, items: readonly T[]): T {
  return items[int(g, 0, items.length - 1)] as T;
}

/** True with probability `p`; shrinks to false. */
function chance(g: G, p: number): boolean {
  return int(g, 0, 999) >= Math.round(1000 * (1 - p));
}

/** A subset of `items` in their order, about `p` of them; shrinks towards the empty set. */
function subset<T>(g: G, items: readonly T[], p = 0.4): T[] {
  // A count, then that many distinct indexes: far fewer draws than a coin per item.
  const n = int(g, 0, Math.min(items.length, Math.round(2 * items.length * p)));
  const indexes = new Set<number>();
  const pool = items.map((_, i) => i);
  for (let i = 0; i < n; i++) indexes.add(pool.splice(int(g, 0, pool.length - 1), 1)[0] as number);
  return items.filter((_, i) => indexes.has(i));
}

/** 1..max distinct items of `items`, in random order. */
function some<T>(g: G, items: readonly T[], max: number): T[] {
  const n = int(g, 1, Math.min(max, items.length));
  const pool = [...items];
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const index = int(g, 0, pool.length - 1);
    out.push(pool.splice(index, 1)[0] as T);
  }
  return out;
}

/**
 * One item on its own (with probability `p`; a list item goes in a one-item list, as on its own it
 * would read as a list of items), or a list of 1..max items.
 */
function itemOrList(g: G, item: () => unknown, p: number, max = 3): unknown {
  if (chance(g, p)) {
    const one = item();
    return Array.isArray(one) ? [one] : one;
  }
  return Array.from({ length: int(g, 1, max) }, item);
}

/** A list written as its only item or as a list. */
function oneOrList<T>(g: G, items: T[]): T | T[] {
  return items.length === 1 && chance(g, 0.5) ? (items[0] as T) : items;
}

const PATH_MARK = "\u0000PATH:";
/** A value written with the `!path` tag (expanded with the environment when loading). */
const pathTagged = (value: string): string => `${PATH_MARK}${value}`;

/** Shows a generated map as its YAML text in fast-check's reports. */
function withText<T extends GeneratedMap>(map: T): T {
  Object.defineProperty(map, fc.toStringMethod, { value: () => `\n${map.text}`, enumerable: false });
  return map;
}

/** Serialises a value as YAML, turning `pathTagged` strings into `!path` scalars. */
export function toYaml(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && node.value.startsWith(PATH_MARK)) {
        node.value = node.value.slice(PATH_MARK.length);
        node.tag = "!path";
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}

// ---- value pools ----------------------------------------------------------------------------------

/** Strings that stay strings after loading (interpolated or not), for string-typed keys. */
const TEXTS = [
  "plain",
  "",
  "with space",
  "a$${b}c",
  "$${HOME}",
  "$$${TAG}",
  "v-${REGION}",
  "${MISSING:-fallback}",
  "${EMPTY:-dflt}",
  "${DB_PASSWORD}",
  "$NOT_INTERPOLATED",
  "quote'd",
  'double"q',
  "#hash",
  "- dash",
  "a: b",
  "yes",
  "null",
  "ünïcødé",
  "multi\nline",
  "x=y",
] as const;

/** Values for mappings of names to values (numbers, booleans and number-like interpolations too). */
const KV_VALUES = [
  ...TEXTS,
  42,
  1.5,
  true,
  false,
  "123",
  "true",
  "${APP_PORT}",
  "${FLAG}",
  "${TAG}",
] as const;

const ENV_NAMES = ["MODE", "PORT", "DB_PASSWORD", "REGION", "A_B", "lower", "X1"] as const;
const LABEL_NAMES = ["com.example.team", "tier", "owner", "a.b-c_d"] as const;

/** Command strings with balanced quotes (split like a shell would). */
const COMMANDS = [
  "run",
  "nginx -g 'daemon off;'",
  'sh -c "echo $${HOME} && sleep 1"',
  "echo a\\ b",
  "",
  "python -m http.server ${APP_PORT}",
  "cat '$${literal}'",
  "  spaced   out  ",
] as const;
const COMMAND_LISTS = [["run"], ["sh", "-c", "echo hi"], ["a b", "", "$${x}"], []] as const;

const DURATIONS = [
  0,
  1,
  30,
  2.5,
  0.001,
  "500ms",
  "1m30s",
  "1.5s",
  "2h",
  "10us",
  "90s",
  "0.5m",
  "1h1m1s1ms1us1ns",
  "0s",
] as const;

const INSTANCE_NAMES = ["1", "2", "3", "a", "blue", "green"] as const;
const CONFIG_NAMES = [
  "web",
  "db",
  "cache",
  "worker",
  "proxy",
  "api",
  "queue",
  "cron",
  "svc-1",
  "app_2",
] as const;
const ATTACH_ALIASES = ["vdata", "vlogs", "vcache", "vsock", "vtmp"] as const;
const BIND_ALIASES = ["bconf", "bcerts", "bstatic"] as const;
const NETWORK_NAMES = ["net0", "backend", "front-end"] as const;
const PRESET_NETWORKS = ["bridge", "host", "none"] as const;
const READONLY_FLAGS = ["ro", "rw", true, false, null, "yes", "no", "on", "off", "RO", "True"] as const;
const HOST_PATHS = [
  "/srv/data",
  "data/app",
  "./rel",
  "logs",
  "/var/lib/x/../y",
  "/tmp/${REGION}",
  "/tmp/$${literal}",
] as const;
const USERS = [
  1000,
  0,
  "nobody",
  "app:app",
  ["app", "staff"],
  [1000, 1000],
  ["0", 0],
  "u-${REGION}",
] as const;

function durationValue(g: G): number | string {
  // Seconds with fractions: milliseconds, repeating decimals, nanoseconds.
  // At most 24h (86,400 s), the longest duration a map may give.
  if (chance(g, 0.2)) return int(g, 0, 60_000_000) / pick(g, [1000, 700, 1e9]);
  return pick(g, DURATIONS);
}

/** A health-check duration: the engine refuses one under 1 ms (0 means its default). */
function healthDurationValue(g: G): number | string {
  const value = durationValue(g);
  const ns = parseDuration(value);
  return ns > 0 && ns < 1e6 ? "1ms" : value;
}

function text(g: G): string {
  return pick(g, TEXTS);
}

function keyValues(g: G, names: readonly string[], allowNull: boolean): unknown {
  const chosen = subset(g, names, 0.5);
  if (chance(g, 0.35)) {
    // `NAME=value` list form; a bare NAME is only allowed where it is looked up in the environment.
    return chosen.map((name) => {
      if (allowNull && name in MAP_ENV && chance(g, 0.3)) return name;
      if (!allowNull && chance(g, 0.2)) return name;
      // A list item is one line (`NAME=value`).
      return `${name}=${String(pick(g, KV_VALUES)).replaceAll("\n", " ")}`;
    });
  }
  const out: Record<string, unknown> = {};
  for (const name of chosen) {
    if (allowNull && name in MAP_ENV && chance(g, 0.3)) out[name] = null;
    else if (!allowNull && chance(g, 0.1)) out[name] = null;
    else out[name] = pick(g, KV_VALUES);
  }
  return out;
}

function commandValue(g: G): unknown {
  return chance(g, 0.5) ? pick(g, COMMANDS) : [...pick(g, COMMAND_LISTS)];
}

function userValue(g: G): unknown {
  const user = pick(g, USERS);
  return Array.isArray(user) ? [...(user as unknown[])] : user;
}

function exposedPort(g: G): number | string {
  return pick(g, [80, 8080, "9000", "53/udp", "8080/tcp", 443, "161/sctp", 65535, 1, "00080"]);
}

function restartValue(g: G): unknown {
  return pick(g, [
    "always",
    "no",
    "unless-stopped",
    "on-failure",
    "on-failure:5",
    { Name: "on-failure", MaximumRetryCount: 3 },
    { name: "always" },
    { Name: "" },
    { name: "on-failure", maximum_retry_count: 0 },
    {},
  ]);
}

function healthcheckValue(g: G): unknown {
  const test = (): unknown =>
    pick(g, [
      "curl -f http://localhost/",
      ["curl", "-f", "http://localhost/"],
      ["CMD", "true"],
      ["CMD-SHELL", "exit 0"],
      "NONE",
      [],
    ]);
  switch (int(g, 0, 5)) {
    case 0: {
      // A bare list would read as the positional form: a list command goes in a one-item list.
      const command = test();
      return Array.isArray(command) ? [command] : command;
    }
    case 1:
      return pick(g, [null, "NONE", "none", { disable: true }, { test: null }]);
    case 2: {
      const list: unknown[] = [test()];
      const n = int(g, 0, 4);
      if (n >= 1) list.push(healthDurationValue(g));
      if (n >= 2) list.push(healthDurationValue(g));
      if (n >= 3) list.push(int(g, 0, 5));
      if (n >= 4) list.push(healthDurationValue(g));
      return list;
    }
    default: {
      const out: Record<string, unknown> = {};
      if (chance(g, 0.8)) out.test = test();
      if (chance(g, 0.5)) out.interval = healthDurationValue(g);
      if (chance(g, 0.5)) out.timeout = healthDurationValue(g);
      if (chance(g, 0.5)) out.retries = int(g, 0, 5);
      if (chance(g, 0.5)) out.start_period = healthDurationValue(g);
      if (chance(g, 0.1)) out.disable = chance(g, 0.5);
      return out;
    }
  }
}

function byteSize(g: G): unknown {
  return pick(g, ["512m", 1073741824, "1.5g", "100k", "1GiB", "64 M", "2048", 0, "1Ki"]);
}

/** A memory limit the engine takes: 0 (none) or at least 6 MB, and a reservation below it. */
function memoryLimit(g: G): unknown {
  return pick(g, ["512m", 1073741824, "1.5g", "1GiB", 0]);
}

function memoryReservation(g: G): unknown {
  return pick(g, ["64 M", "7m", 0]);
}

function hostConfigValue(g: G): Record<string, unknown> {
  const candidates: Record<string, () => unknown> = {
    restart_policy: () => restartValue(g),
    mem_limit: () => memoryLimit(g),
    // A swap limit needs a memory limit at most as large: only "unlimited" goes alone.
    memswap_limit: () => -1,
    mem_reservation: () => memoryReservation(g),
    shm_size: () => byteSize(g),
    cpu_shares: () => pick(g, [0, 2, 512, 1024, 2048]),
    cpu_period: () => 100000,
    cpu_quota: () => pick(g, [-1, 0, 1000, 50000]),
    cpuset_cpus: () => "0-1",
    blkio_weight: () => pick(g, [0, 10, 500, 1000]),
    pids_limit: () => int(g, -1, 100),
    privileged: () => chance(g, 0.5),
    cap_add: () => oneOrList(g, some(g, ["NET_ADMIN", "SYS_TIME", "CHOWN"], 3)),
    cap_drop: () => pick(g, ["ALL", ["MKNOD"], []]),
    dns: () => oneOrList(g, some(g, ["8.8.8.8", "1.1.1.1"], 2)),
    dns_search: () => "example.com",
    dns_opt: () => ["ndots:1"],
    extra_hosts: () =>
      pick(g, [{ "db.local": "10.0.0.2" }, ["cache.local:10.0.0.3"], {}, ["a:1.2.3.4", "b:::1"]]),
    devices: () => "/dev/fuse",
    log_config: () =>
      pick(g, [
        { type: "json-file", config: { "max-size": "10m" } },
        { Type: "syslog", Config: { tag: "x" } },
        { type: "local" },
        {},
      ]),
    tmpfs: () => pick(g, ["/run", "/run:size=1m", ["/tmp:rw,noexec", "/cache"], { "/run": "size=64k" }, {}]),
    ulimits: () => pick(g, [[{ name: "nofile", soft: 1024, hard: 2048 }], []]),
    security_opt: () => ["no-new-privileges"],
    // Not net.*: a config may be on the host's network, where runc refuses them.
    sysctls: () => pick(g, [{ "kernel.shmmax": 68719476736, "kernel.domainname": "1" }, {}]),
    read_only: () => chance(g, 0.5),
    init: () => chance(g, 0.5),
    ipc_mode: () => "shareable",
    pid_mode: () => "host",
    oom_kill_disable: () => false,
    oom_score_adj: () => int(g, -1000, 1000),
    group_add: () => pick(g, [["audio", 44], []]),
    userns_mode: () => "host",
    publish_all_ports: () => chance(g, 0.5),
    cgroup_parent: () => "/docker",
    runtime: () => "runc",
    isolation: () => "default",
  };
  const out: Record<string, unknown> = {};
  for (const key of subset(g, Object.keys(candidates), 0.12)) out[key] = (candidates[key] as () => unknown)();
  return out;
}

function createOptionsValue(g: G): Record<string, unknown> {
  const candidates: Record<string, () => unknown> = {
    tty: () => chance(g, 0.5),
    stdin_open: () => chance(g, 0.5),
    mac_address: () => "02:42:ac:11:00:02",
    network_disabled: () => false,
    runtime: () => "runc",
    mem_limit: () => memoryLimit(g),
    memswap_limit: () => -1,
    cpu_shares: () => pick(g, [0, 2, 1024]),
    cpuset: () => "0",
    environment: () => keyValues(g, ENV_NAMES, true),
    labels: () => keyValues(g, LABEL_NAMES, false),
    command: () => commandValue(g),
    entrypoint: () => commandValue(g),
    working_dir: () => pick(g, ["/app", "/", ""]),
    hostname: () => pick(g, ["h1", ""]),
    domainname: () => "example.org",
    user: () => userValue(g),
    stop_signal: () => pick(g, ["SIGINT", 9]),
    stop_timeout: () => int(g, 0, 60),
    healthcheck: () => healthcheckValue(g),
  };
  const out: Record<string, unknown> = {};
  for (const key of subset(g, Object.keys(candidates), 0.15)) out[key] = (candidates[key] as () => unknown)();
  return out;
}

// ---- map generation -------------------------------------------------------------------------------

interface ConfigInfo {
  name: string;
  abstract: boolean;
  /** Instances after `extends` (the union, as merging does). */
  instances: string[];
  /** Whether later configs may extend it (no attaches, no container network_mode). */
  extendable: boolean;
  /** Networks it joins (itself or through what it extends). */
  networks: Set<string>;
  /** Its network_mode: none, `bridge`, one that allows only `bridge` endpoints, or a container. */
  mode: undefined | "bridge" | "restrictive" | "container";
  /** Configs it links to (itself or through what it extends). */
  linked: Set<string>;
  /** Shares the host's or another container's network (itself or through what it extends). */
  sharesNetwork: boolean;
  /** Sets `exposes` or `hostname`, which a shared network refuses (itself or through what it extends). */
  exposesOrHostname: boolean;
}

interface MapContext {
  configs: ConfigInfo[];
  /** Attached volume keys usable in `uses`, with the config that attaches them. */
  attached: { key: string; alias: string; owner: string }[];
  /** Attach aliases not taken yet. */
  freeAliases: string[];
  /** Aliases with a `volumes:` definition that has a default path. */
  aliasesWithPath: Set<string>;
  bindAliases: string[];
  networks: string[];
  clients: string[];
  /** Counters for container paths and host ports no two mounts or containers share. */
  counters: { path: number; hostPort: number; alias: number };
  /** False when the map names an empty list of clients (a config then can name none). */
  clientsAllowed: boolean;
  parentNames: boolean;
}

/** The networks an endpoint list names (as written by `networksValue`). */
function networkNames(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    return value.map((item: unknown) =>
      typeof item === "string"
        ? item
        : Array.isArray(item)
          ? (item[0] as string)
          : (item as { network: string }).network,
    );
  }
  return Object.keys(value as object);
}

/** A container path no other mount of the map uses. */
function mountPath(g: G, ctx: MapContext): string {
  const n = ++ctx.counters.path;
  return pick(g, [`/m${n}`, `./m${n}`, `/m ${n}/d`, `/var/m${n}/`, `/m${n}/../x${n}`]);
}

/** A host port no other container publishes. */
function hostPort(g: G, ctx: MapContext): number | string {
  const n = 10000 + ++ctx.counters.hostPort;
  return pick(g, [n, String(n), `${n}/udp`]);
}

/** A reference to an earlier concrete config: `config` or `config.instance`. */
function reference(g: G, targets: ConfigInfo[], single = false): string {
  const target = pick(g, targets);
  if (target.instances.length === 0) return target.name;
  if (!single && chance(g, 0.5)) return target.name;
  return `${target.name}.${pick(g, target.instances)}`;
}

/**
 * Links to configs not in `linked` (which it extends): a link alias must be unique in a container,
 * so each config is linked once, and an explicit alias only names a single instance.
 */
function linksValue(g: G, ctx: MapContext, targets: ConfigInfo[], linked: Set<string>): unknown {
  const free = targets.filter((t) => !linked.has(t.name));
  const next = (): { ref: string; single: boolean } => {
    const target = free.splice(int(g, 0, free.length - 1), 1)[0] as ConfigInfo;
    linked.add(target.name);
    const ref = reference(g, [target]);
    return { ref, single: ref.includes(".") || target.instances.length === 0 };
  };
  const alias = (single: boolean): unknown =>
    single && chance(g, 0.6) ? `alias-${++ctx.counters.alias}` : pick(g, ["", null]);
  const item = (): unknown => {
    const { ref, single } = next();
    switch (int(g, 0, 4)) {
      case 0:
        return ref;
      case 1:
        return chance(g, 0.5) ? [ref] : [ref, alias(single)];
      case 2:
        return chance(g, 0.5) ? { container: ref } : { container: ref, alias: alias(single) };
      default:
        return { [ref]: alias(single) };
    }
  };
  if (chance(g, 0.25)) return next().ref;
  return itemOrList(g, item, 0.15, free.length);
}

function dependsOnValue(g: G, targets: ConfigInfo[]): unknown {
  const condition = (): string => pick(g, ["started", "healthy", "completed"]);
  switch (int(g, 0, 2)) {
    case 0:
      return reference(g, targets);
    case 1:
      return Array.from({ length: int(g, 1, 3) }, () =>
        chance(g, 0.5)
          ? reference(g, targets)
          : chance(g, 0.5)
            ? { container: reference(g, targets) }
            : { container: reference(g, targets), condition: condition() },
      );
    default: {
      const out: Record<string, unknown> = {};
      for (let i = int(g, 1, 3); i > 0; i--) {
        out[reference(g, targets)] = pick(g, [null, condition(), { condition: condition() }, {}]);
      }
      return out;
    }
  }
}

/**
 * `hostPort` gives a host port no other container publishes; without it, no host ports (the
 * container has several instances, or could be extended, and would publish one twice).
 */
function exposesValue(g: G, hostPort: (() => number | string) | undefined): unknown {
  const iface = (): unknown => pick(g, ["eth0", null, "", "lo"]);
  const portValue = (): number | string | null => (hostPort === undefined ? null : hostPort());
  const item = (): unknown => {
    const port = exposedPort(g);
    switch (int(g, 0, 7)) {
      case 0:
        return port;
      case 1:
        return [port];
      case 2:
        return [port, pick(g, [portValue(), null])];
      case 3:
        return [port, portValue(), iface()];
      case 4:
        return [port, portValue(), iface(), pick(g, [true, false, null])];
      case 5:
        if (hostPort === undefined) return [port, null];
        return [port, chance(g, 0.5) ? [hostPort()] : [hostPort(), iface()]];
      default: {
        const out: Record<string, unknown> = { exposed_port: port };
        if (chance(g, 0.6)) out.host_port = pick(g, [portValue(), null]);
        if (chance(g, 0.4)) out.interface = iface();
        if (chance(g, 0.4)) out.ipv6 = chance(g, 0.5);
        return out;
      }
    }
  };
  switch (int(g, 0, 3)) {
    case 0:
      return exposedPort(g);
    case 1: {
      const out: Record<string, unknown> = {};
      for (let i = int(g, 1, 3); i > 0; i--) {
        const port = String(exposedPort(g));
        switch (int(g, 0, 2)) {
          case 0:
            out[port] = pick(g, [portValue(), null]);
            break;
          case 1:
            out[port] = [pick(g, [portValue(), null])];
            break;
          default:
            out[port] = [pick(g, [portValue(), null]), iface(), pick(g, [true, false, null])];
        }
      }
      return out;
    }
    case 2: {
      const single = item();
      return single !== null && typeof single === "object" && !Array.isArray(single) ? single : [single];
    }
    default:
      return Array.from({ length: int(g, 1, 3) }, item);
  }
}

function bindsValue(g: G, ctx: MapContext): unknown {
  const flag = (): unknown => pick(g, READONLY_FLAGS);
  const host = (): string => {
    const path = pick(g, HOST_PATHS);
    return chance(g, 0.15)
      ? pathTagged(pick(g, ["~/data", "$REGION/x", "${HOME}/y", "/abs/${UNSET_X}"]))
      : path;
  };
  // Each alias at most once per config (its container path is the alias's).
  const aliases = [...ctx.bindAliases];
  const aliasItem = (): unknown => {
    const alias = aliases.splice(int(g, 0, aliases.length - 1), 1)[0] as string;
    switch (int(g, 0, 4)) {
      case 0:
        return alias;
      case 1:
        return chance(g, 0.5) ? [alias] : [alias, flag()];
      case 2:
        return { [alias]: flag() };
      default:
        return chance(g, 0.5) ? { path: alias } : { path: alias, readonly: flag(), host_path: null };
    }
  };
  const directItem = (): unknown => {
    const path = mountPath(g, ctx);
    switch (int(g, 0, 4)) {
      case 0:
        return [path, host()];
      case 1:
        return [path, host(), flag()];
      case 2:
        return { [path]: host() };
      case 3:
        return { [path]: chance(g, 0.5) ? [host()] : [host(), flag()] };
      default:
        return chance(g, 0.5) ? { path, host_path: host() } : { path, host_path: host(), readonly: flag() };
    }
  };
  const item = (): unknown => (aliases.length > 0 && chance(g, 0.5) ? aliasItem() : directItem());
  if (ctx.bindAliases.length > 0 && chance(g, 0.15)) return pick(g, ctx.bindAliases);
  return itemOrList(g, item, 0.15);
}

function attachesValue(g: G, ctx: MapContext, aliases: string[]): unknown {
  const items = aliases.map((alias): unknown => {
    const hasDefault = ctx.aliasesWithPath.has(alias);
    const path = mountPath(g, ctx);
    if (hasDefault) {
      switch (int(g, 0, 4)) {
        case 0:
          return alias;
        case 1:
          return [alias];
        case 2:
          return { [alias]: null };
        case 3:
          return { name: alias };
        default:
          return { name: alias, path: null };
      }
    }
    switch (int(g, 0, 2)) {
      case 0:
        return [alias, path];
      case 1:
        return { [alias]: path };
      default:
        return { name: alias, path };
    }
  });
  if (items.length === 1 && !Array.isArray(items[0]) && chance(g, 0.4)) return items[0];
  return items;
}

function usesValue(g: G, ctx: MapContext, targets: ConfigInfo[]): unknown {
  // Each volume at most once per config (it would be mounted twice).
  const volumes = ctx.attached.map((a) => a.key);
  const name = (): string =>
    volumes.length > 0 && (targets.length === 0 || chance(g, 0.5))
      ? (volumes.splice(int(g, 0, volumes.length - 1), 1)[0] as string)
      : reference(g, targets);
  const flag = (): unknown => pick(g, READONLY_FLAGS);
  const path = (): string => mountPath(g, ctx);
  const item = (): unknown => {
    const n = name();
    switch (int(g, 0, 6)) {
      case 0:
        return n;
      case 1:
        return [n];
      case 2:
        return [n, flag()];
      case 3:
        return [n, path(), flag()];
      case 4:
        return { [n]: pick(g, [flag(), path()]) };
      case 5:
        return { name: n };
      default:
        return { name: n, path: pick(g, [path(), null]), readonly: flag() };
    }
  };
  if (chance(g, 0.2)) return name();
  return itemOrList(g, item, 0.15, targets.length > 0 ? 3 : volumes.length);
}

function endpointOptions(g: G, ctx: MapContext, targets: ConfigInfo[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (chance(g, 0.4)) out.aliases = pick(g, ["svc", ["svc", "svc2"], []]);
  if (chance(g, 0.3) && targets.length > 0) out.links = linksValue(g, ctx, targets, new Set());
  if (chance(g, 0.2)) out.ipv4_address = pick(g, ["172.20.0.5", null]);
  if (chance(g, 0.2)) out.ipv6_address = pick(g, ["fd00::5", null]);
  if (chance(g, 0.2)) out.link_local_ips = pick(g, ["169.254.1.1", ["169.254.1.2"]]);
  return out;
}

function networksValue(g: G, ctx: MapContext, targets: ConfigInfo[], allowed: readonly string[]): unknown {
  const names = some(g, allowed, 3);
  const item = (network: string): unknown => {
    switch (int(g, 0, 4)) {
      case 0:
        return network;
      case 1: {
        const opts = endpointOptions(g, ctx, targets);
        const list: unknown[] = [network];
        const n = int(g, 0, 5);
        const positional = [
          opts.aliases ?? null,
          opts.links ?? null,
          opts.ipv4_address ?? null,
          opts.ipv6_address ?? null,
          opts.link_local_ips ?? null,
        ];
        for (let i = 0; i < n; i++) list.push(positional[i]);
        return list;
      }
      case 2:
        return [network, endpointOptions(g, ctx, targets)];
      default:
        return { network, ...endpointOptions(g, ctx, targets) };
    }
  };
  if (chance(g, 0.3)) {
    const out: Record<string, unknown> = {};
    for (const network of names) out[network] = chance(g, 0.4) ? null : endpointOptions(g, ctx, targets);
    return out;
  }
  if (names.length === 1 && chance(g, 0.3)) return names[0];
  return names.map(item);
}

function execCommandsValue(g: G): unknown {
  const cmd = (): unknown =>
    chance(g, 0.6)
      ? pick(g, ["touch /ready", "sh -c 'echo $${x}'", "run --flag"])
      : [...pick(g, [["touch", "/ready"], ["a b"], []])];
  const item = (): unknown => {
    switch (int(g, 0, 4)) {
      case 0:
        return pick(g, ["touch /ready", "echo hi"]);
      case 1:
        return [cmd()];
      case 2:
        return [cmd(), pick(g, [userValue(g), null])];
      case 3:
        return [cmd(), pick(g, [userValue(g), null]), pick(g, ["restart", "initial", null])];
      default: {
        const out: Record<string, unknown> = { cmd: cmd() };
        if (chance(g, 0.4)) out.user = pick(g, [userValue(g), null]);
        if (chance(g, 0.4)) out.policy = pick(g, ["restart", "initial"]);
        if (chance(g, 0.4)) out.detach = chance(g, 0.5);
        if (chance(g, 0.4)) out.timeout = durationValue(g);
        return out;
      }
    }
  };
  return itemOrList(g, item, 0.2);
}

function configValue(g: G, ctx: MapContext, info: ConfigInfo, extendsList: string[]): unknown {
  const targets = ctx.configs.filter((c) => !c.abstract);
  const spec: Record<string, unknown> = {};
  if (info.abstract) spec.abstract = true;
  else if (chance(g, 0.05)) spec.abstract = false;
  if (extendsList.length > 0) spec.extends = oneOrList(g, extendsList);
  const p = 0.3;

  if (chance(g, 0.5)) {
    spec.image = pick(g, [
      "nginx",
      "nginx:1.25",
      "app:${TAG}",
      "registry.local:5000/team/app",
      "/library/redis",
      `redis@sha256:${"0123abcd".repeat(8)}`,
      "ghcr.io/o/i:v1",
      "localhost:5000/x",
    ]);
  }
  // Instances after `extends`: the union of the bases' (in order) and the config's own.
  const own = chance(g, 0.35) ? some(g, INSTANCE_NAMES, 3) : [];
  if (own.length > 0) spec.instances = oneOrList(g, own);
  else if (chance(g, 0.05)) spec.instances = [];
  const instances: string[] = [];
  for (const base of extendsList) {
    const baseInfo = ctx.configs.find((c) => c.name === base) as ConfigInfo;
    for (const instance of baseInfo.instances) if (!instances.includes(instance)) instances.push(instance);
    for (const network of baseInfo.networks) info.networks.add(network);
    for (const linked of baseInfo.linked) info.linked.add(linked);
    info.mode = baseInfo.mode ?? info.mode;
    info.sharesNetwork ||= baseInfo.sharesNetwork;
    info.exposesOrHostname ||= baseInfo.exposesOrHostname;
  }
  for (const instance of own) if (!instances.includes(instance)) instances.push(instance);
  info.instances = instances;
  if (ctx.clientsAllowed && chance(g, 0.15)) {
    spec.clients = ctx.clients.length === 0 ? "default" : oneOrList(g, some(g, ctx.clients, 2));
  }
  if (chance(g, 0.15)) spec.shares = oneOrList(g, some(g, ["/tmp", "/var/cache", "/run/x"], 2));
  if (chance(g, p)) spec.binds = bindsValue(g, ctx);

  // Attaches only on concrete configs, which then may not be extended (the child would attach too).
  let attaching: string[] = [];
  if (!info.abstract && ctx.freeAliases.length > 0 && chance(g, 0.35)) {
    attaching = some(g, ctx.freeAliases, 2);
    spec.attaches = attachesValue(g, ctx, attaching);
    info.extendable = false;
  }
  if ((ctx.attached.length > 0 || targets.length > 0) && chance(g, p)) spec.uses = usesValue(g, ctx, targets);
  // The engine refuses links, exposes and a hostname beside a shared network namespace.
  const onHost = info.networks.has("host");
  // Legacy links reach only containers on the default bridge.
  const linkable = targets.filter(onDefaultBridge);
  if (!info.sharesNetwork && !onHost && linkable.some((t) => !info.linked.has(t.name)) && chance(g, p)) {
    spec.links = linksValue(g, ctx, linkable, info.linked);
  }
  if (!info.sharesNetwork && chance(g, p)) {
    info.exposesOrHostname = true;
    // Host ports only where they are published once: no instances, and never extended.
    const publishes = !info.abstract && info.instances.length === 0 && chance(g, 0.6);
    spec.exposes = exposesValue(g, publishes ? () => hostPort(g, ctx) : undefined);
    if (publishes) info.extendable = false;
  }
  if (chance(g, 0.2)) spec.user = userValue(g);
  if (chance(g, 0.15)) spec.permissions = pick(g, ["u=rwX,g=rX,o=", "0755"]);
  if (chance(g, 0.15)) spec.stop_timeout = durationValue(g);
  if (chance(g, 0.15)) spec.stop_signal = pick(g, ["SIGTERM", 9, "SIGQUIT"]);
  if (chance(g, 0.15)) spec.start_delay = durationValue(g);
  // network_mode host, none, disabled or another container's allows no endpoints but `bridge`
  // (a container's: none at all); the mode and the networks may come from what it extends.
  const onlyBridgeNow = [...info.networks].every((n) => n === "bridge");
  if (info.mode === "restrictive" && !onlyBridgeNow) {
    // One base's mode with another's networks: the config sets a mode that allows them.
    spec.network_mode = "bridge";
    info.mode = "bridge";
    info.sharesNetwork = false;
  } else if (chance(g, 0.2)) {
    const onlyBridge = [...info.networks].every((n) => n === "bridge");
    const mayShare = info.linked.size === 0 && !info.exposesOrHostname;
    const containerMode =
      mayShare && !info.abstract && info.networks.size === 0 && targets.length > 0 && chance(g, 0.4);
    if (containerMode) {
      spec.network_mode = reference(g, targets, true);
      info.mode = "container";
      info.sharesNetwork = true;
      info.extendable = false;
    } else if (onlyBridge && chance(g, 0.7)) {
      const modes = mayShare
        ? ["host", "none", "disabled", "container:external", "/external2"]
        : ["none", "disabled"];
      spec.network_mode = pick(g, modes);
      info.sharesNetwork = !["none", "disabled"].includes(spec.network_mode as string);
      info.mode = "restrictive";
    } else {
      spec.network_mode = "bridge";
      info.mode = "bridge";
    }
  }
  if (info.mode !== "container" && chance(g, 0.25)) {
    const allowed = (info.mode === "restrictive" ? ["bridge"] : [...ctx.networks, ...PRESET_NETWORKS]).filter(
      // The host network refuses links.
      (n) => n !== "host" || info.linked.size === 0,
    );
    spec.networks = networksValue(g, ctx, targets, allowed);
    for (const network of networkNames(spec.networks)) info.networks.add(network);
  }
  if (chance(g, 0.25)) spec.exec_commands = execCommandsValue(g);
  if (chance(g, 0.25)) spec.healthcheck = healthcheckValue(g);
  if (chance(g, 0.15)) spec.persistent = chance(g, 0.5);
  if (chance(g, 0.35)) spec.environment = keyValues(g, ENV_NAMES, true);
  if (chance(g, 0.25)) spec.command = commandValue(g);
  if (chance(g, 0.15)) spec.entrypoint = commandValue(g);
  if (chance(g, 0.25)) spec.labels = keyValues(g, LABEL_NAMES, false);
  if (chance(g, 0.1)) spec.working_dir = `/${text(g)}`;
  if (!info.sharesNetwork && chance(g, 0.1)) {
    spec.hostname = pick(g, ["custom-host", ""]);
    info.exposesOrHostname = true;
  }
  if (chance(g, 0.1)) spec.domainname = pick(g, ["example.org", ""]);
  if (chance(g, 0.2)) spec.restart = restartValue(g);
  if (targets.length > 0 && chance(g, p)) spec.depends_on = dependsOnValue(g, targets);
  if (chance(g, 0.25)) {
    const options = createOptionsValue(g);
    // A hostname in create_options is the config's hostname, which a shared network refuses.
    if (info.sharesNetwork) delete options.hostname;
    else if (options.hostname !== undefined) info.exposesOrHostname = true;
    spec.create_options = options;
  }
  if (chance(g, 0.25)) spec.host_config = hostConfigValue(g);

  for (const alias of attaching) {
    ctx.freeAliases.splice(ctx.freeAliases.indexOf(alias), 1);
    ctx.attached.push({ key: ctx.parentNames ? `${info.name}.${alias}` : alias, alias, owner: info.name });
  }
  if (Object.keys(spec).length === 0 && chance(g, 0.5)) return null;
  return spec;
}

function volumeDefinition(g: G, defaultPath: string | undefined): unknown {
  if (defaultPath !== undefined && chance(g, 0.4)) return defaultPath;
  const out: Record<string, unknown> = {};
  if (defaultPath !== undefined) out.default_path = defaultPath;
  if (chance(g, 0.3)) out.driver = pick(g, ["local", "nfs"]);
  // Numbers and booleans are written as strings; a local volume takes type and device together.
  if (chance(g, 0.3)) out.driver_options = pick(g, [{ type: "tmpfs", device: 100, o: true }, {}]);
  if (chance(g, 0.3)) out.create_options = { labels: keyValues(g, LABEL_NAMES, false) };
  if (chance(g, 0.2)) out.user = userValue(g);
  if (chance(g, 0.2)) out.permissions = "0750";
  return out;
}

function networkDefinition(g: G): unknown {
  if (chance(g, 0.3)) return null;
  const out: Record<string, unknown> = {};
  if (chance(g, 0.3)) out.driver = pick(g, ["bridge", "overlay"]);
  if (chance(g, 0.3))
    out.driver_options = pick(g, [{ "com.docker.network.bridge.name": "br0", mtu: 1400 }, {}]);
  if (chance(g, 0.3)) out.internal = chance(g, 0.5);
  if (chance(g, 0.4)) {
    const create: Record<string, unknown> = {};
    if (chance(g, 0.4)) create.enable_ipv6 = chance(g, 0.5);
    // Containers join an overlay only when it is attachable: `attachable: false` is refused there.
    if (chance(g, 0.4)) create.attachable = out.driver === "overlay" || chance(g, 0.5);
    if (chance(g, 0.4)) create.labels = keyValues(g, LABEL_NAMES, false);
    if (chance(g, 0.4)) {
      create.ipam = pick(g, [
        { driver: "default", config: [{ subnet: "172.28.0.0/16", gateway: "172.28.0.1" }] },
        { config: [] },
        {},
        { driver: "default", options: { "${literal}": "x" } },
      ]);
    }
    out.create_options = create;
  }
  return out;
}

/** Random valid maps, as the parsed value and its YAML text. */
export function validMapArbitrary(): fc.Arbitrary<GeneratedMap> {
  return choices(1000).map((source) => {
    const g = source.start();
    const map: Record<string, unknown> = {};
    if (chance(g, 0.2)) map.name = "named";
    if (chance(g, 0.3)) map.repository = pick(g, ["registry.example.com", "team"]);
    if (chance(g, 0.3)) map.default_tag = pick(g, ["stable", "${TAG}-rc"]);
    const hostRootAs = int(g, 0, 2); // 0: none, 1: host_root, 2: host.root
    if (hostRootAs === 1) map.host_root = pick(g, ["/srv/root", "relative/root"]);
    if (chance(g, 0.2)) map.default_domain = pick(g, ["example.org", ""]);
    if (chance(g, 0.2)) map.set_hostname = chance(g, 0.5);
    const parentNames = chance(g, 0.2);
    if (parentNames || chance(g, 0.1)) map.use_attached_parent_name = parentNames;
    if (chance(g, 0.15)) map.helper_image = "busybox:1";
    if (chance(g, 0.2)) map.sensitive = oneOrList(g, some(g, ["MODE", "A_B", "X1"], 2));
    let clients: string[] = [];
    if (chance(g, 0.25)) {
      clients = chance(g, 0.1) ? [] : some(g, ["c1", "c2", "c3"], 3);
      map.clients = oneOrList(g, clients);
    }

    const networks = chance(g, 0.5) ? some(g, NETWORK_NAMES, 3) : [];
    if (networks.length > 0 || chance(g, 0.1)) {
      map.networks = Object.fromEntries(networks.map((n) => [n, networkDefinition(g)]));
    }

    // Volume aliases: attached ones (with or without a default path) and bind aliases.
    const volumes: Record<string, unknown> = {};
    const aliasesWithPath = new Set<string>();
    for (const alias of ATTACH_ALIASES) {
      if (!chance(g, 0.5)) continue;
      const path = chance(g, 0.7) ? pick(g, [`/var/lib/${alias}`, `/a/\${REGION}/${alias}`]) : undefined;
      if (path !== undefined) aliasesWithPath.add(alias);
      volumes[alias] = volumeDefinition(g, path);
    }
    const bindAliases = chance(g, 0.5) ? some(g, BIND_ALIASES, 3) : [];
    const host: Record<string, unknown> = {};
    if (hostRootAs === 2) host.root = "/srv/hostroot";
    for (const alias of bindAliases) {
      volumes[alias] = volumeDefinition(g, `/etc/${alias}`);
      host[alias] = chance(g, 0.5)
        ? pick(g, ["conf", "/etc/host-conf", pathTagged("~/certs")])
        : {
            // A per-instance mapping names every instance; `default` serves configs without instances.
            default: pick(g, ["default-dir", "/abs/default"]),
            ...Object.fromEntries(
              INSTANCE_NAMES.map((i) => [i, chance(g, 0.3) ? pathTagged(`~/per-${i}`) : `per-${i}`]),
            ),
          };
    }
    if (Object.keys(volumes).length > 0 || chance(g, 0.1)) map.volumes = volumes;
    if (Object.keys(host).length > 0 || chance(g, 0.1)) map.host = host;

    const ctx: MapContext = {
      configs: [],
      attached: [],
      freeAliases: Object.keys(volumes).filter((a) => a.startsWith("v")),
      aliasesWithPath,
      bindAliases,
      networks,
      clients,
      counters: { path: 0, hostPort: 0, alias: 0 },
      clientsAllowed: map.clients === undefined || clients.length > 0,
      parentNames,
    };
    // Attach aliases with no definition can still be attached with an explicit path.
    for (const alias of ATTACH_ALIASES)
      if (!(alias in volumes) && chance(g, 0.3)) ctx.freeAliases.push(alias);

    const names = some(g, CONFIG_NAMES, 6);
    const containers: Record<string, unknown> = {};
    for (const name of names) {
      const info: ConfigInfo = {
        name,
        abstract: chance(g, 0.25),
        instances: [],
        extendable: true,
        networks: new Set(),
        mode: undefined,
        linked: new Set(),
        sharesNetwork: false,
        exposesOrHostname: false,
      };
      // Bases that link to the same config would give the config a link alias twice.
      // Nor may one base share a network (or join the host's) while another links, exposes or
      // sets a hostname: the engine refuses the merged config.
      const linked = new Set<string>();
      const bases: string[] = [];
      let shares = false;
      let refused = false;
      for (const base of subset(
        g,
        ctx.configs.filter((c) => c.extendable),
        0.25,
      )) {
        if ([...base.linked].some((l) => linked.has(l))) continue;
        const baseShares = base.sharesNetwork || base.networks.has("host");
        const baseRefused = base.linked.size > 0 || base.exposesOrHostname;
        if ((baseShares && refused) || (baseRefused && shares)) continue;
        shares ||= baseShares;
        refused ||= baseRefused;
        base.linked.forEach((l) => linked.add(l));
        bases.push(base.name);
      }
      const value = configValue(g, ctx, info, bases);
      ctx.configs.push(info);
      if (chance(g, 0.5)) containers[name] = value;
      else map[name] = value;
    }
    if (Object.keys(containers).length > 0 || chance(g, 0.1)) map.containers = containers;
    placeReferencedEverywhere({ ...map, ...containers });

    const concrete = ctx.configs.filter((c) => !c.abstract);
    if (concrete.length > 0 && chance(g, 0.3)) {
      const groups: Record<string, unknown> = {};
      for (const group of some(g, ["grp-a", "grp-b"], 2)) {
        groups[group] = chance(g, 0.1)
          ? []
          : oneOrList(
              g,
              Array.from({ length: int(g, 1, 3) }, () => reference(g, concrete)),
            );
      }
      map.groups = groups;
    }
    if (chance(g, 0.1)) map["x-notes"] = { owner: "ops", literal: "$${not-a-var}" };
    giveSubnetsForFixedAddresses(map);
    return withText({ value: map, text: toYaml(map) });
  });
}

/**
 * The engine takes a fixed endpoint address only on a network with a subnet: when any endpoint
 * has one (an over-approximation), every network of the map gets the subnets of those addresses.
 */
function giveSubnetsForFixedAddresses(map: Record<string, unknown>): void {
  const networks = map.networks as Record<string, unknown> | undefined;
  if (networks === undefined || !/172\.20\.0\.5|fd00::5/.test(JSON.stringify(map))) return;
  const subnets = [{ subnet: "172.20.0.0/16" }, { subnet: "fd00::/64" }];
  for (const [name, definition] of Object.entries(networks)) {
    const out = (definition ?? {}) as Record<string, unknown>;
    const create = (out.create_options ?? {}) as Record<string, unknown>;
    const ipam = (create.ipam ?? {}) as Record<string, unknown>;
    networks[name] = { ...out, create_options: { ...create, ipam: { ...ipam, config: subnets } } };
  }
}

/**
 * Links, `uses` of a container and `network_mode: <container>` must find their target on every
 * engine the referring container runs on (src/map/engine-rules.ts): a config that any of those
 * may name (by any string in them, an over-approximation), and every config it extends, runs on
 * all the map's clients.
 */
function placeReferencedEverywhere(configs: Record<string, unknown>): void {
  const specs = new Map<string, Record<string, unknown>>();
  for (const [name, value] of Object.entries(configs))
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      specs.set(name, value as Record<string, unknown>);
  const strings = (value: unknown): string[] =>
    typeof value === "string"
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(strings)
        : value !== null && typeof value === "object"
          ? [...Object.keys(value), ...(Object.values(value) as unknown[])].flatMap(strings)
          : [];
  const named = new Set<string>();
  for (const spec of specs.values())
    for (const text of strings([spec.links, spec.uses, spec.network_mode, spec.networks]))
      named.add(text.split(".")[0] as string);
  const pending = [...named];
  while (pending.length > 0) {
    const spec = specs.get(pending.pop() as string);
    if (spec === undefined) continue;
    delete spec.clients;
    for (const base of strings(spec.extends)) {
      if (named.has(base)) continue;
      named.add(base);
      pending.push(base);
    }
  }
}

// ---- cyclic maps ----------------------------------------------------------------------------------

export type ReferenceKind = "links" | "uses" | "network_mode" | "depends_on" | "network-link" | "uses-volume";

/** A reference from one config to another (or to one instance of it). */
export interface CyclicReference {
  from: string;
  to: string;
  instance?: string;
  kind: ReferenceKind;
}

export interface CyclicMap extends GeneratedMap {
  /** Instance key → the instance keys it needs (its dependencies). */
  needs: Record<string, string[]>;
  references: CyclicReference[];
}

/** Whether a config's containers are on the default bridge (where legacy links reach them). */
function onDefaultBridge(info: ConfigInfo): boolean {
  if (info.mode !== undefined && info.mode !== "bridge") return false;
  return info.mode === "bridge" || info.networks.size === 0 || info.networks.has("bridge");
}

/**
 * Small maps of configs `c0..cN` whose references form a random graph with at least one cycle:
 * a back edge on a path of references, a self-reference, or a 2-cycle. Configs may have
 * instances. The map is otherwise valid: `network_mode` names exactly one instance and its
 * config joins no networks; a config links to (or uses the volume of) another config once.
 */
export function cyclicMapArbitrary(): fc.Arbitrary<CyclicMap> {
  return choices(100).map((source) => {
    const g = source.start();
    const n = int(g, 1, 5);
    const names = Array.from({ length: n }, (_, i) => `c${i}`);
    const instances: Record<string, string[]> = {};
    for (const name of names) instances[name] = chance(g, 0.3) ? some(g, ["1", "2"], 2) : [];
    const references: CyclicReference[] = [];
    const kinds: ReferenceKind[] = [
      "links",
      "uses",
      "depends_on",
      "network-link",
      "network_mode",
      "uses-volume",
    ];
    const taken = new Set<string>();

    const add = (from: string, to: string): void => {
      let kind = pick(g, kinds);
      // What would make the map invalid besides the cycle becomes a plain depends_on.
      if (kind === "network_mode" && (taken.has(`${from}|network_mode`) || taken.has(`${from}|networks`)))
        kind = "depends_on";
      if ((kind === "network-link" || kind === "links") && taken.has(`${from}|network_mode`))
        kind = "depends_on";
      // The engine refuses links beside a shared network namespace.
      if (kind === "network_mode" && taken.has(`${from}|links`)) kind = "depends_on";
      if (
        (kind === "links" || kind === "network-link" || kind === "uses-volume") &&
        taken.has(`${from}|${kind}|${to}`)
      )
        kind = "depends_on";
      if (kind === "uses-volume" && from === to) kind = "depends_on";
      const reference: CyclicReference = { from, to, kind };
      const toInstances = instances[to] as string[];
      if (kind !== "uses-volume" && toInstances.length > 0 && (kind === "network_mode" || chance(g, 0.4))) {
        reference.instance = pick(g, toInstances);
      }
      taken.add(`${from}|${kind}|${to}`);
      if (kind === "network_mode") taken.add(`${from}|network_mode`);
      if (kind === "network-link") taken.add(`${from}|networks`);
      if (kind === "links") taken.add(`${from}|links`);
      references.push(reference);
    };

    // Forward references (a DAG over the order) ...
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) if (chance(g, 0.3)) add(names[j] as string, names[i] as string);
    // ... plus at least one cycle.
    const shape = int(g, 0, 2);
    if (shape === 0 || n === 1) {
      const c = pick(g, names);
      add(c, c);
    } else if (shape === 1) {
      const a = int(g, 0, n - 2);
      const b = int(g, a + 1, n - 1);
      add(names[a] as string, names[b] as string);
      add(names[b] as string, names[a] as string);
    } else {
      // A path c[k0] <- c[k1] <- ... (each needs the previous), closed by a back edge.
      const path = some(g, names, n).sort();
      for (let i = 1; i < path.length; i++) add(path[i] as string, path[i - 1] as string);
      add(path[0] as string, path[path.length - 1] as string);
    }
    if (chance(g, 0.3)) add(pick(g, names), pick(g, names));

    const map: Record<string, unknown> = { networks: { net: null } };
    const volumes: Record<string, unknown> = {};
    const configs: Record<string, Record<string, unknown>> = {};
    for (const name of names) {
      const config: Record<string, unknown> = { image: "busybox" };
      if ((instances[name] as string[]).length > 0) config.instances = instances[name];
      configs[name] = config;
    }
    const push = (config: Record<string, unknown>, key: string, value: unknown): void => {
      config[key] = [...((config[key] as unknown[] | undefined) ?? []), value];
    };
    for (const ref of references) {
      const config = configs[ref.from] as Record<string, unknown>;
      const target = ref.instance === undefined ? ref.to : `${ref.to}.${ref.instance}`;
      switch (ref.kind) {
        case "links":
          push(config, "links", target);
          break;
        case "uses":
          push(config, "uses", target);
          break;
        case "depends_on":
          push(config, "depends_on", target);
          break;
        case "network-link": {
          // One endpoint per network, with all its links.
          const endpoint = ((config.networks as { network: string; links: string[] }[] | undefined) ?? [])[0];
          if (endpoint === undefined) config.networks = [{ network: "net", links: [target] }];
          else endpoint.links.push(target);
          break;
        }
        case "network_mode":
          config.network_mode = target;
          break;
        case "uses-volume": {
          // `to` attaches a volume of its own; `from` uses it (needing every instance of `to`).
          const alias = `vol-${ref.to}`;
          volumes[alias] = `/data/${ref.to}`;
          const owner = configs[ref.to] as Record<string, unknown>;
          if (!((owner.attaches as string[] | undefined) ?? []).includes(alias))
            push(owner, "attaches", alias);
          push(config, "uses", alias);
          break;
        }
      }
    }
    if (Object.keys(volumes).length > 0) map.volumes = volumes;
    Object.assign(map, configs);

    // The instance-level "needs" relation the references make.
    const keysOf = (config: string): string[] =>
      (instances[config] as string[]).length === 0
        ? [config]
        : (instances[config] as string[]).map((i) => `${config}.${i}`);
    const needs: Record<string, string[]> = {};
    for (const name of names) for (const key of keysOf(name)) needs[key] = [];
    for (const ref of references) {
      const targets = ref.instance === undefined ? keysOf(ref.to) : [`${ref.to}.${ref.instance}`];
      for (const from of keysOf(ref.from)) (needs[from] as string[]).push(...targets);
    }
    return withText({ value: map, text: toYaml(map), needs, references });
  });
}
