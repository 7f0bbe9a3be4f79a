import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/model/labels.js";
import { berth, tempFolder, writeMap } from "../helpers/cli.js";
import { FIXTURE_IMAGES, removeMapObjects, testEngine, uniqueMapName } from "../helpers/engine.js";
import { freePort, idsByName, runJson } from "../helpers/plan-json.js";

/**
 * Issue "Apply", done-when 1: docker-map's seed map (nginx + uwsgi from its "Getting started"
 * guide), with a second file merged over it that swaps in the test image, points the host binds
 * into a temp folder and publishes random high ports, starts from nothing and is then stable.
 */
const SEED = "/work/shared/compat/dockermap/seed-nginx-uwsgi.yaml";

const engine = testEngine();
const mapName = uniqueMapName("seed");
const folder = tempFolder("seed");
let files: string[] = [];
let ports: { http: number; https: number };

beforeAll(async () => {
  ports = { http: await freePort(), https: await freePort() };
  const host = (path: string) => join(folder.dir, "host", path);
  mkdirSync(host("config/nginx"), { recursive: true });
  writeFileSync(join(host("config/nginx"), "marker"), "from the host\n");
  const override = writeMap(
    folder.dir,
    [
      `name: ${mapName}`,
      "nginx:",
      `  image: ${FIXTURE_IMAGES.base1}`,
      `  exposes: {80: ${ports.http}, 443: ${ports.https}}`,
      "uwsgi:",
      `  image: ${FIXTURE_IMAGES.base1}`,
      "host:",
      `  nginx_config: ${host("config/nginx")}`,
      `  uwsgi_config: ${host("config/uwsgi")}`,
      `  app_config: ${host("config/app")}`,
      `  app_data: ${host("data/app")}`,
      "",
    ].join("\n"),
    "override.yaml",
  );
  files = ["-f", SEED, "-f", override];
});

afterAll(async () => {
  await removeMapObjects(engine, mapName);
  folder.remove();
});

describe("the docker-map seed map with an override file", () => {
  it("starts from nothing, then a second startup and an update plan no step", async () => {
    const first = await runJson(files, "startup");
    expect(first.code, first.stderr).toBe(0);
    expect(first.result.ok).toBe(true);

    const nginx = await engine.inspectContainer(`${mapName}.nginx`);
    const uwsgi = await engine.inspectContainer(`${mapName}.uwsgi`);
    for (const details of [nginx, uwsgi]) {
      expect(details.State.Running).toBe(true);
      expect(details.Config.Image).toBe(FIXTURE_IMAGES.base1);
      expect(details.Config.Labels?.[LABEL.map]).toBe(mapName);
    }
    // The override replaced the published ports (per exposed port) and the host paths (per alias).
    expect(nginx.HostConfig.PortBindings).toEqual({
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: String(ports.http) }],
      "443/tcp": [{ HostIp: "0.0.0.0", HostPort: String(ports.https) }],
    });
    const bind = nginx.Mounts.find((m) => m.Destination === "/etc/nginx");
    expect(bind).toMatchObject({ Type: "bind", Source: join(folder.dir, "host/config/nginx"), RW: false });
    expect(await engine.exec(nginx.Id, ["cat", "/etc/nginx/marker"])).toEqual({
      exitCode: 0,
      output: "from the host\n",
    });
    expect((await engine.exec(nginx.Id, ["touch", "/etc/nginx/other"])).exitCode).not.toBe(0);
    expect(
      uwsgi.Mounts.filter((m) => m.Type === "bind")
        .map((m) => `${m.Source}:${m.Destination}:${m.RW ? "rw" : "ro"}`)
        .sort(),
    ).toEqual([
      `${join(folder.dir, "host/config/app")}:/var/lib/app/config:ro`,
      `${join(folder.dir, "host/config/uwsgi")}:/etc/uwsgi:ro`,
      `${join(folder.dir, "host/data/app")}:/var/lib/app/data:rw`,
    ]);

    // Attached volumes: uwsgi's belong to its user (2000) with its permissions; nginx mounts the
    // socket volume through `uses`, and sees what uwsgi writes there.
    expect(uwsgi.Config.User).toBe("2000");
    expect(
      await engine.exec(uwsgi.Id, [
        "sh",
        "-c",
        "stat -c '%u %a %n' /var/lib/uwsgi/socket /var/log/uwsgi /var/lib/app/log && touch /var/lib/uwsgi/socket/app.sock",
      ]),
    ).toEqual({
      exitCode: 0,
      output: "2000 750 /var/lib/uwsgi/socket\n2000 750 /var/log/uwsgi\n2000 750 /var/lib/app/log\n",
    });
    expect((await engine.exec(nginx.Id, ["ls", "/var/lib/uwsgi/socket/app.sock"])).exitCode).toBe(0);
    const volumes = (await engine.listVolumes({ [LABEL.map]: mapName })).map((v) => v.Name).sort();
    expect(volumes).toEqual(
      ["app_log", "nginx_log", "uwsgi_log", "uwsgi_socket"].map((alias) => `${mapName}.${alias}`),
    );

    const ids = await idsByName(engine, mapName);
    expect(Object.keys(ids).sort()).toEqual([`${mapName}.nginx`, `${mapName}.uwsgi`]);

    const second = await runJson(files, "startup");
    expect(second.code, second.stderr).toBe(0);
    expect(second.plan.steps).toEqual([]);
    expect(second.plan.changes).toEqual([]);

    const update = await runJson(files, "update");
    expect(update.code, update.stderr).toBe(0);
    expect(update.plan.steps).toEqual([]);
    expect(update.plan.changes).toEqual([]);

    const detailed = await berth([...files, "plan", "--detailed-exitcode"]);
    expect(detailed.code, detailed.stderr).toBe(0);
    expect(detailed.stdout).toContain("No changes");

    expect(await idsByName(engine, mapName)).toEqual(ids);
  });
});
