import * as nodeModule from "node:module";
import { join } from "node:path";
import { cacheDirectory } from "../common/cache-directory.js";
import { GLOBAL_OPTIONS, hasOption } from "./argv.js";
import { startPrefetch, type PrefetchedLists } from "./prefetch.js";

/** What the CLI bundle (dist/berth-cli.cjs) exports to the executable. */
export interface CliBundle {
  main(argv: string[], prefetch?: PrefetchedLists): Promise<number>;
  exitWhenWritten(code: number): Promise<never>;
}

/**
 * What bin/berth.js does, from its small bundle of node's own modules (dist/berth-entry.cjs): ask
 * the engine for the lists of a first look (prefetch.ts), then load the CLI (`loadCli`), run the
 * command and exit once the output is written.
 */
export async function runExecutable(
  argv: string[],
  env: NodeJS.ProcessEnv,
  loadCli: () => CliBundle,
): Promise<never> {
  const prefetch = await startPrefetch(argv, env);
  keepCompiledCode(argv, env);
  const cli = loadCli();
  const code = await cli.main(argv, prefetch);
  return cli.exitWhenWritten(code);
}

type WithCompileCache = typeof nodeModule & { enableCompileCache?: (directory?: string) => unknown };

/**
 * Node 22's compile cache (module.enableCompileCache), where there is one: V8's compiled code of
 * the CLI bundle is kept in the cache folder between runs. Not with `--no-cache` or
 * BERTH_CACHE_DIR="", which keep berth out of its cache folder. On Node 20 this does nothing.
 */
function keepCompiledCode(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const enable = (nodeModule as WithCompileCache).enableCompileCache;
  const root = cacheDirectory(env);
  if (enable === undefined || root === undefined || hasOption(argv, GLOBAL_OPTIONS.cache.flags)) return;
  enable(join(root, "compile"));
}
