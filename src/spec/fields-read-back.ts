import { LABEL } from "../model/labels.js";
import { valueAt, type InspectView } from "./fields.js";

/**
 * Read-backs of container fields whose inspect form differs from the spec's (fields-container.ts):
 * each gives the spec's own form of what `docker inspect` shows.
 */

const berthLabelPrefix = `${LABEL.map.split(".")[0] ?? "berth"}.`;
export function isBerthLabel(key: string): boolean {
  return key.startsWith(berthLabelPrefix);
}

export function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ""] : [text.slice(0, index), text.slice(index + separator.length)];
}

/** `/db:/app/db` (inspect) or `db:db` (request) → `db:db`. */
export function linkEntry(link: string): string {
  if (!link.startsWith("/")) return link;
  const [target = "", inside = ""] = link.split(":");
  return `${target.slice(1)}:${inside.slice(inside.lastIndexOf("/") + 1)}`;
}

export function readExposes(details: InspectView): string[] | null {
  const exposed = valueAt(details, "Config.ExposedPorts") as Record<string, unknown> | null | undefined;
  if (exposed === undefined || exposed === null) return null;
  const bindings = (valueAt(details, "HostConfig.PortBindings") ?? {}) as Record<
    string,
    { HostIp: string; HostPort: string }[] | null
  >;
  return Object.keys(exposed)
    .flatMap((port) => {
      const bound = bindings[port];
      if (bound === undefined || bound === null || bound.length === 0) return [port];
      return bound.map((b) => `${port}=${b.HostIp}:${b.HostPort}`);
    })
    .sort();
}

export function readEndpoints(details: InspectView): Record<string, unknown> | null {
  const networks = valueAt(details, "NetworkSettings.Networks") as
    Record<string, Record<string, unknown>> | null | undefined;
  if (networks === undefined || networks === null) return null;
  return Object.fromEntries(
    Object.entries(networks).map(([name, endpoint]) => {
      const ipam = (endpoint.IPAMConfig ?? {}) as Record<string, unknown>;
      return [
        name,
        {
          aliases: [...((endpoint.Aliases as string[] | null) ?? [])].sort(),
          links: [...((endpoint.Links as string[] | null) ?? [])].map(linkEntry).sort(),
          ipv4_address: ipam.IPv4Address ?? null,
          ipv6_address: ipam.IPv6Address ?? null,
          link_local_ips: [...((ipam.LinkLocalIPs as string[] | undefined) ?? [])].sort(),
        },
      ];
    }),
  );
}

export function readHealthcheck(value: unknown): unknown {
  const h = value as {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  const orNull = (n: number | undefined) => (n === undefined || n === 0 ? null : n);
  return {
    test: h.Test ?? [],
    interval_ns: orNull(h.Interval),
    timeout_ns: orNull(h.Timeout),
    retries: orNull(h.Retries),
    start_period_ns: orNull(h.StartPeriod),
  };
}

export function readRestartPolicy(value: unknown): string {
  const policy = value as { Name?: string; MaximumRetryCount?: number };
  const name = policy.Name === undefined || policy.Name === "" ? "no" : policy.Name;
  return name === "on-failure" && (policy.MaximumRetryCount ?? 0) > 0
    ? `on-failure:${policy.MaximumRetryCount}`
    : name;
}
