/** Longest DNS label. */
export const MAX_DNS_LABEL = 63;

/**
 * A name as a DNS label: lowercase, `.` and `_` (and anything else outside `[a-z0-9-]`) become `-`,
 * no leading or trailing `-`. Swarm resolves services by name on its overlays, so a service name
 * must be one. Length is checked by the caller (a name cut short could collide silently).
 */
export function dnsLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Whether a text already is a DNS label of at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length > 0 && name.length <= MAX_DNS_LABEL && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name);
}

/** `<map>-<config>` or `<map>-<config>-<instance>`, each part as a DNS label. */
export function serviceNameOf(map: string, config: string, instance?: string | null): string {
  const parts = [map, config, ...(instance === null || instance === undefined ? [] : [instance])];
  return parts.map(dnsLabel).join("-");
}

/** `<map>_<network>` for a map network on a swarm; `<map>_default` for the map's default overlay. */
export function swarmNetworkNameOf(map: string, network: string): string {
  return `${dnsLabel(map)}_${dnsLabel(network)}`;
}

export const DEFAULT_NETWORK_KEY = "default";
