import { commandOf } from "./argv.js";
import { EXIT } from "./exit-codes.js";

/**
 * The last guard against a false success. Node ends a process when it has nothing left to do,
 * with exit code 0, even when the command's promise never settled: a call whose callback never
 * comes (as docker-modem's did for an answer cut off mid-body) used to end a half-done run with 0.
 * While a command runs, this guard turns such an end into exit 1 and says so.
 */
export interface RunGuard {
  /** The command reached its end (with any exit code): the guard stands down. */
  finished(): void;
}

export function guardUnfinishedRun(argv: readonly string[]): RunGuard {
  const command = commandOf(argv) ?? "berth";
  const onBeforeExit = () => {
    process.off("beforeExit", onBeforeExit);
    process.stderr.write(
      `berth stopped before finishing \`${command}\`: it was left waiting for something that ` +
        "never came (an engine call that never ended); what it did before stays done — run it again, " +
        "it looks at the engine afresh\n",
    );
    process.exitCode = EXIT.error;
  };
  process.on("beforeExit", onBeforeExit);
  return { finished: () => process.off("beforeExit", onBeforeExit) };
}
