import { show, type ContainerCheck } from "./container-checks.js";
import type { ContainerFacts } from "./engine-facts.js";
import type { ExpectedContainer, ExpectedMap } from "./expected-map.js";

/** Named volumes, binds and anonymous volumes are mounted where the map says, read-only or not. */
export function checkMounts({ expected, facts }: ContainerCheck): string[] {
  const mounts = facts.inspect.Mounts;
  const problems: string[] = [];
  const volumeMounts = [...expected.attaches, ...expected.usesVolumes];
  for (const want of volumeMounts) {
    const seen = mounts.find((m) => m.Destination === want.path);
    if (seen?.Type !== "volume" || seen.Name !== want.name) {
      problems.push(`${want.path} mounts ${describeMount(seen)}, map says volume ${want.name}`);
    } else if (seen.RW === want.readonly) {
      problems.push(
        `volume ${want.name} at ${want.path} is ${seen.RW ? "rw" : "ro"}, map says ${want.readonly ? "ro" : "rw"}`,
      );
    }
  }
  for (const want of expected.binds) {
    const seen = mounts.find((m) => m.Destination === want.containerPath);
    if (seen?.Type !== "bind" || seen.Source !== want.hostPath) {
      problems.push(`${want.containerPath} mounts ${describeMount(seen)}, map says bind ${want.hostPath}`);
    } else if (seen.RW === want.readonly) {
      problems.push(
        `bind ${want.hostPath} at ${want.containerPath} is ${seen.RW ? "rw" : "ro"}, map says ${want.readonly ? "ro" : "rw"}`,
      );
    }
  }
  for (const path of expected.shares) {
    const seen = mounts.find((m) => m.Destination === path);
    if (seen?.Type !== "volume")
      problems.push(`${path} mounts ${describeMount(seen)}, map says an anonymous volume`);
  }
  return problems;
}

function describeMount(mount: ContainerFacts["inspect"]["Mounts"][number] | undefined): string {
  if (mount === undefined) return "nothing";
  return mount.Type === "volume" ? `volume ${mount.Name ?? "?"}` : `${mount.Type} ${mount.Source}`;
}

const IP_LIKE = /^[0-9.]+$|:/;

/** Published ports: each host port of the map is bound (on its address), and no other one is. */
export function checkPorts({ expected, facts }: ContainerCheck): string[] {
  const { inspect } = facts;
  const bindings =
    (inspect.State.Running ? inspect.NetworkSettings.Ports : inspect.HostConfig.PortBindings) ?? {};
  const problems: string[] = [];
  for (const want of expected.ports) {
    const seen = (bindings[want.port] ?? []).filter((b) => b.HostPort !== "");
    if (want.hostPort === undefined) {
      if (seen.length > 0)
        problems.push(`port ${want.port} is published on ${seen[0]?.HostPort}, map only exposes it`);
      else if (inspect.Config.ExposedPorts?.[want.port] === undefined)
        problems.push(`port ${want.port} is not exposed`);
      continue;
    }
    const address = want.interface !== undefined && IP_LIKE.test(want.interface) ? want.interface : undefined;
    const match = seen.some(
      (b) => b.HostPort === String(want.hostPort) && (address === undefined || b.HostIp === address),
    );
    if (!match) {
      const where = `${address ?? ""}${address ? ":" : ""}${want.hostPort}`;
      const now = seen.map((b) => `${b.HostIp}:${b.HostPort}`).join(", ") || "nothing";
      problems.push(`port ${want.port} is published on ${now}, map says ${where}`);
    }
  }
  const wanted = new Set(expected.ports.map((p) => p.port));
  for (const [port, list] of Object.entries(bindings)) {
    const published = (list ?? []).filter((b) => b.HostPort !== "");
    if (!wanted.has(port) && published.length > 0) {
      problems.push(`port ${port} is published on ${published[0]?.HostPort}, map does not publish it`);
    }
  }
  return problems;
}

/** The networks the container joins (and their aliases), or the network stack it shares. */
export function checkNetworks(check: ContainerCheck): string[] {
  const { expected, facts } = check;
  const mode = expected.networkMode;
  const seenMode = facts.inspect.HostConfig.NetworkMode;
  switch (mode.kind) {
    case "host":
    case "none":
    case "disabled": {
      const want = mode.kind === "disabled" ? "none" : mode.kind;
      return seenMode === want ? [] : [`network_mode is ${show(seenMode)}, map says ${show(mode.kind)}`];
    }
    case "container":
      return checkSharedStack(check, mode.container);
    case "external-container":
      return seenMode === `container:${mode.name}`
        ? []
        : [`network_mode is ${show(seenMode)}, map says container:${mode.name}`];
    case "default":
    case "bridge":
    case "network":
      return checkEndpoints(check);
  }
}

function checkEndpoints({ expected, facts }: ContainerCheck): string[] {
  const seen = facts.inspect.NetworkSettings.Networks;
  const wanted =
    expected.networkMode.kind === "network"
      ? expected.endpoints
      : [{ network: "bridge", name: "bridge", aliases: [] }];
  const problems: string[] = [];
  for (const endpoint of wanted) {
    const attached = seen[endpoint.name];
    if (attached === undefined) {
      problems.push(`is not on network ${endpoint.name}`);
      continue;
    }
    const missing = endpoint.aliases.filter((alias) => !(attached.Aliases ?? []).includes(alias));
    if (missing.length > 0)
      problems.push(`on network ${endpoint.name} lacks alias(es) ${missing.join(", ")}`);
  }
  const wantedNames = new Set(wanted.map((e) => e.name));
  for (const name of Object.keys(seen)) {
    if (!wantedNames.has(name)) problems.push(`is on network ${name}, map does not list it`);
  }
  return problems;
}

/** network_mode: <map container>: joined to the target's current container and its current namespace. */
function checkSharedStack({ map, world, facts }: ContainerCheck, targetKey: string): string[] {
  const target = containerByKey(map, targetKey);
  const targetFacts = target === undefined ? undefined : world.containers.get(target.name);
  if (target === undefined || targetFacts === undefined)
    return [`network_mode target ${targetKey} does not exist`];
  const seenMode = facts.inspect.HostConfig.NetworkMode;
  const joined = [`container:${targetFacts.inspect.Id}`, `container:${target.name}`];
  if (!joined.includes(seenMode)) {
    return [
      `network_mode is ${show(seenMode)}, not the current ${target.name} (${targetFacts.inspect.Id.slice(0, 12)})`,
    ];
  }
  if (facts.netns === undefined || targetFacts.netns === undefined) return [];
  if (facts.netns === targetFacts.netns) return [];
  return [
    `network namespace is ${facts.netns}, its network_mode target ${target.name} has ${targetFacts.netns}`,
  ];
}

/** A map container by its key (`config` or `config.instance`). */
export function containerByKey(map: ExpectedMap, key: string): ExpectedContainer | undefined {
  return map.containers.find((c) => c.key === key) ?? map.containers.find((c) => c.config === key);
}

/** Links: the engine knows them, and /etc/hosts maps each alias to the target's current address. */
export function checkLinks({ map, world, expected, facts }: ContainerCheck): string[] {
  const problems: string[] = [];
  const seenLinks = facts.inspect.HostConfig.Links ?? [];
  for (const link of expected.links) {
    const target = containerByKey(map, link.container);
    const targetFacts = target === undefined ? undefined : world.containers.get(target.name);
    if (target === undefined || targetFacts === undefined) {
      problems.push(`link ${link.alias}: target ${link.container} does not exist`);
      continue;
    }
    if (!seenLinks.includes(`/${target.name}:/${expected.name}/${link.alias}`)) {
      problems.push(`link ${link.alias} → ${target.name} is not set (links: ${show(seenLinks)})`);
      continue;
    }
    if (facts.hosts === undefined || !targetFacts.inspect.State.Running) continue;
    const address = targetFacts.inspect.NetworkSettings.Networks.bridge?.IPAddress ?? "";
    const resolved = hostsAddress(facts.hosts, link.alias);
    if (resolved !== address) {
      problems.push(
        `link ${link.alias} resolves to ${resolved ?? "nothing"} in /etc/hosts, ${target.name} is at ${address || "no address"}`,
      );
    }
  }
  return problems;
}

/** The address /etc/hosts gives a name: the first line that names it, as the resolver reads it. */
export function hostsAddress(hosts: string, name: string): string | undefined {
  for (const line of hosts.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (address !== undefined && names.includes(name)) return address;
  }
  return undefined;
}
