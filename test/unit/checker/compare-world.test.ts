import { describe, expect, it } from "vitest";
import { execMarkerPaths } from "../../helpers/checker/container-checks.js";
import { compareWorld } from "../../helpers/checker/map-checks.js";
import { hostsAddress } from "../../helpers/checker/wiring-checks.js";
import { convergedWorld, factsOf, sampleMap } from "./checker-fixtures.js";

/** The checker's comparison, on hand-made engine facts: silent on a converged engine, one line per drift. */
describe("compareWorld", () => {
  const map = sampleMap();

  /** The problems after one change to a converged world. */
  function after(change: (world: ReturnType<typeof convergedWorld>) => void): string[] {
    const world = convergedWorld(map);
    change(world);
    return compareWorld(map, world);
  }

  it("finds nothing when the engine runs the map exactly", () => {
    expect(compareWorld(map, convergedWorld(map))).toEqual([]);
  });

  it("reports a missing container and one the map does not have", () => {
    expect(
      after((w) => {
        w.containers.delete("m.db");
        w.namedLikeMap.push("m.worker.b");
      }),
    ).toEqual(
      expect.arrayContaining(
        [
          "container m.db: does not exist",
          "container m.worker.b: exists, map has no such container",
          "link database: target db does not exist",
        ].map((text) => (text.startsWith("link") ? `container m.app: ${text}` : text)),
      ),
    );
  });

  it("reports a stopped container, unless it is persistent or a completed job", () => {
    const stop = (w: ReturnType<typeof convergedWorld>) => {
      Object.assign(factsOf(w, "m.db").inspect.State, { Running: false, Status: "exited", ExitCode: 137 });
    };
    expect(after(stop)).toContain("container m.db: is exited (137), map says running");
    const db = map.containers.find((c) => c.key === "db");
    if (db === undefined) throw new Error("no db");
    db.persistent = true;
    expect(after(stop)).not.toContain("container m.db: is exited (137), map says running");
    db.persistent = false;
  });

  it("reports env values, extra variables, command and entrypoint", () => {
    const problems = after((w) => {
      const config = factsOf(w, "m.hub").inspect.Config;
      config.Env = ["PATH=/bin", "MODE=two", "EXTRA=1"];
      config.Cmd = ["sh"];
      config.Entrypoint = ["tini"];
    });
    expect(problems).toEqual([
      'container m.hub: env MODE is "two", map says "one"',
      'container m.hub: env EXTRA is "1", map does not set it',
      'container m.hub: entrypoint is ["tini"], map says []',
      'container m.hub: command is ["sh"], map says ["sleep","1000"]',
    ]);
  });

  it("reports an image id that is not the one the tag names now", () => {
    const problems = after((w) => (factsOf(w, "m.db").inspect.Image = "sha256:2222222222222222"));
    expect(problems).toEqual(["container m.db: runs image 222222222222, but img:1 is 111111111111 now"]);
  });

  it("reports limits and restart policy changed behind berth's back, and limits the map does not set", () => {
    const problems = after((w) => {
      Object.assign(factsOf(w, "m.hub").inspect.HostConfig, {
        Memory: 33554432,
        RestartPolicy: { Name: "always", MaximumRetryCount: 0 },
      });
      Object.assign(factsOf(w, "m.db").inspect.HostConfig, { CpuShares: 512 });
    });
    expect(problems).toEqual([
      "container m.hub: mem_limit is 33554432, map says 67108864",
      'container m.hub: restart policy is "always", map says "unless-stopped"',
      "container m.db: cpu_shares is 512, map sets none",
    ]);
  });

  it("reports mounts, ports and networks", () => {
    const problems = after((w) => {
      const hub = factsOf(w, "m.hub").inspect;
      hub.Mounts = [];
      hub.NetworkSettings.Ports = {
        "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: "18081" }],
        "9090/tcp": [{ HostIp: "0.0.0.0", HostPort: "9090" }],
      };
      hub.NetworkSettings.Networks = {
        "m.back": { Aliases: ["abc"], IPAddress: "10.0.0.2" },
        bridge: { Aliases: null, IPAddress: "172.17.0.9" },
      };
    });
    expect(problems).toEqual([
      "container m.hub: /data mounts nothing, map says volume m.data",
      "container m.hub: port 8080/tcp is published on 0.0.0.0:18081, map says 18080",
      "container m.hub: port 9090/tcp is published on 9090, map does not publish it",
      "container m.hub: on network m.back lacks alias(es) hub-alias",
      "container m.hub: is on network bridge, map does not list it",
    ]);
  });

  it("reports a network_mode dependent in a namespace that is no longer its target's", () => {
    expect(after((w) => (factsOf(w, "m.hub").netns = "net:[9]"))).toEqual([
      "container m.side: network namespace is net:[1], its network_mode target m.hub has net:[9]",
    ]);
    expect(
      after((w) => (factsOf(w, "m.side").inspect.HostConfig.NetworkMode = "container:0123456789ab")),
    ).toEqual([
      'container m.side: network_mode is "container:0123456789ab", not the current m.hub (000000000000)',
    ]);
  });

  it("reports a link whose /etc/hosts entry is not the target's current address", () => {
    const problems = after(
      (w) =>
        (factsOf(w, "m.db").inspect.NetworkSettings.Networks = {
          bridge: { Aliases: null, IPAddress: "172.17.0.8" },
        }),
    );
    expect(problems).toEqual([
      "container m.app: link database resolves to 172.17.0.5 in /etc/hosts, m.db is at 172.17.0.8",
    ]);
  });

  it("reports health, exec results and volume owner and mode", () => {
    const problems = after((w) => {
      const hub = factsOf(w, "m.hub");
      hub.inspect.State.Health = { Status: "unhealthy" };
      hub.paths = { "/tmp/ran": false };
      w.volumes.set("m.data", { Name: "m.data", Driver: "local", folder: { uid: 0, gid: 0, mode: 0o755 } });
    });
    expect(problems).toEqual([
      "container m.hub: health is unhealthy, map asks for a passing health check",
      'container m.hub: exec "touch /tmp/ran" has not run: /tmp/ran is missing',
      'volume m.data: owner is 0:0, map says "1000"',
      'volume m.data: mode is 0755, map says "0750"',
    ]);
  });

  it("reports missing volumes and networks", () => {
    const problems = after((w) => {
      w.volumes.clear();
      w.networks.clear();
    });
    expect(problems).toEqual(["volume m.data: does not exist", "network m.back: does not exist"]);
  });
});

describe("execMarkerPaths", () => {
  it("finds the files `touch` makes, alone or in a sh -c script", () => {
    expect(execMarkerPaths(["touch", "/tmp/a", "/tmp/b"])).toEqual(["/tmp/a", "/tmp/b"]);
    expect(execMarkerPaths(["sh", "-c", "test -e /data/gate && touch /tmp/x; echo hi"])).toEqual(["/tmp/x"]);
    expect(execMarkerPaths(["sh", "-c", "date >> /tmp/started"])).toEqual([]);
    expect(execMarkerPaths(["echo", "touch", "/tmp/no"])).toEqual([]);
  });
});

describe("hostsAddress", () => {
  it("gives the address of the first line that names the host", () => {
    const hosts = "127.0.0.1 localhost\n# 10.0.0.1 db\n172.17.0.3\tdb abc\n172.17.0.4 db\n";
    expect(hostsAddress(hosts, "db")).toBe("172.17.0.3");
    expect(hostsAddress(hosts, "nope")).toBeUndefined();
  });
});
