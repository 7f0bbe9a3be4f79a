// Runs the CLI from the TypeScript sources (no build): `npx tsx scripts/berth-dev.ts ARGS`.
import { runCli } from "../src/cli/main.js";

process.exitCode = await runCli(process.argv.slice(2));
