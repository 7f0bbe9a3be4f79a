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
 * Modules berth never uses unless the engine is reached over ssh:// (ssh2), an image is built
 * (BuildKit's gRPC session and protobuf progress, the build context's tar and .dockerignore) — over
 * a third of the bundle's size. Each is replaced by a stand-in that loads the real module from
 * node_modules on first use (a call, or a property read), so starting berth does not parse them.
 */
const loadedOnFirstUse = [
  { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, path: "./ssh", real: "docker-modem/lib/ssh.js" },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, path: "./session", real: "dockerode/lib/session.js" },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, path: "./buildkit", real: "dockerode/lib/buildkit.js" },
  { importer: /dockerode[\\/]lib[\\/]util\.js$/, path: "tar-fs", real: "tar-fs" },
  { importer: /dockerode[\\/]lib[\\/]util\.js$/, path: "@balena/dockerignore", real: "@balena/dockerignore" },
];

/** @type {import("esbuild").Plugin} */
const loadOnFirstUse = {
  name: "load-on-first-use",
  setup(b) {
    b.onResolve({ filter: /^(\.\/(ssh|session|buildkit)|tar-fs|@balena\/dockerignore)$/ }, (args) => {
      const entry = loadedOnFirstUse.find((e) => e.path === args.path && e.importer.test(args.importer));
      return entry ? { path: entry.real, namespace: "first-use" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "first-use" }, (args) => ({
      loader: "js",
      // `require` is the bundle's own (see the banner): it resolves from dist/, beside node_modules.
      // dockerode's dependencies are resolved from dockerode, wherever npm placed it. The stand-in
      // is a function (some of these modules are one) whose property reads reach the real exports.
      contents: `
        // Node's own require (not the bundler's), from where this bundle is.
        const nodeRequire = require("node:module").createRequire(__filename);
        let real;
        const load = () =>
          (real ??= nodeRequire(nodeRequire.resolve(${JSON.stringify(args.path)}, { paths: [nodeRequire.resolve("dockerode")] })));
        module.exports = new Proxy(function () {}, {
          apply: (_target, self, args) => load().apply(self, args),
          get: (_target, key) => load()[key],
          has: (_target, key) => key in load(),
        });`,
    }));
  },
};

const minify = process.env.BERTH_NO_MINIFY !== "1";

/**
 * yaml and dockerode, each in a file of its own that berth loads on first use (see
 * src/common/lazy-modules.ts): a run that needs neither (a map parsed before, the engine's lists
 * requested by the executable) does not load them.
 */
const lazyModules = { yaml: "./berth-yaml.cjs", dockerode: "./berth-dockerode.cjs" };
for (const [name, file] of Object.entries(lazyModules)) {
  await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: ".", loader: "js" },
    outfile: `dist/${file.slice(2)}`,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    plugins: [loadOnFirstUse],
    external: ["cpu-features", "*.node"],
    legalComments: "none",
    minify,
    keepNames: true,
    logLevel: "warning",
  });
}

await build({
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/berth-cli.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  plugins: [loadOnFirstUse],
  define: { BERTH_BUNDLED_MODULES: JSON.stringify(lazyModules) },
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
  minify,
  keepNames: true,
  logLevel: "warning",
});

// What the executable loads first, to ask the engine for its lists while the CLI loads: only
// node's own modules, a few kilobytes.
await build({
  entryPoints: ["dist/cli/early-start.js"],
  outfile: "dist/berth-early.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  minify,
  logLevel: "warning",
});
