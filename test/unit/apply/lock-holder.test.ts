import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lockName, lockView, renewalName } from "../../../src/apply/engine-lock.js";
import {
  holderIsGone,
  holderLabels,
  processStartTime,
  thisProcess,
  type HolderIdentity,
  type ProcessProbe,
} from "../../../src/apply/lock-holder.js";
import { LABEL } from "../../../src/model/labels.js";

const self: HolderIdentity = { host: "h1", pid: 100, boot: "b1", pidNamespace: "pid:[1]", start: "500" };
const holder: HolderIdentity = { ...self, pid: 200, start: "700" };
const probe = (alive: Record<number, string>): ProcessProbe => ({
  exists: (pid) => pid in alive,
  startTime: (pid) => alive[pid],
});

describe("holderIsGone", () => {
  it("is true for a holder of this machine whose pid is gone or was given to another process", () => {
    expect(holderIsGone(holderLabels(holder), self, probe({}))).toBe(true);
    expect(holderIsGone(holderLabels(holder), self, probe({ 200: "900" }))).toBe(true);
    expect(holderIsGone(holderLabels(holder), self, probe({ 200: "700" }))).toBe(false);
  });

  it("cannot tell (false) for another host, another boot or another pid namespace", () => {
    const dead = probe({});
    expect(holderIsGone(holderLabels({ ...holder, host: "h2" }), self, dead)).toBe(false);
    expect(holderIsGone(holderLabels({ ...holder, boot: "b2" }), self, dead)).toBe(false);
    expect(holderIsGone(holderLabels({ ...holder, pidNamespace: "pid:[2]" }), self, dead)).toBe(false);
  });

  it("judges a lock without boot and namespace labels (an older berth) by host and pid", () => {
    const labels = { "berth.lock.host": "h1", "berth.lock.pid": "200" };
    expect(holderIsGone(labels, self, probe({}))).toBe(true);
    expect(holderIsGone(labels, self, probe({ 200: "1" }))).toBe(false);
  });

  it("never judges its own process gone", () => {
    fc.assert(
      fc.property(fc.boolean(), (exists) => {
        const p: ProcessProbe = { exists: () => exists, startTime: () => "other" };
        return !holderIsGone(holderLabels(self), self, p);
      }),
    );
  });

  it("reads this process's identity from /proc", () => {
    const me = thisProcess();
    expect(me.pid).toBe(process.pid);
    expect(me.start).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(me.start);
    expect(me.boot).not.toBe("");
  });
});

describe("lockView", () => {
  const map = "m";
  const lock = (expires: number) => ({
    id: "L",
    name: lockName(map),
    labels: { [LABEL.map]: map, [LABEL.kind]: "lock", [LABEL.lockExpires]: new Date(expires).toISOString() },
  });
  const renewal = (until: number, renews = "L") => ({
    id: `R${until}`,
    name: renewalName(map, until),
    labels: { [LABEL.map]: map, [LABEL.kind]: "lock", "berth.lock.renews": renews },
  });

  it("runs until the later of the lock's expiry and its renewal's name", () => {
    expect(lockView([lock(1000), renewal(5000)], map)?.until).toBe(5000);
    expect(lockView([lock(9000), renewal(5000)], map)?.until).toBe(9000);
  });

  it("ignores renewals of another lock and objects of another map", () => {
    const other = { ...lock(1), labels: { ...lock(1).labels, [LABEL.map]: "m2" } };
    expect(lockView([lock(1000), renewal(5000, "X")], map)?.until).toBe(1000);
    expect(lockView([other], map)).toBeUndefined();
  });
});
