import { cacheDirectory } from "../common/cache-directory.js";
import type { EarlyLists } from "../engine/early-lists.js";
import { loadBundle } from "./code-cache.js";
import { commandOf, startEarly } from "./early-start.js";

/** What the CLI bundle (dist/berth-cli.cjs) exports to the executable. */
interface CliBundle {
  main(argv: string[], earlyLists?: EarlyLists): Promise<number>;
  exitWhenWritten(code: number): Promise<never>;
}

/**
 * What bin/berth.js does, from this small bundle of node's own modules (dist/berth-early.cjs):
 * ask the engine for its lists early (see early-start.ts), then load the CLI bundle with its
 * compiled code kept between runs (see code-cache.ts), run the command and exit once the output
 * is written. `--no-cache` and BERTH_CACHE_DIR="" keep berth out of its cache folder.
 */
export async function runExecutable(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cliBundleFile: string,
): Promise<never> {
  const earlyLists = await startEarly(argv, env);
  const cacheRoot = usesCache(argv) ? cacheDirectory(env) : undefined;
  const bundle = loadBundle(cliBundleFile, cacheRoot, commandOf(argv) ?? "");
  const cli = bundle.exports as CliBundle;
  const code = await cli.main(argv, earlyLists);
  // Only a run that did its work (0; 2 is a plan with changes) has compiled what the next run of
  // this command will need; a failed or interrupted one compiled part of it.
  if (code === 0 || code === 2) bundle.saveCode();
  return cli.exitWhenWritten(code);
}

/** False when `--no-cache` is anywhere among the options (before `--`). */
export function usesCache(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return !(end < 0 ? argv : argv.slice(0, end)).includes("--no-cache");
}
