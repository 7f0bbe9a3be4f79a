#!/usr/bin/env node
import { createRequire } from "node:module";
import { startEarly } from "../dist/berth-early.mjs";

const argv = process.argv.slice(2);
// Before loading berth: the engine answers its lists while Node loads berth and berth reads the map.
const earlyLists = await startEarly(argv, process.env);
const { main, exitWhenWritten } = createRequire(import.meta.url)("../dist/berth-cli.cjs");
await exitWhenWritten(await main(argv, earlyLists));
