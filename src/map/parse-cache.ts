import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BERTH_VERSION } from "../version.js";
import { asYamlTree, type YamlTree } from "./yaml-tree.js";

/** Trees of map texts parsed before, by text. */
export interface ParseCache {
  get(text: string): YamlTree | undefined;
  set(text: string, tree: YamlTree): void;
}

/** Bump when the tree's shape or what it records changes: older entries are then never read. */
const TREE_FORMAT = 1;
/** Entries kept; the oldest go when a new one is written. */
const MAX_ENTRIES = 64;

/**
 * The directory berth keeps parsed maps in: BERTH_CACHE_DIR, else `berth` in XDG_CACHE_HOME or
 * ~/.cache. Undefined when BERTH_CACHE_DIR is set empty (no cache).
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.BERTH_CACHE_DIR;
  if (chosen !== undefined) return chosen === "" ? undefined : chosen;
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : undefined;
  return join(base ?? join(homedir(), ".cache"), "berth");
}

/**
 * A cache of parse trees in files named by a hash of the text (and of berth's version and the
 * tree format), so a map read again unchanged is not parsed again: parsing YAML is most of the
 * time of loading a map. The trees are taken before `${VAR}` interpolation, so they hold only
 * what the map file holds; files are private to the user. The cache can only make loading
 * faster: an entry that is missing, unreadable or malformed is a miss, and a failure to write
 * one is ignored.
 */
export class FileParseCache implements ParseCache {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, `parsed-v${TREE_FORMAT}`);
  }

  get(text: string): YamlTree | undefined {
    try {
      const saved = JSON.parse(readFileSync(this.entryPath(text), "utf8")) as unknown;
      return asYamlTree(saved);
    } catch {
      return undefined;
    }
  }

  set(text: string, tree: YamlTree): void {
    const path = this.entryPath(text);
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Written whole, then renamed: a reader never sees half an entry.
      writeFileSync(temporary, JSON.stringify(tree), { mode: 0o600 });
      renameSync(temporary, path);
      this.evict();
    } catch {
      rmSync(temporary, { force: true });
    }
  }

  /** Keeps the newest MAX_ENTRIES entries. */
  private evict(): void {
    const entries = readdirSync(this.dir).filter((name) => name.endsWith(".json"));
    if (entries.length <= MAX_ENTRIES) return;
    const byAge = entries
      .map((name) => ({
        name,
        mtime: statSync(join(this.dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0,
      }))
      .sort((a, b) => a.mtime - b.mtime);
    for (const { name } of byAge.slice(0, entries.length - MAX_ENTRIES))
      rmSync(join(this.dir, name), { force: true });
  }

  private entryPath(text: string): string {
    const key = createHash("sha256")
      .update(`berth ${BERTH_VERSION} tree ${TREE_FORMAT}\n`)
      .update(text)
      .digest("hex");
    return join(this.dir, `${key}.json`);
  }
}
