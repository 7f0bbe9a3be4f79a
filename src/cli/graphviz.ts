import { spawnSync } from "node:child_process";
import { UsageError } from "../common/berth-error.js";

export type PictureFormat = "svg" | "png";

/**
 * A dot graph drawn by Graphviz's `dot` (found on the PATH of `env`). Without it, a UsageError
 * that says what to install, or how to draw elsewhere.
 */
export function renderWithDot(dotText: string, format: PictureFormat, env: NodeJS.ProcessEnv): Buffer {
  const result = spawnSync("dot", [`-T${format}`], {
    input: dotText,
    env,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new UsageError(
      missing
        ? `--format ${format} needs Graphviz's \`dot\` on the PATH, which was not found: install Graphviz ` +
            `(apt-get install graphviz, dnf install graphviz, brew install graphviz; see https://graphviz.org/download/), ` +
            `or print the graph with --format dot and draw it elsewhere`
        : `could not run Graphviz's \`dot\`: ${result.error.message}`,
    );
  }
  if (result.status !== 0)
    throw new UsageError(
      `Graphviz's \`dot\` failed (exit ${result.status}): ${result.stderr.toString().trim()}`,
    );
  return result.stdout;
}
