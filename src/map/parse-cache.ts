import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeCacheEntry } from "../common/cache-files.js";
import { BERTH_VERSION } from "../version.js";
import { asYamlTree, type YamlTree } from "./yaml-tree.js";

export { cacheDirectory } from "../common/cache-directory.js";

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
    writeCacheEntry(this.dir, this.entryName(text), JSON.stringify(tree), MAX_ENTRIES);
  }

  private entryPath(text: string): string {
    return join(this.dir, this.entryName(text));
  }

  private entryName(text: string): string {
    const key = createHash("sha256")
      .update(`berth ${BERTH_VERSION} tree ${TREE_FORMAT}\n`)
      .update(text)
      .digest("hex");
    return `${key}.json`;
  }
}
