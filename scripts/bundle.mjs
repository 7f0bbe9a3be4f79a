// Bundles the CLI into one file (dist/berth-cli.cjs): `berth` starts in about half the time that
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
 * yaml, dockerode and log-update, each in a file of its own that berth loads on first use (see
 * src/common/lazy-modules.ts): a run that needs none (a map parsed before, the engine's lists
 * prefetched by the executable, no live display) does not load them.
 */
const lazyModules = {
  yaml: "./berth-yaml.cjs",
  dockerode: "./berth-dockerode.cjs",
  "log-update": "./berth-log-update.cjs",
};
const validatorFile = "./berth-validator.cjs";
for (const [name, file] of [
  ...Object.entries(lazyModules),
  ["./dist/map/generated/map-schema-validator.js", validatorFile],
]) {
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

// CommonJS rather than ESM: Node reads and compiles a CommonJS file with less work (measured: about a
// quarter less CPU time to load the bundle); berth's own `import.meta.url` becomes the file's URL.
/**
 * The map schema's validator (compiled ahead of time, about 40% of the CLI's code) is only needed
 * for a map that berth has not seen pass it (see YamlTree.passed): the CLI gets a stand-in that
 * loads it from its own file on the first call (or property read, as of `validate.errors`).
 */
const validatorOnFirstUse = {
  name: "validator-on-first-use",
  setup(b) {
    b.onResolve({ filter: /generated[\\/]map-schema-validator\.js$/ }, (args) =>
      args.importer.endsWith("schema-validation.js")
        ? { path: args.path, namespace: "validator" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "validator" }, () => ({
      loader: "js",
      contents: `
        // Node's own require (not the bundler's), from where this bundle is.
        const nodeRequire = require("node:module").createRequire(__filename);
        let real;
        const load = () => (real ??= nodeRequire(${JSON.stringify(validatorFile)}).default);
        export default new Proxy(function () {}, {
          apply: (_target, self, args) => load().apply(self, args),
          get: (_target, key) => load()[key],
        });`,
    }));
  },
};

await build({
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/berth-cli.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  plugins: [loadOnFirstUse, validatorOnFirstUse],
  define: { BERTH_BUNDLED_MODULES: JSON.stringify(lazyModules), "import.meta.url": "__berthUrl" },
  // Optional native add-ons of ssh2: loaded (or not) at run time, as without the bundle.
  external: ["cpu-features", "*.node"],
  banner: { js: "const __berthUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: "none",
  // BERTH_NO_MINIFY=1 keeps names readable in a CPU profile.
  minify,
  keepNames: true,
  logLevel: "warning",
});

// What the executable loads first (dist/berth-entry.cjs): only node's own modules, a few kilobytes.
// It asks the engine for the lists of a first look (src/cli/prefetch.ts), then bin/berth.js loads
// the CLI bundle.
await build({
  entryPoints: ["dist/cli/executable.js"],
  outfile: "dist/berth-entry.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  legalComments: "none",
  minify,
  logLevel: "warning",
});
