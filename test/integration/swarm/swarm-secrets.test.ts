import { afterAll, describe, expect, it } from "vitest";
import { LABEL } from "../../../src/model/labels.js";
import { tempFolder, writeMap } from "../../helpers/cli.js";
import { extraEngine, FIXTURE_IMAGES, uniqueMapName } from "../../helpers/engine.js";
import { runJson } from "../../helpers/plan-json.js";
import { removeSwarmMapObjects } from "../../helpers/swarm-cleanup.js";
import { manager, runningTasks, writeSwarmClients } from "../../helpers/swarm.js";

/** `swarm.secrets: true`: a sensitive environment value reaches the task as a Swarm secret file only. */
const folder = tempFolder("swarm-secrets");
const clientsFile = writeSwarmClients(folder.dir);
const name = uniqueMapName("swsecret");
const fileArgs = (file: string) => ["-f", file, "--clients", clientsFile];
const SECRET = "hunter2-swarm-secret";
const file = writeMap(
  folder.dir,
  `
name: ${name}
clients: [sw]
db:
  image: ${FIXTURE_IMAGES.base1}
  command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
  environment: {DB_PASSWORD: "${SECRET}", MODE: primary}
  swarm: {secrets: true}
`,
  `${name}.yaml`,
);
const db = `${name}-db`;

afterAll(async () => {
  await removeSwarmMapObjects(name);
  folder.remove();
});

describe("Swarm secrets", () => {
  it("gives the task the value as /run/secrets/NAME, never in the spec, its labels or the plan", async () => {
    const up = await runJson(fileArgs(file), "startup");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout + up.stderr).not.toContain(SECRET);
    const [task] = await runningTasks(db);
    const engine = extraEngine(task?.node ?? "e4");
    const read = await engine.exec(task?.containerId as string, ["cat", "/run/secrets/DB_PASSWORD"]);
    expect(read.output).toBe(SECRET);
    const env = (await engine.inspectContainer(task?.containerId as string)).Config.Env ?? [];
    expect(env).toContain("DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD");
    expect(JSON.stringify(await manager().inspectService(db))).not.toContain(SECRET);

    const again = await runJson(fileArgs(file), "update");
    expect(again.code, again.stderr).toBe(0);
    expect(again.plan.steps).toEqual([]);

    const down = await runJson(fileArgs(file), "shutdown");
    expect(down.code, down.stderr).toBe(0);
    expect(await manager().listSecrets({ [LABEL.map]: name })).toEqual([]);
  });
});
