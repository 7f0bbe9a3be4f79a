/**
 * A network's `ipam` as the map writes it — Compose's and docker-py's spellings (`ip_range`,
 * `aux_addresses`) or the engine's own (`IPRange`) — in the engine's keys. The engine matches its
 * JSON keys without regard to case but not to underscores, and drops a key it does not know
 * without a word: `ip_range` passed as written left the network without its range.
 */
const TOP: Record<string, string> = { driver: "Driver", options: "Options", config: "Config" };
const ENTRY: Record<string, string> = {
  subnet: "Subnet",
  iprange: "IPRange",
  gateway: "Gateway",
  auxaddresses: "AuxiliaryAddresses",
  auxiliaryaddresses: "AuxiliaryAddresses",
};

const folded = (key: string) => key.toLowerCase().replace(/_/g, "");

/** The engine's name of an `ipam` key (`entry`: of a `config` entry); undefined when it has none. */
export function ipamKey(key: string, entry: boolean): string | undefined {
  return (entry ? ENTRY : TOP)[folded(key)];
}

/** The keys the map may write, for messages. */
export const IPAM_KEYS = "driver, options, config (entries: subnet, ip_range, gateway, aux_addresses)";

/** The `ipam` mapping in the engine's keys (keys it does not know are refused when loading). */
export function ipamForEngine(ipam: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ipam)) {
    const name = ipamKey(key, false) ?? key;
    out[name] =
      name === "Config" && Array.isArray(value)
        ? value.map((entry) =>
            Object.fromEntries(
              Object.entries((entry ?? {}) as object).map(([k, v]) => [ipamKey(k, true) ?? k, v]),
            ),
          )
        : value;
  }
  return out;
}

/** The first key of an `ipam` mapping the engine would drop, as the map writes it. */
export function unknownIpamKey(ipam: unknown): string | undefined {
  if (typeof ipam !== "object" || ipam === null) return undefined;
  for (const [key, value] of Object.entries(ipam)) {
    if (ipamKey(key, false) === undefined) return key;
    if (ipamKey(key, false) !== "Config" || !Array.isArray(value)) continue;
    for (const entry of value)
      for (const inner of Object.keys((entry ?? {}) as object))
        if (ipamKey(inner, true) === undefined) return `config: ${inner}`;
  }
  return undefined;
}
