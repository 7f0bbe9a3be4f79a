import { describe, expect, it } from "vitest";
import { maskRequest } from "../../../src/cli/global-options.js";

/** What `--log-level trace` writes of a request: its secrets masked, whatever their form. */
describe("maskRequest (trace logs of engine requests)", () => {
  const secrets = ['p"ss\\word', "abc", "line one\nline two"];
  const listed = ["PIN"];
  const request = {
    Env: ['DB_PASSWORD=p"ss\\word', "PIN=abc", "PLAIN=visible", "NOTE=line one\nline two"],
    Cmd: ["sh", "-c", 'echo p"ss\\word'],
    Labels: { note: "abc is short" },
  };

  it("masks sensitive Env entries by name, other secrets in every string, before JSON escaping", () => {
    const text = JSON.stringify(maskRequest(request, listed, secrets));
    expect(text).toContain("DB_PASSWORD=(sensitive)");
    expect(text).toContain("PIN=(sensitive)");
    expect(text).toContain("PLAIN=visible");
    expect(text).toContain('"NOTE=(sensitive)"');
    expect(text).toContain('"echo (sensitive)"');
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    // A three-character secret inside another text withholds that text, not the request.
    expect(text).toContain("withheld");
    expect(text).not.toContain("abc");
  });

  it("masks build arguments by name in the build's buildargs query", () => {
    const query = {
      t: "img:1",
      buildargs: JSON.stringify({ TOKEN: 'p"ss\\word', PIN: "abc", VERSION: "2" }),
    };
    const text = JSON.stringify(maskRequest(query, listed, secrets));
    expect(text).toContain("VERSION");
    for (const secret of secrets) expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(text).not.toContain("abc");
  });
});
