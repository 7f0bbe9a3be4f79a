import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packBuildContext, readBuildContext } from "../../../src/desired/build-context.js";
import { parseDockerfile } from "../../../src/desired/dockerfile.js";
import { generateDockerfile } from "../../../src/desired/generated-dockerfile.js";
import { loadMap } from "../../../src/load-map.js";
import { isMapError } from "../../../src/map/map-error.js";
import type { ResolvedBuild } from "../../../src/map/model.js";
import { printMapYaml } from "../../../src/map/print-map.js";

/** Issue 16: a Dockerfile written in the map as data, generated, with a context of only the files named. */
const root = mkdtempSync(join(tmpdir(), "berth-generated-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function buildOf(mapText: string, dir = root): ResolvedBuild {
  const file = join(dir, "map.yaml");
  writeFileSync(file, mapText);
  const map = loadMap({ files: [file], env: {} });
  const container = map.resolved.containers.find((c) => c.build !== undefined);
  if (container?.build === undefined) throw new Error("no build in the map");
  return container.build;
}

const dockerfileOf = (mapText: string) => {
  const build = buildOf(mapText);
  if (build.generated === undefined) throw new Error("not generated");
  return generateDockerfile(build.generated);
};

describe("a Dockerfile written in the map", () => {
  it("writes the instructions in a fixed order, CMD and ENTRYPOINT in the JSON form", () => {
    const text = dockerfileOf(`
name: gen
app:
  image: gen/app:1
  build:
    from: berth-test/base:1
    cmd: echo "hello world"
    entrypoint: [/bin/sh, -c]
    user: nobody
    volumes: [/data]
    expose: [8080, 53/udp]
    run: [mkdir -p /app]
    copy: [{src: b.txt, dest: /app/b.txt}]
    add: ["a.txt:/app/"]
    workdir: /app
    env: {GREETING: 'say "hi" \\ $HOME', EMPTY: null}
`);
    expect(text).toBe(
      [
        "FROM berth-test/base:1",
        'ENV GREETING="say \\"hi\\" \\\\ $HOME" EMPTY=""',
        "WORKDIR /app",
        'ADD ["files/0/a.txt","/app/"]',
        'COPY ["files/1/b.txt","/app/b.txt"]',
        "RUN mkdir -p /app",
        "EXPOSE 8080 53/udp",
        'VOLUME ["/data"]',
        "USER nobody",
        'ENTRYPOINT ["/bin/sh","-c"]',
        'CMD ["echo","hello world"]',
        "",
      ].join("\n"),
    );
  });

  it("writes a RUN line the Dockerfile would read otherwise through /bin/sh -c, every character kept", () => {
    const lines = ["echo one\necho two", "echo trailing \\", '[ -d /tmp ] && echo "[x]"', "echo plain $HOME"];
    const text = generateDockerfile({
      from: "scratch",
      run: [...lines, ["/bin/echo", "exec", "form"]],
      add: [],
      copy: [],
      env: {},
      expose: [],
      volumes: [],
    });
    const runs = parseDockerfile(text).filter((i) => i.keyword === "RUN");
    // One instruction per line of the map: nothing continued into the next, nothing split.
    expect(runs).toHaveLength(5);
    expect(JSON.parse(runs[0]?.args ?? "")).toEqual(["/bin/sh", "-c", "echo one\necho two"]);
    expect(JSON.parse(runs[1]?.args ?? "")).toEqual(["/bin/sh", "-c", "echo trailing \\"]);
    expect(JSON.parse(runs[2]?.args ?? "")).toEqual(["/bin/sh", "-c", '[ -d /tmp ] && echo "[x]"']);
    expect(runs[3]?.args).toBe("echo plain $HOME");
    expect(JSON.parse(runs[4]?.args ?? "")).toEqual(["/bin/echo", "exec", "form"]);
  });

  it("packs only the generated Dockerfile and the files named, recorded by the map's paths", async () => {
    const dir = join(root, "pack");
    mkdirSync(join(dir, "conf", "sub"), { recursive: true });
    writeFileSync(join(dir, "hello x.txt"), "hello\n");
    writeFileSync(join(dir, "conf", "sub", "c.ini"), "c=1\n");
    writeFileSync(join(dir, "not-named.txt"), "stays out\n");
    const build = buildOf(
      `
name: gen
app:
  image: gen/app:1
  build:
    from: berth-test/base:1
    add: [{src: "hello x.txt", dest: /hello.txt}]
    copy: [{src: conf, dest: /etc/conf}]
`,
      dir,
    );
    const { tar, digest } = await packBuildContext("app", build);
    const listed = spawnSync("tar", ["-tf", "-"], { input: tar }).stdout.toString().trim().split("\n");
    expect(listed.sort()).toEqual([
      "Dockerfile",
      "files/0/hello_x.txt",
      "files/1/conf/",
      "files/1/conf/sub/",
      "files/1/conf/sub/c.ini",
    ]);
    expect(Object.keys(digest.files).sort()).toEqual(["conf", "conf/sub", "conf/sub/c.ini", "hello x.txt"]);
    expect(digest.bases).toEqual(["berth-test/base:1"]);
    const before = await readBuildContext("app", build);
    writeFileSync(join(dir, "not-named.txt"), "changed, still out\n");
    expect((await readBuildContext("app", build)).filesDigest).toBe(before.filesDigest);
    writeFileSync(join(dir, "conf", "sub", "c.ini"), "c=2\n");
    const after = await readBuildContext("app", build);
    expect(after.files["conf/sub/c.ini"]).not.toBe(before.files["conf/sub/c.ini"]);
    expect(after.dockerfile).toBe(before.dockerfile);
  });

  it("names the config and the file when a named file is missing", async () => {
    const build = buildOf(`
name: gen
app:
  image: gen/app:1
  build: {from: berth-test/base:1, add: [{src: missing.txt, dest: /m}]}
`);
    await expect(readBuildContext("app", build)).rejects.toThrow(
      /config app: build file missing.txt cannot be read/,
    );
  });

  it("prints as a map (berth config) that loads back to the same build", () => {
    const file = join(root, "printed.yaml");
    writeFileSync(
      file,
      "name: gen\napp:\n  build:\n    from: x:1\n    run: [echo hi, [/bin/true]]\n    add: [a.txt:/a]\n    cmd: sleep 1\n    env: {A: b}\n    tags: [latest]\n",
    );
    const first = loadMap({ files: [file], env: {} });
    writeFileSync(file, printMapYaml(first.normalized));
    const again = loadMap({ files: [file], env: {} });
    expect(again.normalized.containers).toEqual(first.normalized.containers);
    expect(again.resolved.containers[0]?.build).toEqual(first.resolved.containers[0]?.build);
  });

  it("rejects context with from, and an ENV value with a line break, naming the place", () => {
    const attempt = (text: string) => {
      try {
        buildOf(text);
        return "";
      } catch (err) {
        if (!isMapError(err)) throw err;
        return err.message;
      }
    };
    expect(attempt("name: gen\napp:\n  build: {from: x:1, context: .}\n")).toMatch(/map\.yaml:3:/);
    expect(attempt('name: gen\napp:\n  build:\n    from: x:1\n    env: {A: "a\\nb"}\n')).toMatch(
      /map\.yaml:5:.*line break/,
    );
  });
});
