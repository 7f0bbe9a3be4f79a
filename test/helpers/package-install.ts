import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

interface PackageJson {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
}

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/**
 * The environment of an npm run by a test: without the npm_* variables of the `npm test` around
 * it (its package, its prefix), except where npm's cache and configuration are.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const kept = new Set(["npm_config_cache", "npm_config_userconfig", "npm_config_globalconfig"]);
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || kept.has(key.toLowerCase())),
  );
}

export function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync("npm", args, { cwd, env: npmEnv(), encoding: "utf8", timeout: 180_000 });
}

/**
 * Where Node finds package `name` from the package at lockfile location `from` (its own
 * node_modules, then each enclosing one).
 */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let at = from;
  for (;;) {
    const location = `${at === "" ? "" : `${at}/`}node_modules/${name}`;
    if (packages[location]) return location;
    if (at === "") return undefined;
    const parent = at.lastIndexOf("/node_modules/");
    at = parent < 0 ? "" : at.slice(0, parent);
  }
}

/**
 * The lockfile entries of `roots` and of everything they depend on, at the places the project's own
 * lockfile puts them: resolved tarballs with their integrity, which npm takes from its cache with no
 * registry (npm ci fetched them there; it never fetched the registry's package documents that an
 * install without a lockfile needs).
 */
function closure(
  packages: Record<string, LockEntry>,
  roots: string[],
  dev: boolean,
  into: Record<string, LockEntry>,
): void {
  const visit = (location: string): void => {
    if (into[location]) return;
    const { dev: _dev, devOptional: _devOptional, ...entry } = packages[location]!;
    into[location] = dev ? { ...entry, dev: true } : entry;
    const optional = entry.optionalDependencies ?? {};
    for (const name of Object.keys({ ...entry.dependencies, ...optional })) {
      const found = locate(packages, location, name);
      if (found !== undefined) visit(found);
      else if (!(name in optional)) throw new Error(`${name} (needed by ${location}) is not in the lockfile`);
    }
  };
  for (const name of roots) visit(`node_modules/${name}`);
}

/**
 * A consumer project in `dir` that depends on the packed tarball `tarball` (a file in `dir`) and on
 * @types/node, with a lockfile, so that `npm ci --offline` installs it from the npm cache alone.
 */
export function writeConsumerProject(repoRoot: string, dir: string, tarball: string): PackageJson {
  const pkg = readJson<PackageJson>(join(repoRoot, "package.json"));
  const { packages } = readJson<{ packages: Record<string, LockEntry> }>(join(repoRoot, "package-lock.json"));
  const typesNode = packages["node_modules/@types/node"]!.version!;
  const consumer = {
    name: "berth-consumer",
    version: "1.0.0",
    private: true,
    type: "module",
    dependencies: { [pkg.name]: `file:${tarball}` },
    devDependencies: { "@types/node": typesNode },
  };
  const locked: Record<string, LockEntry> = {};
  closure(packages, Object.keys(pkg.dependencies), false, locked);
  closure(packages, ["@types/node"], true, locked);
  const integrity = `sha512-${createHash("sha512")
    .update(readFileSync(join(dir, tarball)))
    .digest("base64")}`;
  const lockfile = {
    name: consumer.name,
    version: consumer.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: consumer.name,
        version: consumer.version,
        dependencies: consumer.dependencies,
        devDependencies: consumer.devDependencies,
      },
      [`node_modules/${pkg.name}`]: {
        version: pkg.version,
        resolved: `file:${tarball}`,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
      ...locked,
    },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(consumer, null, 2)}\n`);
  writeFileSync(join(dir, "package-lock.json"), `${JSON.stringify(lockfile, null, 2)}\n`);
  return pkg;
}
