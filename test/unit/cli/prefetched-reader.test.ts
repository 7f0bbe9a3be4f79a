import { describe, expect, it } from "vitest";
import { defaultSocketPath, type PrefetchedAnswer, type PrefetchedLists } from "../../../src/cli/prefetch.js";
import { firstLookReaders, PrefetchedReader } from "../../../src/cli/prefetched-reader.js";
import { CallCounter } from "../../../src/engine/call-counter.js";
import type { EngineReader, EngineWriter, LabelSelector } from "../../../src/engine/engine.js";

/** A read-only engine that answers every list with what `lists` holds now, counting its calls. */
function engineStub(lists: { containers: string[]; volumes: string[] }) {
  const asked: string[] = [];
  const calls = new CallCounter();
  const reader = {
    name: "default",
    calls,
    listContainers: (labels: LabelSelector) => {
      asked.push(`containers ${JSON.stringify(labels)}`);
      calls.record("list containers");
      return Promise.resolve(lists.containers.map((Id) => ({ Id })));
    },
    listVolumes: (labels: LabelSelector) => {
      asked.push(`volumes ${JSON.stringify(labels)}`);
      calls.record("list volumes");
      return Promise.resolve(lists.volumes.map((Name) => ({ Name })));
    },
    listNetworks: () => {
      asked.push("networks");
      calls.record("list networks");
      return Promise.resolve([]);
    },
    listImages: () => {
      asked.push("images");
      calls.record("list images");
      return Promise.resolve([]);
    },
  } as unknown as EngineReader;
  return { reader, asked };
}

function prefetched(
  answers: Partial<Record<keyof PrefetchedLists["answers"], PrefetchedAnswer>>,
): PrefetchedLists {
  const failed = Promise.resolve<PrefetchedAnswer>({ ok: false });
  const of = (a: PrefetchedAnswer | undefined) => (a === undefined ? failed : Promise.resolve(a));
  return {
    socketPath: defaultSocketPath(process.env) ?? "/nowhere.sock",
    answers: {
      containers: of(answers.containers),
      volumes: of(answers.volumes),
      networks: of(answers.networks),
      images: of(answers.images),
    },
    dispose: () => undefined,
  };
}

describe("PrefetchedReader", () => {
  it("answers the first whole list of each kind from the prefetch, once, and counts it as that call", async () => {
    const engine = engineStub({ containers: ["now"], volumes: ["v-now"] });
    const reader = new PrefetchedReader(
      engine.reader,
      prefetched({
        containers: { ok: true, body: [{ Id: "before" }] },
        volumes: { ok: true, body: { Volumes: [{ Name: "v-before" }] } },
        networks: { ok: true, body: [] },
        images: { ok: true, body: [] },
      }),
    );
    expect(await reader.listContainers({})).toEqual([{ Id: "before" }]);
    expect(await reader.listVolumes({})).toEqual([{ Name: "v-before" }]);
    expect(await reader.listNetworks({})).toEqual([]);
    expect(await reader.listImages()).toEqual([]);
    expect(engine.asked).toEqual([]);
    expect(reader.calls.snapshot()).toEqual({
      "list containers": 1,
      "list images": 1,
      "list networks": 1,
      "list volumes": 1,
    });
    // Taken once: the next look is the engine's.
    expect(await reader.listContainers({})).toEqual([{ Id: "now" }]);
    expect(await reader.listVolumes({})).toEqual([{ Name: "v-now" }]);
    expect(engine.asked).toEqual(["containers {}", "volumes {}"]);
    expect(reader.calls.total).toBe(6);
  });

  it("asks the engine for a list with labels, and for a list whose prefetch failed", async () => {
    const engine = engineStub({ containers: ["now"], volumes: [] });
    const reader = new PrefetchedReader(
      engine.reader,
      prefetched({ containers: { ok: true, body: [{ Id: "before" }] } }),
    );
    expect(await reader.listContainers({ "berth.map": "m" })).toEqual([{ Id: "now" }]);
    expect(await reader.listVolumes({})).toEqual([]);
    expect(await reader.listImages()).toEqual([]);
    expect(engine.asked).toEqual(['containers {"berth.map":"m"}', "volumes {}", "images"]);
    // The prefetched whole list is still there for the first whole look.
    expect(await reader.listContainers({})).toEqual([{ Id: "before" }]);
  });

  it("has no method that changes the engine", () => {
    const engine = engineStub({ containers: [], volumes: [] });
    const reader = new PrefetchedReader(engine.reader, prefetched({})) as unknown as Partial<EngineWriter>;
    expect(reader.createContainer).toBeUndefined();
    expect(reader.removeContainer).toBeUndefined();
  });
});

describe("firstLookReaders", () => {
  const writer = (name: string) =>
    ({ ...engineStub({ containers: [], volumes: [] }).reader, name }) as EngineWriter;

  it("decorates the default engine when the lists came from the socket it dials", () => {
    const readers = firstLookReaders(
      { default: writer("default"), other: writer("other") },
      {},
      prefetched({}),
    );
    expect(readers?.default).toBeInstanceOf(PrefetchedReader);
    expect(readers?.other).toBeDefined();
    expect(readers?.other).not.toBeInstanceOf(PrefetchedReader);
  });

  it("is undefined without a prefetch, or when the default engine dials another socket", () => {
    const engines = { default: writer("default") };
    expect(firstLookReaders(engines, {}, undefined)).toBeUndefined();
    const at = (base_url: string) => ({ default: { base_url, interfaces: {}, interfaces_ipv6: {} } });
    const elsewhere = at("unix:///elsewhere/docker.sock");
    expect(firstLookReaders(engines, elsewhere, prefetched({}))).toBeUndefined();
    const tcp = at("tcp://127.0.0.1:2375");
    expect(firstLookReaders(engines, tcp, prefetched({}))).toBeUndefined();
    const same = at(`unix://${prefetched({}).socketPath}`);
    expect(firstLookReaders(engines, same, prefetched({}))?.default).toBeInstanceOf(PrefetchedReader);
  });
});
