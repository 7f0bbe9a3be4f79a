import type { GeneratedBuild } from "../map/model.js";

/**
 * A Dockerfile written in the map as data (`build: {from: …}`), turned into Dockerfile text.
 * Instructions come in a fixed order so the text (and so the build's hash) depends only on the
 * data: FROM, ENV, WORKDIR, ADD, COPY, RUN, EXPOSE, VOLUME, USER, ENTRYPOINT, CMD.
 */
export function generateDockerfile(spec: GeneratedBuild): string {
  const lines = [`FROM ${spec.from}`];
  const env = Object.entries(spec.env);
  if (env.length > 0) lines.push(`ENV ${env.map(([name, value]) => `${name}=${quoted(value)}`).join(" ")}`);
  if (spec.workdir !== undefined) lines.push(`WORKDIR ${spec.workdir}`);
  for (const file of spec.add) lines.push(`ADD ${json([file.contextPath, file.dest])}`);
  for (const file of spec.copy) lines.push(`COPY ${json([file.contextPath, file.dest])}`);
  for (const run of spec.run) lines.push(`RUN ${runArguments(run)}`);
  if (spec.expose.length > 0) lines.push(`EXPOSE ${spec.expose.join(" ")}`);
  if (spec.volumes.length > 0) lines.push(`VOLUME ${json(spec.volumes)}`);
  if (spec.user !== undefined) lines.push(`USER ${spec.user}`);
  if (spec.entrypoint !== undefined) lines.push(`ENTRYPOINT ${json(spec.entrypoint)}`);
  if (spec.cmd !== undefined) lines.push(`CMD ${json(spec.cmd)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * A `run` line as RUN's arguments. A one-line shell command is written as is (so the builder's
 * log shows it as written); one the Dockerfile's grammar would read otherwise — a line break, a
 * trailing backslash (a continuation), a leading `[` (the exec form) — goes through `/bin/sh -c`
 * in the exec form, whose JSON keeps every character. A list is the exec form itself.
 */
function runArguments(run: string | readonly string[]): string {
  if (typeof run !== "string") return json(run);
  const plain =
    !/[\r\n]/.test(run) && !/\\\s*$/.test(run) && !run.trimStart().startsWith("[") && run.trim() !== "";
  return plain ? run.trim() : json(["/bin/sh", "-c", run]);
}

const json = (words: readonly string[]) => JSON.stringify(words);

/** An ENV value in double quotes: the quote and the backslash escaped; `$NAME` still substituted. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
