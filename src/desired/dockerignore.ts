/**
 * `.dockerignore` rules, as the Docker client applies them when it sends a build context: one
 * pattern per line, `#` comments, `!` re-includes, patterns anchored at the context's root (a
 * leading `/` changes nothing), `*` and `?` within one path part, `**` across parts, and a pattern
 * that matches a folder also matches everything in it. The last pattern that matches decides.
 */

export interface IgnoreRule {
  /** `!pattern`: a match includes the path again. */
  negate: boolean;
  pattern: string;
  regex: RegExp;
  /** Number of path parts in the pattern: a parent folder is tested with that many parts. */
  parts: number;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.startsWith("#")) continue;
    let line = rawLine.trim();
    if (line === "") continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    const pattern = cleanPath(line);
    if (pattern === "") continue;
    rules.push({ negate, pattern, regex: patternRegex(pattern), parts: pattern.split("/").length });
  }
  return rules;
}

/** Whether a context path (slash-separated, relative to the context) is left out of the build. */
export function isIgnored(path: string, rules: readonly IgnoreRule[]): boolean {
  const parts = path.split("/");
  let ignored = false;
  for (const rule of rules) {
    // A rule can only change the outcome: an exclusion of an included path, or a re-inclusion.
    if (rule.negate !== ignored) continue;
    if (ruleMatches(rule, path, parts)) ignored = !rule.negate;
  }
  return ignored;
}

/** Whether any rule re-includes paths: then an ignored folder must still be walked. */
export function hasExceptions(rules: readonly IgnoreRule[]): boolean {
  return rules.some((r) => r.negate);
}

function ruleMatches(rule: IgnoreRule, path: string, parts: readonly string[]): boolean {
  if (rule.regex.test(path)) return true;
  // A pattern naming a folder covers what is inside it: test the path's parents.
  for (let n = 1; n < parts.length; n++) if (rule.regex.test(parts.slice(0, n).join("/"))) return true;
  return false;
}

/** Go's filepath.Clean on a slash path, then without a leading `/`. */
function cleanPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

const REGEX_SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$", "^"]);

/** The pattern as an anchored regular expression over slash-separated paths. */
export function patternRegex(pattern: string): RegExp {
  let out = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++;
        // `**` at the end takes everything; elsewhere any number of folders, none included.
        out += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) out += escapeChar(pattern[++i] as string);
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end);
        out += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else out += REGEX_SPECIAL.has(c) ? `\\${c}` : c;
  }
  return new RegExp(`${out}$`);
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
