import { describe, expect, it } from "vitest";
import { PullProgress } from "../../../src/apply/pull-progress.js";

describe("a pull's progress as lines", () => {
  it("says what changes for good, and counts bytes in lines the next one replaces", () => {
    const progress = new PullProgress();
    const lines = [
      { status: "Pulling from berth-test/app", id: "1" },
      { status: "Pulling fs layer", id: "aaa" },
      { status: "Pulling fs layer", id: "bbb" },
      {
        status: "Downloading",
        id: "aaa",
        progressDetail: { current: 1_500_000, total: 3_000_000 },
        progress: "[=>  ]",
      },
      { status: "Downloading", id: "aaa", progressDetail: {} },
      { status: "Download complete", id: "aaa" },
      { status: "Pull complete", id: "aaa" },
      { status: "Extracting", id: "bbb", progressDetail: { current: 512, total: 900 } },
      { status: "Already exists", id: "bbb" },
      { status: "Digest: sha256:0123" },
      { status: "Status: Downloaded newer image for berth-test/app:1" },
      { error: "boom", errorDetail: { message: "boom" } },
      "not an event",
    ].map((event) => progress.add(event));
    expect(lines).toEqual([
      { line: "1: Pulling from berth-test/app", transient: false },
      { line: "aaa: Pulling fs layer", transient: false },
      { line: "bbb: Pulling fs layer", transient: false },
      { line: "Downloading aaa 1.5MB/3.0MB (0/2 layers)", transient: true },
      undefined,
      { line: "aaa: Download complete", transient: false },
      { line: "aaa: Pull complete", transient: false },
      { line: "Extracting bbb 512B/900B (1/2 layers)", transient: true },
      { line: "bbb: Already exists", transient: false },
      { line: "Digest: sha256:0123", transient: false },
      { line: "Status: Downloaded newer image for berth-test/app:1", transient: false },
      undefined,
      undefined,
    ]);
  });
});
