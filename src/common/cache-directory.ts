import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The directory berth keeps its caches in (parsed maps, compiled code): BERTH_CACHE_DIR, else
 * `berth` in XDG_CACHE_HOME or ~/.cache. Undefined when BERTH_CACHE_DIR is set empty (no cache).
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.BERTH_CACHE_DIR;
  if (chosen !== undefined) return chosen === "" ? undefined : chosen;
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : undefined;
  return join(base ?? join(homedir(), ".cache"), "berth");
}
