import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, resolve as resolvePath } from "node:path";
import { UsageError } from "./common/berth-error.js";
import { DependencyGraph } from "./graph/dependency-graph.js";
import { checkEngineRules } from "./map/engine-rules.js";
import { checkExtendsDepth } from "./map/extends-depth.js";
import { mergeDrafts, resolveExtends, withDefaults } from "./map/inherit.js";
import { readDotEnvFiles } from "./map/dot-env.js";
import type { Environment } from "./map/interpolate.js";
import { MapError, ProblemList, type SourcePosition } from "./map/map-error.js";
import type {
  NormalizedContainer,
  NormalizedMap,
  NormalizedNetwork,
  NormalizedVolume,
  ResolvedMap,
} from "./map/model.js";
import { list, Normalizer, type ConfigDraft, type FileMap } from "./map/normalize.js";
import { Origins } from "./map/origins.js";
import type { ParseCache } from "./map/parse-cache.js";
import { resolveMap } from "./map/resolve.js";
import { MAP_LEVEL_KEYS, mapSchemaDigest, validateMapShape } from "./map/schema-validation.js";
import { parseYamlSource, type MapPath, type YamlSource } from "./map/yaml-source.js";
import { swarmManagerOf, type ClientConfigs } from "./swarm/swarm-clients.js";
import { checkSwarmRules } from "./swarm/swarm-rules.js";

export interface LoadMapOptions {
  /** Map files, merged in order; default `berth.yaml` or `berth.yml` in `cwd`. */
  files?: readonly string[];
  /** Overrides the map's `name:` key and the file name. */
  mapName?: string;
  /** Variables for `${VAR}` and `!path`; default the process environment. `.env` beside the first file adds to it. */
  env?: Environment;
  /**
   * Files of variables (`.env` format) that add to `env` instead of the `.env` beside the first
   * file, later ones winning (Compose's `--env-file`); relative to `cwd`. Each must exist.
   */
  envFiles?: readonly string[];
  cwd?: string;
  /** Texts of files instead of reading them (tests, stdin); keys are the names given in `files`. */
  texts?: Readonly<Record<string, string>>;
  /** Trees of files parsed before (the CLI keeps them on disk); default none. */
  parseCache?: ParseCache;
  /**
   * The clients file's clients, when the map is checked for them: a swarm client's configs are
   * checked for what a swarm cannot run (src/swarm/swarm-rules.ts). Default: none (plain engines).
   */
  clients?: ClientConfigs;
}

/** A map that loaded without problems: its normalized form, the resolved desired state and its graph. */
export interface LoadedMap {
  name: string;
  files: string[];
  normalized: NormalizedMap;
  resolved: ResolvedMap;
  graph: DependencyGraph;
  /** Where each entry came from, for later diagnostics. */
  origins: Origins;
}

const DEFAULT_FILES = ["berth.yaml", "berth.yml"];

/**
 * Loads, validates, normalizes and resolves a map from one or more files. Every problem found
 * is collected and raised together as one MapError (FILE:LINE:COL: message lines, sorted); a map
 * with problems is never partly loaded.
 */
export function loadMap(options: LoadMapOptions = {}): LoadedMap {
  const cwd = options.cwd ?? process.cwd();
  const files = options.files && options.files.length > 0 ? [...options.files] : [defaultFile(cwd)];
  const problems = new ProblemList();
  const origins = new Origins();
  const firstPath = resolvePath(cwd, files[0] as string);
  const env = environmentFor(firstPath, options);

  const fileMaps: FileMap[] = [];
  for (const file of files) {
    const text = readMapText(file, cwd, options.texts);
    const source = parseYamlSource(text, file, { env, ...parseCacheOf(options) }, problems);
    if (!problems.isEmpty) continue;
    // A cached file whose value passed this schema before passes again (see YamlTree.passed).
    const passed = source.passed !== undefined && source.passed === mapSchemaDigest();
    if (!passed) {
      if (!validateMapShape(source.value, { positions: source.positions, problems })) continue;
      source.rememberPassed?.(mapSchemaDigest());
    }
    fileMaps.push(normalizeFile(source, { positions: source.positions, problems, origins, env }));
  }
  problems.throwIfAny();

  const mapAt: SourcePosition = { file: files[0] as string, line: 1, col: 1 };
  const normalized = mergeFiles(fileMaps, problems, origins, mapName(options, fileMaps, firstPath));
  problems.throwIfAny();

  const { resolved, edges } = resolveMap(normalized, {
    problems,
    origins,
    baseDir: dirname(firstPath),
    mapAt,
  });
  problems.throwIfAny();

  const graph = DependencyGraph.fromMap(resolved, edges);
  for (const cycle of graph.cycleProblems()) problems.add(cycle.at, cycle.message, cycle.hint);
  problems.throwIfAny();
  // What the engine would refuse at create or start, halfway through an apply.
  const clients = options.clients ?? {};
  const swarmOf = (client: string) => swarmManagerOf(clients, client);
  checkEngineRules(normalized, resolved, { problems, origins, mapAt, edges, swarmOf });
  checkSwarmRules(normalized, resolved, clients, { problems, origins, mapAt, edges });
  problems.throwIfAny();

  return { name: normalized.name, files, normalized, resolved, graph, origins };
}

function parseCacheOf(options: LoadMapOptions): { cache?: ParseCache } {
  return options.parseCache === undefined ? {} : { cache: options.parseCache };
}

function defaultFile(cwd: string): string {
  const found = DEFAULT_FILES.find((f) => existsSync(resolvePath(cwd, f)));
  if (found === undefined) {
    throw new UsageError(`no map file in ${cwd}`, { hint: "pass -f FILE, or create berth.yaml" });
  }
  return found;
}

function readMapText(file: string, cwd: string, texts: LoadMapOptions["texts"]): string {
  const given = texts?.[file];
  if (given !== undefined) return given;
  try {
    return readFileSync(resolvePath(cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read map file ${file}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
}

/** The process environment (or the given one) over the env files (default: `.env` beside the first map). */
function environmentFor(firstPath: string, options: LoadMapOptions): Environment {
  const base = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.envFiles !== undefined) {
    return readDotEnvFiles(
      options.envFiles.map((file) => resolvePath(cwd, file)),
      base,
    );
  }
  const dotEnvPath = resolvePath(dirname(firstPath), ".env");
  if (options.texts !== undefined || !existsSync(dotEnvPath)) return base;
  return readDotEnvFiles([dotEnvPath], base);
}

function mapName(options: LoadMapOptions, fileMaps: FileMap[], firstPath: string): string {
  if (options.mapName !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.mapName)) {
      throw new UsageError(`invalid map name \`${options.mapName}\``, {
        hint: "a map name has letters, digits, `_`, `.` and `-`, starting with a letter or digit",
      });
    }
    return options.mapName;
  }
  for (const fileMap of [...fileMaps].reverse()) {
    if (typeof fileMap.mapKeys.name === "string") return fileMap.mapKeys.name;
  }
  return basename(firstPath, extname(firstPath));
}

const CONTAINER_PARENT = "containers";

/** Expands one file's short forms: map-level entries and every container config. */
function normalizeFile(source: YamlSource, ctx: ConstructorParameters<typeof Normalizer>[0]): FileMap {
  const value = (source.value ?? {}) as Record<string, unknown>;
  const normalizer = new Normalizer(ctx);
  const mapKeys: Record<string, unknown> = {};
  const configs = new Map<string, ConfigDraft>();
  const addConfig = (name: string, raw: unknown, path: MapPath) => {
    const draft = normalizer.config(name, raw, path);
    if (configs.has(name)) {
      ctx.problems.add(
        ctx.positions.keyAt(path),
        `container \`${name}\` is defined twice (at the top level and under \`containers\`)`,
      );
    }
    configs.set(name, draft);
    setsOf.set(draft, {
      abstract: isObject(raw) && "abstract" in raw,
      extends: isObject(raw) && "extends" in raw,
    });
  };
  for (const [key, member] of Object.entries(value)) {
    if (key.startsWith("x-")) continue;
    if (key === CONTAINER_PARENT) {
      for (const [name, raw] of Object.entries((member ?? {}) as Record<string, unknown>))
        addConfig(name, raw, [key, name]);
    } else if (MAP_LEVEL_KEYS.includes(key)) {
      mapKeys[key] = normalizeMapKey(key, member, [key], normalizer, ctx);
    } else addConfig(key, member, [key]);
  }
  return { file: source.file, mapKeys, configs };
}

/** Which of abstract/extends a draft set itself (a later file only overrides what it sets). */
const setsOf = new WeakMap<ConfigDraft, { abstract: boolean; extends: boolean }>();

function normalizeMapKey(
  key: string,
  member: unknown,
  path: MapPath,
  normalizer: Normalizer,
  ctx: ConstructorParameters<typeof Normalizer>[0],
): unknown {
  const entries = (member ?? {}) as Record<string, unknown>;
  switch (key) {
    case "volumes":
      return Object.fromEntries(
        Object.entries(entries).map(([alias, v]) => [alias, normalizer.volume(v, [...path, alias])]),
      );
    case "networks":
      return Object.fromEntries(
        Object.entries(entries).map(([name, v]) => [name, normalizer.network(v, [...path, name])]),
      );
    case "groups":
      return Object.fromEntries(
        Object.entries(entries).map(([name, v]) => {
          // The list's position is the group's name; each member keeps its own.
          const members = ctx.origins.entry(list(v) as string[], ctx.positions.keyAt([...path, name]));
          members.forEach((_, i) =>
            ctx.origins.setField(
              members,
              String(i),
              ctx.positions.valueAt(Array.isArray(v) ? [...path, name, i] : [...path, name]),
            ),
          );
          return [name, members];
        }),
      );
    case "host": {
      const out: Record<string, unknown> = {};
      for (const [alias, v] of Object.entries(entries)) out[alias] = v;
      return out;
    }
    case "clients":
    case "sensitive":
      return list(member);
    default:
      return member;
  }
}

/** Merges the files (later over earlier), resolves `extends`, drops abstract configs. */
function mergeFiles(
  fileMaps: FileMap[],
  problems: ProblemList,
  origins: Origins,
  name: string,
): NormalizedMap {
  const drafts = new Map<string, ConfigDraft>();
  const map: NormalizedMap = {
    name,
    containers: {},
    volumes: {},
    host: {},
    networks: {},
    groups: {},
    set_hostname: true,
    use_attached_parent_name: false,
    sensitive: [],
  };
  for (const fileMap of fileMaps) {
    for (const [configName, draft] of fileMap.configs) {
      const earlier = drafts.get(configName);
      const sets = setsOf.get(draft) ?? { abstract: true, extends: true };
      drafts.set(configName, earlier === undefined ? draft : mergeDrafts(earlier, draft, origins, sets));
    }
    const keys = fileMap.mapKeys;
    if (keys.volumes) map.volumes = { ...map.volumes, ...(keys.volumes as Record<string, NormalizedVolume>) };
    if (keys.networks)
      map.networks = { ...map.networks, ...(keys.networks as Record<string, NormalizedNetwork>) };
    if (keys.groups) map.groups = { ...map.groups, ...(keys.groups as Record<string, string[]>) };
    if (keys.host) map.host = { ...map.host, ...(keys.host as NormalizedMap["host"]) };
    if (keys.sensitive) map.sensitive = [...new Set([...map.sensitive, ...(keys.sensitive as string[])])];
    for (const scalar of [
      "repository",
      "default_tag",
      "host_root",
      "default_domain",
      "helper_image",
    ] as const) {
      if (typeof keys[scalar] === "string") map[scalar] = keys[scalar];
    }
    if (keys.clients) map.clients = keys.clients as string[];
    if (typeof keys.set_hostname === "boolean") map.set_hostname = keys.set_hostname;
    if (typeof keys.use_attached_parent_name === "boolean")
      map.use_attached_parent_name = keys.use_attached_parent_name;
  }
  if (typeof map.host.root === "string" && map.host_root === undefined) map.host_root = map.host.root;
  delete map.host.root;

  // A chain too deep to merge is reported, and nothing more is resolved.
  if (!checkExtendsDepth(drafts, problems, origins)) return map;
  const extended = resolveExtends(drafts, problems, origins);
  for (const [configName, draft] of drafts) {
    if (draft.abstract) continue;
    const fields = extended.get(configName) ?? {};
    const container: NormalizedContainer = withDefaults(fields);
    origins.copyFields(fields, container);
    origins.entry(container, draft.at);
    map.containers[configName] = container;
  }
  return map;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export { MapError };
