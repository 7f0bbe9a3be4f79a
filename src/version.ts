import { readFileSync } from "node:fs";

/** berth's version, read once from package.json (one level above src/ and dist/). */
export const BERTH_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
