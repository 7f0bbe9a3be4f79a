// Bundles the CLI into one file (dist/berth-cli.mjs): `berth` starts in about half the time that
// loading the compiled modules one by one takes (resolving and reading hundreds of files, most of
// them dockerode's). The library entry (dist/index.js) stays unbundled.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/berth-cli.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Optional native add-ons of ssh2: loaded (or not) at run time, as without the bundle.
  external: ["cpu-features", "*.node"],
  // CommonJS dependencies use require() and __dirname; an ESM bundle has to provide them.
  banner: {
    js: [
      "import { createRequire as __berthRequire } from 'node:module';",
      "import { fileURLToPath as __berthPath } from 'node:url';",
      "import { dirname as __berthDirname } from 'node:path';",
      "const require = __berthRequire(import.meta.url);",
      "const __filename = __berthPath(import.meta.url);",
      "const __dirname = __berthDirname(__filename);",
    ].join(" "),
  },
  legalComments: "none",
  minify: true,
  keepNames: true,
  logLevel: "warning",
});
