#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts a CommonJS entry sooner than an ES module.
"use strict";
const { runExecutable } = require("../dist/berth-entry.cjs");

void runExecutable(process.argv.slice(2), process.env, () => require("../dist/berth-cli.cjs"));
