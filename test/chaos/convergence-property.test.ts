import { appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { tempFolder } from "../helpers/cli.js";
import { actionArbitrary, ALL_ACTIONS, HANDLED_ACTIONS } from "../helpers/checker/property-model.js";
import {
  describeSequence,
  failureSignature,
  runSequence,
  shrinkFailure,
  type SequenceFailure,
} from "../helpers/checker/property-runner.js";
import { freePort } from "../helpers/plan-json.js";

/**
 * Issue 14, the convergence property on the real engine — the long campaign (`npm run chaos`):
 * random sequences of map edits (env, ports, volume owner and mode, mem_limit, links, network_mode,
 * instances, exec commands) and hand-made drift (docker stop / rm / update / network disconnect /
 * restart, an image tag moved, `berth restart`), known defects included. After every action
 * `berth update` must leave the engine exactly as the map says (the independent checker finds
 * nothing) and the next plan must be empty. Every failing sequence is shrunk (one of each kind)
 * and printed as a finding.
 *
 * BERTH_CHAOS_CONVERGENCE_RUNS (default 20), _ACTIONS (6), _SEED (fixed) and _MINUTES (a time
 * limit after which no new sequence or shrink starts, default 10) bound it. Findings are printed as
 * they are found, and written to FINDINGS_FILE. BERTH_CHAOS_CONVERGENCE_SET=handled draws only the
 * actions berth handles today (as the fast subset does), to look past the known defects.
 */
const setting = (name: string, fallback: number) =>
  Number(process.env[`BERTH_CHAOS_CONVERGENCE_${name}`] ?? fallback);
const RUNS = setting("RUNS", 20);
const ACTIONS = setting("ACTIONS", 6);
const SEED = setting("SEED", 1414);
const MINUTES = setting("MINUTES", 10);
const SHRINK_BUDGET_MS = 120_000;
const ACTION_SET = process.env.BERTH_CHAOS_CONVERGENCE_SET === "handled" ? HANDLED_ACTIONS : ALL_ACTIONS;
const FINDINGS_FILE = join(tmpdir(), "berth-convergence-findings.txt");

const folder = tempFolder("convergence-chaos");
afterAll(() => folder.remove());

describe("the convergence property (campaign)", () => {
  it(
    "after every map edit or drift, update converges and the next plan is empty",
    async () => {
      const context = { dir: folder.dir, ports: [await freePort(), await freePort(), await freePort()] };
      const sequences = fc.sample(
        fc.array(actionArbitrary(ACTION_SET, context.ports.length), {
          minLength: ACTIONS,
          maxLength: ACTIONS,
        }),
        { numRuns: RUNS, seed: SEED },
      );
      const deadline = Date.now() + MINUTES * 60_000;
      const findings = new Map<string, SequenceFailure & { seen: number }>();
      writeFileSync(FINDINGS_FILE, `seed ${SEED}, ${ACTIONS} actions a sequence\n`);
      let ran = 0;
      for (const actions of sequences) {
        if (Date.now() > deadline) break;
        ran++;
        const failure = await runSequence(actions, context);
        console.error(
          `sequence ${ran}/${RUNS}: ${failure === undefined ? "converged" : failureSignature(failure)}`,
        );
        if (failure === undefined) continue;
        const signature = failureSignature(failure);
        const known = findings.get(signature);
        if (known !== undefined) {
          known.seen++;
          continue;
        }
        const budget = Math.min(SHRINK_BUDGET_MS, deadline - Date.now());
        const shrunk = budget > 0 ? await shrinkFailure(failure, context, budget) : failure;
        findings.set(signature, { ...shrunk, seen: 1 });
        const text = `finding ${findings.size} (sequence ${ran}):\n${describeSequence(shrunk)}\n`;
        console.error(text);
        appendFileSync(FINDINGS_FILE, `\n${text}`);
      }
      const report = [...findings.values()].map(
        (f, i) => `finding ${i + 1} (failed ${f.seen} of ${ran} sequences):\n${describeSequence(f)}`,
      );
      console.log(
        `convergence campaign: ${ran} sequences of ${ACTIONS} actions (seed ${SEED}), ${findings.size} finding(s)\n${report.join("\n\n")}`,
      );
      expect(report).toEqual([]);
    },
    20 * 60_000,
  );
});
