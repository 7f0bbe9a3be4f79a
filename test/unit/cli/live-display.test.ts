import { EventEmitter } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/apply/progress-events.js";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { DisplayModel, type Phase, type Row } from "../../../src/cli/live-display/display-model.js";
import {
  cells,
  clean,
  renderFrame,
  spinnerAt,
  type FrameInput,
} from "../../../src/cli/live-display/frame.js";
import { liveDisplay, wrappedHeight } from "../../../src/cli/live-display/live-renderer.js";
import { progressRenderer } from "../../../src/cli/progress-renderer.js";
import type { Plan, Step } from "../../../src/plan/plan-types.js";
import { mapOf, planWorld } from "../../helpers/plan-fixtures.js";
import { worldFor } from "../../helpers/simulated-engine.js";

const MAP = `
networks: { back: {} }
db:
  image: db:1
  networks: [back]
  healthcheck: { test: "true" }
migrate:
  image: job:1
  depends_on: { db: healthy }
web:
  image: web:1
  instances: [a, b]
  networks: [back]
  depends_on: { db: healthy, migrate: completed }
`;

async function startupPlan(): Promise<Plan> {
  const map = mapOf(MAP);
  return planWorld(map, worldFor(map), { action: "startup" });
}

/** Feeds events to a model, as the executor would, at times the test chooses. */
function runOf(plan: Plan) {
  const model = new DisplayModel();
  const step = (type: string, key: string): Step => {
    const found = plan.steps.find((s) => s.type === type && s.object.key === key);
    if (found === undefined) throw new Error(`no ${type} step for ${key}`);
    return found;
  };
  const emit = (event: ProgressEvent) => model.apply(event);
  emit({ type: "run-start", map: "app", steps: plan.steps.length, time: 0, plan: plan.steps });
  return {
    model,
    start: (type: string, key: string, time: number) =>
      emit({ type: "step-start", step: step(type, key), time }),
    done: (type: string, key: string, time: number) =>
      emit({ type: "step-done", step: step(type, key), time, durationMs: 1 }),
    fail: (type: string, key: string, time: number, error: string) =>
      emit({ type: "step-failed", step: step(type, key), time, durationMs: 1, error }),
    skip: (type: string, key: string, time: number, because: string) =>
      emit({ type: "step-skipped", step: step(type, key), time, because: `${because} failed` }),
    output: (type: string, key: string, time: number, line: string) =>
      emit({ type: "step-output", step: step(type, key), time, line }),
    idOf: (type: string, key: string) => step(type, key).id,
    row: (label: string, now = 1000): Row => {
      const found = model.rows(now).find((r) => r.label === label);
      if (found === undefined) throw new Error(`no row ${label}`);
      return found;
    },
  };
}

/** Runs every step of an object to its end, in plan order. */
function finish(run: ReturnType<typeof runOf>, plan: Plan, key: string, time: number): void {
  for (const s of plan.steps.filter((x) => x.object.key === key)) {
    run.start(s.type, key, time);
    run.done(s.type, key, time + 10);
  }
}

describe("live display: the model of a run", () => {
  it("has a row per object of the plan from the start, each waiting for what its steps wait for", async () => {
    const plan = await startupPlan();
    const run = runOf(plan);
    expect(run.model.rows(0).map((r) => r.label)).toEqual([
      "Network back",
      "Container db",
      "Container migrate",
      "Container web.a",
      "Container web.b",
    ]);
    expect(run.model.counts()).toEqual({ finished: 0, total: 5, failed: 0 });
    expect(run.row("Network back")).toMatchObject({ phase: "waiting", status: "Waiting" });
    expect(run.row("Container db")).toMatchObject({ phase: "waiting", status: "Waiting for back (created)" });
    // No timer before an object's first step starts.
    expect(run.row("Container db").elapsedMs).toBeUndefined();
  });

  it('shows "Waiting for db (healthy)" while db starts, never as done', async () => {
    const plan = await startupPlan();
    const run = runOf(plan);
    finish(run, plan, "back", 0);
    run.start("create-container", "db", 20);
    run.done("create-container", "db", 30);
    run.start("start-container", "db", 30);
    run.done("start-container", "db", 40);
    run.start("wait-healthy", "db", 40);
    run.start("create-container", "migrate", 40);
    run.done("create-container", "migrate", 50);

    expect(run.row("Container db", 500)).toMatchObject({
      phase: "running",
      status: "Started, waiting until healthy",
      elapsedMs: 480,
    });
    expect(run.row("Container migrate", 500)).toMatchObject({
      phase: "waiting",
      status: "Waiting for db (healthy)",
      elapsedMs: 460,
    });
    const web = run.row("Container web.a", 500);
    expect(web.phase).toBe("waiting");
    expect(web.status).toBe("Waiting for db (healthy), migrate (completed)");
    expect(run.model.counts()).toEqual({ finished: 1, total: 5, failed: 0 });
  });

  it("ends with each object's last word: Created, Healthy, Completed, Started", async () => {
    const plan = await startupPlan();
    const run = runOf(plan);
    for (const key of ["back", "db", "migrate", "web.a", "web.b"]) finish(run, plan, key, 100);
    run.model.apply({ type: "run-done", time: 200, ok: true, interrupted: false, durationMs: 200 });
    expect(run.model.rows(5000).map((r) => [r.label, r.phase, r.status, r.elapsedMs])).toEqual([
      ["Network back", "done", "Created", 10],
      ["Container db", "done", "Healthy", 10],
      ["Container migrate", "done", "Completed", 10],
      ["Container web.a", "done", "Started", 10],
      ["Container web.b", "done", "Started", 10],
    ]);
    expect(run.model.counts()).toEqual({ finished: 5, total: 5, failed: 0 });
  });

  it("shows a failure with its message and what was skipped after it", async () => {
    const plan = await startupPlan();
    const run = runOf(plan);
    finish(run, plan, "back", 0);
    run.start("create-container", "db", 20);
    run.fail(
      "create-container",
      "db",
      30,
      "default: create-container container app.db: port is\nalready allocated",
    );
    run.skip("create-container", "migrate", 30, run.idOf("create-container", "db"));
    expect(run.row("Container db")).toMatchObject({ phase: "failed", status: "Failed" });
    expect(run.row("Container db").detail).toContain("port is");
    expect(run.row("Container migrate")).toMatchObject({
      phase: "skipped",
      status: "Skipped",
      detail: "after db failed",
    });
    expect(run.model.counts().failed).toBe(1);
  });

  it("shows the last line of a build's (or pull's) output in its row while it runs", () => {
    const build: Step = {
      id: "build-image:default/app-web:latest",
      type: "build-image",
      object: { kind: "image", name: "app-web:latest", client: "default", key: "web" },
      after: [],
      image: "app-web:latest",
      config: "web",
      tags: [],
      pullBases: [],
    };
    const model = new DisplayModel();
    model.apply({ type: "run-start", map: "app", steps: 1, time: 0, plan: [build] });
    model.apply({ type: "step-start", step: build, time: 0 });
    model.apply({ type: "step-output", step: build, time: 5, line: "Step 2/4 : RUN make" });
    expect(model.rows(10)[0]).toMatchObject({ status: "Building", detail: "Step 2/4 : RUN make" });
    model.apply({ type: "step-done", step: build, time: 20, durationMs: 20 });
    expect(model.rows(30)[0]).toMatchObject({ phase: "done", status: "Built" });
    expect(model.rows(30)[0]?.detail).toBeUndefined();
  });

  it("reads a recreate's steps as Recreating, then Recreated", () => {
    const object = { kind: "container" as const, name: "app.web", client: "e2", key: "web" };
    const steps: Step[] = [
      {
        id: "c",
        type: "create-container",
        object,
        after: [],
        name: "app.web-new",
        temporary: true,
        carriedVolumes: [],
      },
      {
        id: "s",
        type: "stop-container",
        object,
        after: ["c"],
        container: "1",
        signal: null,
        timeoutSeconds: null,
      },
      {
        id: "r",
        type: "remove-container",
        object,
        after: ["s"],
        container: "1",
        removeVolumes: false,
        force: false,
      },
      { id: "n", type: "rename-container", object, after: ["r"], container: "app.web-new", to: "app.web" },
      { id: "g", type: "start-container", object, after: ["n"], container: "app.web", delayMs: 0 },
    ];
    const model = new DisplayModel();
    model.apply({ type: "run-start", map: "app", steps: steps.length, time: 0, plan: steps });
    const at = (i: number) => steps[i] as Step;
    model.apply({ type: "step-start", step: at(0), time: 0 });
    expect(model.rows(1)[0]).toMatchObject({ label: "Container e2:web", status: "Recreating" });
    for (const i of [0, 1, 2, 3]) {
      model.apply({ type: "step-start", step: at(i), time: i });
      model.apply({ type: "step-done", step: at(i), time: i + 1, durationMs: 1 });
    }
    // Ready to start, not started yet: what it did last, not marked done.
    expect(model.rows(5)[0]).toMatchObject({ phase: "waiting", status: "Recreated" });
    model.apply({ type: "step-start", step: at(4), time: 5 });
    model.apply({ type: "step-done", step: at(4), time: 6, durationMs: 1 });
    expect(model.rows(7)[0]).toMatchObject({ phase: "done", status: "Started", elapsedMs: 6 });
  });
});

const PHASES: Phase[] = ["waiting", "running", "done", "failed", "skipped"];

function frameOf(rows: Row[], extra: Partial<FrameInput> = {}): FrameInput {
  const finished = rows.filter(
    (r) => r.phase === "done" || r.phase === "failed" || r.phase === "skipped",
  ).length;
  return {
    map: "app",
    counts: { finished, total: rows.length, failed: rows.filter((r) => r.phase === "failed").length },
    rows,
    elapsedMs: 1234,
    final: false,
    now: 0,
    ...extra,
  };
}

const plain = (_style: string, text: string) => text;

function containers(n: number, phase: (i: number) => Phase): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    label: `Container web.${i}`,
    phase: phase(i),
    status: phase(i) === "waiting" ? "Waiting for db (healthy)" : "Started",
    elapsedMs: 100 * i,
  }));
}

describe("live display: a frame", () => {
  it("starts with the header's counts and right-aligns each timer", () => {
    const lines = renderFrame(
      frameOf(containers(3, (i) => (i === 0 ? "done" : "waiting"))),
      { columns: 70, rows: 12 },
      plain,
    );
    expect(lines[0]).toMatch(/^\[\+\] 1\/3 running, map app +1\.2s$/);
    expect(lines[1]).toMatch(/^ ✔ Container web\.0 +Started +0\.0s$/);
    expect(lines[2]).toMatch(/^ ⠂ Container web\.1 +Waiting for db \(healthy\) +0\.1s$/);
    for (const line of lines) expect(cells(line)).toBe(69);
  });

  it("summarises what does not fit as '… and N more', keeping what runs", () => {
    const rows = containers(50, (i) => (i < 30 ? "done" : i < 35 ? "running" : "waiting"));
    const lines = renderFrame(frameOf(rows), { columns: 70, rows: 12 }, plain);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe("… and 41 more (11 waiting, 30 done)");
    // The five running rows are all shown, then waiting ones, in the plan's order.
    expect(lines.slice(1, 6).every((l) => l.includes("Started"))).toBe(true);
    expect(lines[6]).toContain("web.35 ");
  });

  it("keeps the failures in the final frame", () => {
    const rows = containers(50, (i) => (i === 42 ? "failed" : "done"));
    const lines = renderFrame(frameOf(rows, { final: true }), { columns: 70, rows: 12 }, plain);
    expect(lines.some((l) => l.includes("✘ Container web.42"))).toBe(true);
    expect(lines[lines.length - 1]).toBe("… and 41 more (41 done)");
    // No spinner in a final frame.
    expect(lines.join("\n")).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });

  it("never marks a waiting row green, and its spinner moves with time", () => {
    const color = (style: string, text: string) => `<${style}>${text}</>`;
    const lines = renderFrame(
      frameOf(containers(2, (i) => (i === 0 ? "waiting" : "running"))),
      { columns: 80, rows: 10 },
      color,
    );
    expect(lines[1]).not.toContain("<green>");
    expect(lines[1]).toContain("<dim>⠂</>");
    expect(spinnerAt(0)).not.toBe(spinnerAt(100));
    const later = renderFrame(
      frameOf(
        containers(2, () => "running"),
        { now: 100 },
      ),
      { columns: 80, rows: 10 },
      plain,
    );
    const earlier = renderFrame(
      frameOf(
        containers(2, () => "running"),
        { now: 0 },
      ),
      { columns: 80, rows: 10 },
      plain,
    );
    expect(later[1]).not.toBe(earlier[1]);
  });

  it("cleans what comes from outside: escape sequences, tabs, line breaks", () => {
    expect(clean("\u001b[1mStep\u001b[0m 1/2\t: RUN\r\nmake\u0007")).toBe("Step 1/2 : RUN make");
  });

  it("fits any terminal: no line wider than its columns less one, no more lines than its rows less one", () => {
    const row = fc.record({
      label: fc.string({ maxLength: 60 }).map((s) => `Container ${s}`),
      phase: fc.constantFrom(...PHASES),
      status: fc.string({ maxLength: 80 }),
      detail: fc.option(fc.string({ unit: "binary", maxLength: 120 }), { nil: undefined }),
      elapsedMs: fc.option(fc.nat(10_000_000), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 80 }),
        fc.integer({ min: 1, max: 250 }),
        fc.integer({ min: 1, max: 60 }),
        fc.boolean(),
        (rows, columns, height, final) => {
          const cleanRows = rows.map((r) => (r.detail === undefined ? { ...r, detail: "" } : r)) as Row[];
          const lines = renderFrame(frameOf(cleanRows, { final }), { columns, rows: height }, plain);
          expect(lines.length).toBeLessThanOrEqual(Math.max(1, height - 1));
          for (const line of lines) expect(cells(line)).toBeLessThanOrEqual(Math.max(1, columns - 1));
          expect(lines[0]).toMatch(/^\[\+\]|^\[|^…|^$/);
          const more = /^… and (\d+) more/.exec(lines[lines.length - 1] ?? "");
          if (rows.length + 1 > Math.max(1, height - 1) && height > 2 && columns > 40)
            expect(Number(more?.[1]) + lines.length - 2).toBe(rows.length);
          if (rows.length + 1 <= Math.max(1, height - 1)) expect(lines).toHaveLength(rows.length + 1);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** A terminal's stderr as the live display sees it: what was written, its size, resizes. */
function fakeTerminal(columns: number, rows: number) {
  const emitter = new EventEmitter();
  const stream = Object.assign(emitter, {
    isTTY: true,
    columns,
    rows,
    written: "",
    write(text: string) {
      stream.written += text;
      return true;
    },
  });
  // `--progress tty` with NO_COLOR: the live display, without colour.
  const io: CliIo = { stdout: { write: () => true }, stderr: stream, env: { NO_COLOR: "1" }, cwd: "/" };
  return { stream, io };
}

describe("live display: on a terminal", () => {
  it("draws frames in place, again at a new size on resize, and leaves the last frame", async () => {
    const plan = await startupPlan();
    const { stream, io } = fakeTerminal(70, 12);
    let now = 0;
    const display = liveDisplay(io, { refreshMs: 60_000, now: () => now });
    display.listener({ type: "run-start", map: "app", steps: plan.steps.length, time: 0, plan: plan.steps });
    expect(stream.written).toContain("[+] 0/5 running, map app");
    expect(stream.written).toContain("Waiting for back (created)");

    stream.columns = 30;
    stream.written = "";
    now = 500;
    stream.emit("resize");
    const resized = stream.written.split("\n").map((l) => clean(l));
    expect(resized.length).toBeGreaterThan(2);
    for (const line of resized) expect(cells(line)).toBeLessThanOrEqual(29);

    for (const step of plan.steps) {
      display.listener({ type: "step-start", step, time: 600 });
      display.listener({ type: "step-done", step, time: 700, durationMs: 100 });
    }
    display.listener({ type: "run-done", time: 800, ok: true, interrupted: false, durationMs: 800 });
    stream.written = "";
    display.finish();
    expect(stream.written).toContain("[+] 5/5 done");
    // A resize after the end draws nothing over what follows the display.
    stream.written = "";
    stream.emit("resize");
    expect(stream.written).toBe("");
    expect(stream.listenerCount("resize")).toBe(0);
  });
});

/**
 * What a terminal shows once it took `written`: the lines from the first one written (scrollback
 * included), for the cursor movements and erasures log-update and the display write. Colours and
 * the cursor's visibility are not kept; no line is wider than the terminal in these tests.
 */
function screenOf(written: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  let column = 0;
  const put = (line: string, at: number, text: string) =>
    line.padEnd(at).slice(0, at) + text + line.slice(at + text.length);
  // eslint-disable-next-line no-control-regex
  const pattern = /\u001b\[(\??)(\d*)([A-Za-z])|\n|\r|[^\u001b\n\r]+/g;
  for (const match of written.matchAll(pattern)) {
    const [token, , count, code] = match;
    if (token === "\n") {
      row++;
      column = 0;
      if (row === lines.length) lines.push("");
    } else if (token === "\r") column = 0;
    else if (code === undefined) {
      lines[row] = put(lines[row] ?? "", column, token);
      column += [...token].length;
    } else if (code === "A") row = Math.max(0, row - Number(count || 1));
    else if (code === "B") row = Math.min(lines.length - 1, row + Number(count || 1));
    else if (code === "G") column = 0;
    else if (code === "K") lines[row] = count === "2" ? "" : (lines[row] ?? "").slice(0, column);
  }
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  return lines.map((l) => l.trimEnd());
}

describe("live display: other lines on stderr", () => {
  it("writes log lines above the frame, whole, and never into it; an unfinished one after the last frame", async () => {
    const plan = await startupPlan();
    const { stream, io } = fakeTerminal(70, 12);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    io.stderr.write("before the run\n");
    const display = liveDisplay(io, { refreshMs: 60_000, now: () => 0 });
    display.listener({ type: "run-start", map: "app", steps: plan.steps.length, time: 0, plan: plan.steps });
    // A logger writes through io.stderr: the line at once where the frame was, the frame again
    // below it with the next turn.
    io.stderr.write("[00:00:00.001] INFO: apply started\n");
    expect(screenOf(stream.written)).toEqual(["before the run", "[00:00:00.001] INFO: apply started"]);
    await turn();
    expect(screenOf(stream.written).slice(1, 3)).toEqual([
      "[00:00:00.001] INFO: apply started",
      expect.stringMatching(/^\[\+\] 0\/5 running, map app /),
    ]);
    for (const [index, step] of plan.steps.entries()) {
      display.listener({ type: "step-start", step, time: index });
      // A line in pieces is written once whole; two lines of one turn cost one redraw.
      io.stderr.write(`[00:00:00.00${index}] DEBUG: `);
      io.stderr.write(`step started ${step.id}\n`);
      io.stderr.write(`[00:00:00.00${index}] DEBUG: engine call ${index}\n`);
      await turn();
      display.listener({ type: "step-done", step, time: index + 1, durationMs: 1 });
    }
    display.listener({ type: "run-done", time: 50, ok: true, interrupted: false, durationMs: 50 });
    io.stderr.write("[00:00:00.050] INFO: apply finished\n");
    io.stderr.write("an unfinished line");
    display.finish();
    // stderr is the terminal's again.
    expect(io.stderr).toBe(stream);

    const screen = screenOf(stream.written);
    const frameStart = screen.findIndex((l) => l.startsWith("[+] "));
    expect(screen.filter((l) => l.startsWith("[+] "))).toEqual([expect.stringMatching(/^\[\+\] 5\/5 done/)]);
    expect(screen.slice(0, frameStart)).toEqual([
      "before the run",
      "[00:00:00.001] INFO: apply started",
      ...plan.steps.flatMap((step, index) => [
        `[00:00:00.00${index}] DEBUG: step started ${step.id}`,
        `[00:00:00.00${index}] DEBUG: engine call ${index}`,
      ]),
      "[00:00:00.050] INFO: apply finished",
    ]);
    // The final frame whole below them: its header, a row per object, then the unfinished line.
    const frame = screen.slice(frameStart);
    expect(frame.slice(1, -1).every((l) => /^ ✔ (Container|Network) /.test(l))).toBe(true);
    expect(frame.slice(1, -1)).toHaveLength(5);
    expect(frame.at(-1)).toBe("an unfinished line");
  });

  it("keeps a log line written just before a resize: the frame erased for it is not erased again", async () => {
    const plan = await startupPlan();
    const { stream, io } = fakeTerminal(70, 12);
    const display = liveDisplay(io, { refreshMs: 60_000, now: () => 0 });
    display.listener({ type: "run-start", map: "app", steps: plan.steps.length, time: 0, plan: plan.steps });
    io.stderr.write("a log line\n");
    stream.columns = 40;
    stream.emit("resize");
    display.finish();
    const screen = screenOf(stream.written);
    expect(screen[0]).toBe("a log line");
    expect(screen[1]).toMatch(/^\[\+\] 0\/5 done/);
  });

  it("leaves stderr alone off the live display (plain, json, quiet)", () => {
    for (const mode of ["plain", "json", "quiet"] as const) {
      const { stream, io } = fakeTerminal(70, 12);
      const renderer = progressRenderer(mode, io);
      renderer.listener({ type: "run-start", map: "app", steps: 0, time: 0, plan: [] });
      expect(io.stderr).toBe(stream);
      io.stderr.write("log line\n");
      expect(stream.written).toContain("log line\n");
      renderer.finish();
    }
  });
});

describe("live display: Ctrl-C", () => {
  it("draws below the interrupt notice, also when it comes after the run's end", async () => {
    const plan = await startupPlan();
    const { stream, io } = fakeTerminal(70, 12);
    const interrupt = new AbortController();
    io.signal = interrupt.signal;
    const display = liveDisplay(io, { refreshMs: 60_000, now: () => 0 });
    display.listener({ type: "run-start", map: "app", steps: plan.steps.length, time: 0, plan: plan.steps });
    display.listener({ type: "run-done", time: 10, ok: false, interrupted: true, durationMs: 10 });
    // As main.ts does: the notice, then the abort.
    stream.write("\ninterrupt: letting running steps finish (Ctrl-C again to exit now)\n");
    interrupt.abort();
    stream.written = "";
    display.finish();
    // A fresh frame: no cursor moved up over the notice, nothing erased.
    expect(stream.written).toContain("[+] 0/5 done");
    expect(stream.written).not.toContain("\u001b[1A");
    expect(stream.written).not.toContain("\u001b[2K");
  });
});

describe("live display: a narrower terminal", () => {
  it("counts the lines a frame takes once the terminal wrapped it", () => {
    expect(wrappedHeight(["x".repeat(69), "ab", "\u001b[32m✔\u001b[0m ok"], 30)).toBe(3 + 1 + 1);
  });
});

describe("progress modes", () => {
  const step: Step = {
    id: "pull-image:default/db:1",
    type: "pull-image",
    object: { kind: "image", name: "db:1", client: "default" },
    after: [],
    image: "db:1",
  };

  function capture(env: Record<string, string>, isTTY: boolean) {
    let text = "";
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { isTTY, write: (t: string) => (text += t) },
      env,
      cwd: "/",
    };
    return { io, text: () => text };
  }

  it("keeps plain lines with NO_COLOR or TERM=dumb on a terminal, and off a terminal", () => {
    for (const [env, tty] of [
      [{ NO_COLOR: "1" }, true],
      [{ TERM: "dumb" }, true],
      [{}, false],
    ] as const) {
      const out = capture(env, tty);
      const renderer = progressRenderer("auto", out.io);
      renderer.listener({ type: "run-start", map: "app", steps: 1, time: 0, plan: [step] });
      renderer.listener({ type: "step-start", step, time: 0 });
      renderer.listener({ type: "step-output", step, time: 1, line: "Downloading 1MB/2MB", transient: true });
      renderer.listener({ type: "step-output", step, time: 2, line: "Pull complete" });
      renderer.finish();
      // eslint-disable-next-line no-control-regex
      expect(out.text().replace(/\u001b\[[0-9;]*m/g, "")).toBe(
        "applying 1 step(s) to map app\nstart   pull image db:1\ndb:1 | Pull complete\n",
      );
    }
  });

  it("leaves the plan's steps out of JSON events", () => {
    const out = capture({}, false);
    progressRenderer("json", out.io).listener({
      type: "run-start",
      map: "app",
      steps: 1,
      time: 7,
      plan: [step],
    });
    expect(JSON.parse(out.text())).toEqual({ type: "run-start", map: "app", steps: 1, time: 7 });
  });
});
