/**
 * Holds a map's lock as a berth run on another machine would, until killed: run with
 * `node --import tsx test/helpers/foreign-lock-holder.ts MAP LEASE_MS RENEW_EVERY_MS`. Prints
 * `held` once it holds the lock. A test SIGKILLs it to stand for a remote run that died.
 */
import { acquireLock } from "../../src/apply/engine-lock.js";
import { DockerEngine } from "../../src/engine/docker-engine.js";

const [mapName, lease, every] = process.argv.slice(2);
if (mapName === undefined) throw new Error("usage: foreign-lock-holder MAP LEASE_MS RENEW_EVERY_MS");
await acquireLock(new DockerEngine(), mapName, {
  timeoutMs: 0,
  ttlMs: Number(lease),
  renewEveryMs: Number(every),
  holder: `someone@elsewhere pid ${process.pid}`,
  identity: { host: "elsewhere", pid: process.pid, boot: "another-boot", pidNamespace: "", start: "" },
});
process.stdout.write("held\n");
setInterval(() => undefined, 60_000);
