#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts a CommonJS entry sooner than an ES module.
"use strict";
const { join } = require("node:path");
const { runExecutable } = require("../dist/berth-early.cjs");

void runExecutable(process.argv.slice(2), process.env, join(__dirname, "..", "dist", "berth-cli.cjs"));
