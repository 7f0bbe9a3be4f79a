import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  describeEndpoint,
  dockerContextEndpoint,
  resolveDockerEndpoint,
  socketPathOf,
} from "../../../src/engine/docker-context.js";
import { connectionOptions } from "../../../src/engine/docker-engine.js";
import { fakeDockerConfigs } from "../../helpers/docker-config.js";

const configs = fakeDockerConfigs();
const dockerConfig = configs.make.bind(configs);
afterAll(() => configs.removeAll());

describe("which engine the default client is (the docker CLI's precedence)", () => {
  const config = dockerConfig(
    {
      current: { host: "unix:///run/current.sock" },
      fromEnv: { host: "unix:///run/from-env.sock" },
      flag: { host: "unix:///run/flag.sock" },
    },
    "current",
  );
  const env = { DOCKER_CONFIG: config };

  it("--host > --context > DOCKER_HOST > DOCKER_CONTEXT > currentContext > default socket", () => {
    const full = { ...env, DOCKER_HOST: "unix:///run/docker-host.sock", DOCKER_CONTEXT: "fromEnv" };
    expect(resolveDockerEndpoint({ host: "unix:///run/h.sock" }, full)).toMatchObject({
      host: "unix:///run/h.sock",
      source: "--host",
    });
    expect(resolveDockerEndpoint({ context: "flag" }, full)).toMatchObject({
      host: "unix:///run/flag.sock",
      source: "--context",
      context: "flag",
    });
    expect(resolveDockerEndpoint({}, full)).toMatchObject({ host: "unix:///run/docker-host.sock" });
    expect(resolveDockerEndpoint({}, { ...env, DOCKER_CONTEXT: "fromEnv" })).toMatchObject({
      host: "unix:///run/from-env.sock",
      source: "DOCKER_CONTEXT",
    });
    expect(resolveDockerEndpoint({}, env)).toMatchObject({
      host: "unix:///run/current.sock",
      source: "currentContext",
      context: "current",
    });
    const bare = resolveDockerEndpoint({}, { DOCKER_CONFIG: dockerConfig({}) });
    expect(bare.source).toBe("default socket");
    expect(socketPathOf(bare)).toMatch(/docker\.sock$/);
  });

  it("refuses --host with --context, as the docker CLI does", () => {
    expect(() => resolveDockerEndpoint({ host: "unix:///a.sock", context: "flag" }, env)).toThrow(
      /conflicting options/,
    );
  });

  it("the context named `default` is the environment's engine", () => {
    expect(dockerContextEndpoint("default", { DOCKER_HOST: "tcp://10.1.2.3:2375" }).host).toBe(
      "tcp://10.1.2.3:2375",
    );
    expect(resolveDockerEndpoint({ context: "default" }, env).host).toMatch(/^unix:\/\/.*docker\.sock$/);
  });

  it("a missing context is an error naming it and where its name came from", () => {
    expect(() => resolveDockerEndpoint({}, { ...env, DOCKER_CONTEXT: "nowhere" })).toThrow(
      /Docker context `nowhere` \(from DOCKER_CONTEXT\) does not exist/,
    );
    const brokenCurrent = dockerConfig({}, "gone");
    expect(() => resolveDockerEndpoint({}, { DOCKER_CONFIG: brokenCurrent })).toThrow(
      /Docker context `gone` \(the current context of the docker CLI's config.json\) does not exist/,
    );
  });

  it("takes a context's TLS material and SkipTLSVerify, and names its files for dockerode", () => {
    const tlsConfig = dockerConfig({
      secure: { host: "tcp://engine.example:2376", tls: ["ca.pem", "cert.pem", "key.pem"] },
      insecure: { host: "tcp://engine.example:2376", skipTls: true },
    });
    const secure = dockerContextEndpoint("secure", { DOCKER_CONFIG: tlsConfig });
    expect(secure.tls).toMatchObject({ skipVerify: false });
    expect(secure.tls?.ca).toMatch(/contexts\/tls\/[0-9a-f]{64}\/docker\/ca\.pem$/);
    const options = connectionOptions(secure) as Record<string, unknown>;
    expect(options).toMatchObject({ host: "engine.example", port: 2376, protocol: "https" });
    expect(String(options.ca)).toBe("ca.pem of secure");
    expect(String(options.key)).toBe("key.pem of secure");
    const insecure = connectionOptions(dockerContextEndpoint("insecure", { DOCKER_CONFIG: tlsConfig }));
    expect(insecure).toMatchObject({ protocol: "https" });
    expect(
      (insecure as { agent?: { options?: { rejectUnauthorized?: boolean } } }).agent?.options,
    ).toMatchObject({
      rejectUnauthorized: false,
    });
  });

  it("DOCKER_HOST with DOCKER_TLS_VERIFY takes the certificates of DOCKER_CERT_PATH", () => {
    const certs = dockerConfig({});
    for (const file of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(certs, file), file);
    const endpoint = resolveDockerEndpoint(
      {},
      { DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs },
    );
    expect(endpoint.tls).toEqual({
      ca: join(certs, "ca.pem"),
      cert: join(certs, "cert.pem"),
      key: join(certs, "key.pem"),
      skipVerify: false,
    });
  });

  it("an ssh host is dialled over ssh, with its user and port; the environment never overrides a socket", () => {
    const ssh = dockerConfig({ remote: { host: "ssh://deploy@build.example:2222" } });
    expect(connectionOptions(dockerContextEndpoint("remote", { DOCKER_CONFIG: ssh }))).toMatchObject({
      protocol: "ssh",
      host: "build.example",
      port: 2222,
      username: "deploy",
    });
    // dockerode fills unset settings from DOCKER_HOST: they are given, as undefined.
    const socket = connectionOptions({ host: "unix:///run/x.sock", source: "--host" });
    expect(socket).toMatchObject({ socketPath: "/run/x.sock" });
    expect("host" in socket && socket.host === undefined).toBe(true);
  });

  it("messages name the context and where it came from", () => {
    expect(describeEndpoint({ host: "unix:///x.sock", source: "DOCKER_CONTEXT", context: "ci" })).toBe(
      "unix:///x.sock (Docker context `ci`, from DOCKER_CONTEXT)",
    );
  });
});
