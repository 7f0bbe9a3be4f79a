import { describe, expect, it } from "vitest";
import { registryAuthFor, registryOf } from "../../../src/engine/registry-auth.js";

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");

describe("registry credentials from the Docker config file", () => {
  it("finds the registry of an image reference", () => {
    expect(registryOf("nginx:1.25")).toBe("https://index.docker.io/v1/");
    expect(registryOf("library/nginx")).toBe("https://index.docker.io/v1/");
    expect(registryOf("registry.example.com/app:1")).toBe("registry.example.com");
    expect(registryOf("127.0.0.1:5000/app")).toBe("127.0.0.1:5000");
    expect(registryOf("localhost/app")).toBe("localhost");
  });

  it("reads `auths` entries (basic auth, identity token), Docker Hub under its usual keys", () => {
    const config = {
      auths: {
        "registry.example.com": { auth: basic("ann", "pa:ss") },
        "https://index.docker.io/v1/": { auth: basic("hub", "hubpw") },
        "tokens.example.com": { identitytoken: "tok" },
      },
    };
    expect(registryAuthFor("registry.example.com/app:1", config)).toEqual({
      username: "ann",
      password: "pa:ss",
      serveraddress: "registry.example.com",
    });
    expect(registryAuthFor("nginx", config)).toMatchObject({ username: "hub", password: "hubpw" });
    expect(registryAuthFor("tokens.example.com/x", config)).toEqual({
      identitytoken: "tok",
      serveraddress: "tokens.example.com",
    });
    expect(registryAuthFor("other.example.com/x", config)).toBeUndefined();
  });

  it("asks the registry's credential helper first, then the default credsStore", () => {
    const asked: string[] = [];
    const helper = (name: string, registry: string) => {
      asked.push(`${name}:${registry}`);
      return name === "pass" ? { Username: "u", Secret: "s" } : undefined;
    };
    const config = {
      credHelpers: { "registry.example.com": "pass" },
      credsStore: "desktop",
      auths: { "other.example.com": { auth: basic("a", "b") } },
    };
    expect(registryAuthFor("registry.example.com/app", config, helper)).toEqual({
      username: "u",
      password: "s",
      serveraddress: "registry.example.com",
    });
    // The store knows nothing of this one: the auths entry is used.
    expect(registryAuthFor("other.example.com/app", config, helper)).toMatchObject({
      username: "a",
      password: "b",
    });
    expect(asked).toEqual(["pass:registry.example.com", "desktop:other.example.com"]);
  });

  it("turns a helper's <token> answer into an identity token", () => {
    const config = { credsStore: "store" };
    expect(
      registryAuthFor("r.example.com/x", config, () => ({ Username: "<token>", Secret: "t0k" })),
    ).toEqual({
      identitytoken: "t0k",
      serveraddress: "r.example.com",
    });
  });
});

describe("Docker Hub under its other names (docker.io/…, library/…)", () => {
  const config = {
    auths: { "https://index.docker.io/v1/": { auth: basic("hub", "hubpw") } },
  };

  it("finds the https://index.docker.io/v1/ entry of `auths` for docker.io/ and bare library/ images", () => {
    for (const image of [
      "docker.io/library/nginx:1",
      "index.docker.io/library/nginx",
      "library/nginx",
      "nginx",
    ]) {
      expect(registryOf(image), image).toBe("https://index.docker.io/v1/");
      expect(registryAuthFor(image, config), image).toEqual({
        username: "hub",
        password: "hubpw",
        serveraddress: "https://index.docker.io/v1/",
      });
    }
  });

  it("asks the credential helper configured for Hub's key, with Hub's key", () => {
    const asked: string[] = [];
    const helper = (name: string, registry: string) => {
      asked.push(`${name}:${registry}`);
      return { Username: "u", Secret: "s" };
    };
    const helpers = { credHelpers: { "https://index.docker.io/v1/": "hubhelper" } };
    expect(registryAuthFor("docker.io/me/app:2", helpers, helper)).toMatchObject({ username: "u" });
    expect(asked).toEqual(["hubhelper:https://index.docker.io/v1/"]);
  });
});
