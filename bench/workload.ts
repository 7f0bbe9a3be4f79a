/**
 * The benchmark workload: N busybox containers in groups of five. Each group has a root that
 * attaches a named volume and sets an environment variable, and four dependents that use the
 * volume and link to the previous container of the group:
 *
 *   g<i>r  (attaches v<i>, ROOT_VALUE=…)  ←links─ g<i>d1 ←links─ g<i>d2 ←links─ g<i>d3 ←links─ g<i>d4
 *
 * The same workload is written as a berth map, as a compose file for docker-compose 1.29, and as
 * plain create bodies for the floor (bench/floor.ts).
 */
export const IMAGE = "berth-test/base:1";
export const MOUNT = "/data";
export const GROUP_SIZE = 5;
export const DEPENDENTS = ["d1", "d2", "d3", "d4"] as const;

export interface WorkloadContainer {
  /** Config / service name. */
  name: string;
  group: number;
  /** The container it links to (the previous one in its group); none for a root. */
  link: string | undefined;
  /** Volume alias it attaches (root) or uses (dependents). */
  volume: string;
  /** ROOT_VALUE, roots only. */
  rootValue: string | undefined;
}

/** Root values by group; groups not listed get "1". */
export type RootValues = Readonly<Record<number, string>>;

export function groups(n: number): number {
  if (n % GROUP_SIZE !== 0 || n <= 0) throw new Error(`N must be a positive multiple of ${GROUP_SIZE}: ${n}`);
  return n / GROUP_SIZE;
}

export function workload(n: number, rootValues: RootValues = {}): WorkloadContainer[] {
  const out: WorkloadContainer[] = [];
  for (let g = 0; g < groups(n); g++) {
    const root = `g${g}r`;
    const volume = `v${g}`;
    out.push({ name: root, group: g, link: undefined, volume, rootValue: rootValues[g] ?? "1" });
    let previous = root;
    for (const d of DEPENDENTS) {
      const name = `g${g}${d}`;
      out.push({ name, group: g, link: previous, volume, rootValue: undefined });
      previous = name;
    }
  }
  return out;
}

/** The containers a change of group g's root recreates: the root and, through links, its dependents. */
export function groupMembers(g: number): string[] {
  return [`g${g}r`, ...DEPENDENTS.map((d) => `g${g}${d}`)];
}

/** The workload as a berth (docker-map) map. */
export function berthMapYaml(mapName: string, n: number, rootValues: RootValues = {}): string {
  const lines = [`name: ${mapName}`, "volumes:"];
  for (let g = 0; g < groups(n); g++) lines.push(`  v${g}: ${MOUNT}`);
  lines.push("containers:");
  for (const c of workload(n, rootValues)) {
    lines.push(`  ${c.name}:`, `    image: ${IMAGE}`);
    if (c.link === undefined) {
      lines.push(`    attaches: ${c.volume}`, `    environment: { ROOT_VALUE: "${c.rootValue}" }`);
    } else {
      lines.push(`    uses: ${c.volume}`, `    links: ${c.link}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The same workload for docker-compose 1.29 (file format 2.4): one named volume per group,
 * `depends_on` and `links` for the same edges. Compose puts the services on a project network
 * of its own, where a link is an alias; berth keeps them on the default bridge with legacy links.
 */
export function composeYaml(n: number, rootValues: RootValues = {}): string {
  const lines = ['version: "2.4"', "services:"];
  for (const c of workload(n, rootValues)) {
    lines.push(`  ${c.name}:`, `    image: ${IMAGE}`, `    volumes: ["${c.volume}:${MOUNT}"]`);
    if (c.link === undefined) {
      lines.push(`    environment: { ROOT_VALUE: "${c.rootValue}" }`);
    } else {
      lines.push(`    depends_on: [${c.link}]`, `    links: [${c.link}]`);
    }
  }
  lines.push("volumes:");
  for (let g = 0; g < groups(n); g++) lines.push(`  v${g}: {}`);
  return `${lines.join("\n")}\n`;
}
