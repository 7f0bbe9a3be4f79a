import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { loadMap } from "../../../src/load-map.js";
import { emptyObservedClient } from "../../../src/observe/observed-state.js";
import { plan } from "../../../src/plan/plan.js";
import type { PlanAction } from "../../../src/plan/plan-types.js";

const schema = JSON.parse(
  readFileSync(new URL("../../../schemas/plan.schema.json", import.meta.url), "utf8"),
) as object;
const validate = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true }).compile(schema);

const MAP = `
name: schema
volumes:
  data: /data
networks:
  back: {}
db:
  image: berth-test/healthy:1
  attaches: data
  user: "2000"
  permissions: u=rwX,g=rX,o=
  networks: back
  environment: {DB_PASSWORD: s3cret}
app:
  image: berth-test/base:1
  networks:
    back: {aliases: [api]}
    bridge: {}
  depends_on: {db: {condition: healthy}}
  exec_commands:
    - [echo hi, null, initial]
    - cmd: touch /tmp/ok
      detach: true
job:
  image: berth-test/oneshot:1
  persistent: true
web:
  image: berth-test/base:1
  depends_on: {job: {condition: completed}}
`;

describe("schemas/plan.schema.json", () => {
  const map = loadMap({ files: ["m.yaml"], texts: { "m.yaml": MAP }, env: {} });
  const observed = { clients: { default: emptyObservedClient("default") } };

  it.each<PlanAction>(["update", "startup", "shutdown", "stop", "start", "restart", "remove", "kill"])(
    "describes the plan of %s",
    (action) => {
      const result = plan({ map, observed, options: { action } });
      const valid = validate(JSON.parse(JSON.stringify(result)));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  it("covers every step type a plan from nothing makes, and rejects a step of an unknown type", () => {
    const result = plan({ map, observed, options: { action: "update" } });
    const types = new Set(result.steps.map((s) => s.type));
    for (const type of [
      "pull-image",
      "create-network",
      "create-volume",
      "prepare-volume",
      "create-container",
      "connect-network",
      "start-container",
      "exec",
      "wait-healthy",
      "wait-completed",
    ]) {
      expect(types).toContain(type);
    }
    const broken = JSON.parse(JSON.stringify(result)) as { steps: { type: string }[] };
    (broken.steps[0] as { type: string }).type = "teleport-container";
    expect(validate(broken)).toBe(false);
  });

  it("never carries a secret value", () => {
    const result = plan({ map, observed, options: { action: "update" } });
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });
});
