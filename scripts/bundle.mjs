// Bundles the CLI into one file (dist/berth-cli.mjs): `berth` starts in about half the time that
// loading the compiled modules one by one takes (resolving and reading hundreds of files, most of
// them dockerode's). The library entry (dist/index.js) stays unbundled.
import { cpSync } from "node:fs";
import { build } from "esbuild";

// tsc does not copy plain .js sources: the precompiled map validator joins the library's files.
cpSync("src/map/generated", "dist/map/generated", {
  recursive: true,
  filter: (path) => !path.endsWith(".d.ts"),
});

/**
 * Modules berth never uses unless the engine is reached over ssh:// (ssh2) or an image is built
 * with BuildKit (gRPC sessions) — half the bundle's size. Each is replaced by a stand-in that
 * loads the real module from node_modules on first call, so starting berth does not parse them.
 */
const loadedOnFirstCall = [
  { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, path: "./ssh", real: "docker-modem/lib/ssh.js" },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, path: "./session", real: "dockerode/lib/session.js" },
];

/** @type {import("esbuild").Plugin} */
const loadOnFirstCall = {
  name: "load-on-first-call",
  setup(b) {
    b.onResolve({ filter: /^\.\/(ssh|session)$/ }, (args) => {
      const entry = loadedOnFirstCall.find((e) => e.path === args.path && e.importer.test(args.importer));
      return entry ? { path: entry.real, namespace: "first-call" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "first-call" }, (args) => ({
      loader: "js",
      // `require` is the bundle's own (see the banner): it resolves from dist/, beside node_modules.
      // dockerode's dependencies are resolved from dockerode, wherever npm placed it.
      contents: `
        let real;
        module.exports = function (...args) {
          real ??= require(require.resolve(${JSON.stringify(args.path)}, { paths: [require.resolve("dockerode")] }));
          return real.apply(this, args);
        };`,
    }));
  },
};

await build({
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/berth-cli.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  plugins: [loadOnFirstCall],
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
  // BERTH_NO_MINIFY=1 keeps names readable in a CPU profile.
  minify: process.env.BERTH_NO_MINIFY !== "1",
  keepNames: true,
  logLevel: "warning",
});
