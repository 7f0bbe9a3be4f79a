import { describe, expect, it } from "vitest";
import { expectOne, problemsOf, web } from "../../helpers/map-problems.js";

/**
 * Values the schema used to accept and the engine refuses (each was half-applied or never
 * converged). Every refusal below was seen on the test engine (API 1.41) with a throwaway
 * container; each map must now fail validation at the line and column of the value.
 */

describe("numbers the engine cannot take", () => {
  it('stop_timeout 1e308 and 1e23 ("delay … Received Infinity", "cannot unmarshal number")', () => {
    expectOne(web("  stop_timeout: 1e308\n"), "3:17", "at most 86400");
    expectOne(web("  stop_timeout: 1e23\n"), "3:17", "at most 86400");
    expectOne(web("  create_options:\n    stop_timeout: 1e23\n"), "4:19", "at most 86400");
  });

  it("a duration string longer than a day", () => {
    expectOne(web("  stop_timeout: 999999h\n"), "3:17", "stop_timeout is longer than 24h");
  });

  it('a health-check interval under 1 ms ("Interval in Healthcheck cannot be less than 1ms")', () => {
    expectOne(
      web('  healthcheck:\n    test: [CMD, "true"]\n    interval: 10us\n'),
      "4:5",
      "interval is shorter than 1ms",
    );
  });

  it('cpu shares of 1 ("the minimum allowed cpu-shares is 2") and memory under 6 MB', () => {
    expectOne(web("  host_config:\n    cpu_shares: 1\n"), "4:17", "at least 2, found 1");
    expectOne(web("  host_config:\n    mem_limit: 1m\n"), "4:5", "below the engine's minimum of 6MB");
    expectOne(web("  host_config:\n    memswap_limit: 1g\n"), "4:5", "memswap_limit needs mem_limit");
  });

  it('a uid above 2147483647 ("uids and gids must be in range 0-2147483647")', () => {
    expectOne(web("  user: 4294967296\n"), "3:9", "at most 2147483647, found 4294967296");
    expectOne(web('  user: "1000:4294967296"\n'), "3:9", "uid or gid 4294967296 is out of range");
  });

  it("an instance number too large to stay a plain number", () => {
    expectOne(web("  instances: [1e308]\n"), "3:15", "at most 9007199254740991");
  });
});

describe("names and references in the engine's grammar", () => {
  it('an empty environment name ("invalid environment variable: =x")', () => {
    expectOne(web('  environment:\n    "": x\n'), "4:5", "invalid name ``");
    expectOne(web('  environment: ["=x"]\n'), "3:17", "the name not empty");
  });

  it("an environment name with `=` (the container got A=B=x while the plan said no changes)", () => {
    expectOne(web("  environment:\n    A=B: x\n"), "4:5", "invalid name `A=B`");
  });

  it("a NUL in an environment value (the container can never start)", () => {
    expectOne(web('  environment:\n    A: "x\\0y"\n'), "4:8", "without NUL characters");
  });

  it("a label in berth's own namespace (berth's label would win and the plan never converge)", () => {
    expectOne(web("  labels:\n    berth.map: other\n"), "4:5", "invalid name `berth.map`");
  });

  it('network_mode "container:" without a name ("invalid container format container:<name|id>")', () => {
    expectOne(web('  network_mode: "container:"\n'), "3:17", "`container:<name or id>`");
  });

  it('images the engine cannot parse ("invalid reference format")', () => {
    expectOne(web("").replace("berth-test/base:1", '"a b:c"'), "2:10", "expected an image reference");
    expectOne(
      web("").replace("berth-test/base:1", "Berth-test/base:1"),
      "2:10",
      "expected an image reference",
    );
    expectOne(web("").replace("berth-test/base:1", "base:-1"), "2:10", "expected an image reference");
    expectOne("repository: Registry\nweb: {image: base}\n", "1:13", "repository path");
    expectOne("default_tag: -x\nweb: {image: base}\n", "1:14", "a tag of letters");
  });

  it("an image taken from an upper-case config name", () => {
    expectOne("Web: {}\n", "1:1", "invalid image `Web:latest` (the config's name, as no `image` is given)");
  });

  it("names the engine looks up: capabilities, signals, extra hosts", () => {
    expectOne(web("  host_config:\n    cap_add: [NET_ADMN]\n"), "4:5", "unknown capability `NET_ADMN`");
    expectOne(web("  stop_signal: SIGFOO\n"), "3:16", "unknown stop signal `SIGFOO`");
    expectOne(web('  host_config:\n    extra_hosts: ["db:nowhere"]\n'), "4:5", "has no IP address");
    expectOne(web("  host_config:\n    tmpfs: {run: size=1m}\n"), "4:13", "invalid name `run`");
    expectOne(web("  working_dir: app\n"), "3:16", "an absolute path");
  });
});

describe("rules across containers", () => {
  it('one host port published by two containers ("port is already allocated")', () => {
    const text = `${web("  exposes: {80: 8080}\n")}api:\n  image: berth-test/base:1\n  exposes: [[81, 8080]]\n`;
    expectOne(text, "3:13", "host port 8080 of `web` is already published by `api` at m.yaml:6:13");
  });

  it("one host port published by two instances of a config", () => {
    expectOne(
      web("  instances: [a, b]\n  exposes: {80: 8080}\n"),
      "4:13",
      "host port 8080 of `web.b` is already published by `web.a`",
    );
  });

  it("ports on different protocols or different named interfaces do not collide", () => {
    const text = `${web('  exposes: {80: 8080, "80/udp": 8080}\n')}api:\n  image: berth-test/base:1\n  exposes: [[81, 9090, private], [82, 9090, public]]\n`;
    expect(problemsOf(text)).toEqual([]);
  });

  it('a derived hostname over 64 characters ("sethostname: invalid argument")', () => {
    const config = `c${"x".repeat(60)}`;
    expectOne(`name: app\n${config}:\n  image: berth-test/base:1\n`, "2:1", "would be 65 characters");
    expect(problemsOf(`name: app\n${config}:\n  image: berth-test/base:1\n  hostname: short\n`)).toEqual([]);
  });

  it('legacy links to a container only on a user-defined network ("does not belong to the default network")', () => {
    const text = `networks: {app: null}\ndb:\n  image: berth-test/base:1\n  networks: [app]\n${web("  links: db\n")}`;
    expectOne(text, "7:10", "`web` links to `db`, which is not on the default bridge network");
    const bothOnApp = text.replace("  links: db\n", "  networks: [app]\n  links: db\n");
    expect(problemsOf(bothOnApp)).toEqual([]);
  });
});

describe("look-alike and invisible characters", () => {
  it("points at the character, with its code point", () => {
    expectOne(
      "w\u0435b:\n  image: berth-test/base:1\n",
      "1:2",
      "character 2 is U+0435, which looks like `e`",
    );
    expectOne(
      "we\u200bb:\n  image: berth-test/base:1\n",
      "1:3",
      "character 3 is U+200B, an invisible character",
    );
    expectOne(web("  links: w\u0435b\n"), "3:11", "character 2 is U+0435");
  });

  it("counts from the text's first character in a quoted key or value, past the quote", () => {
    expectOne('"w\u0435b":\n  image: berth-test/base:1\n', "1:3", "character 2 is U+0435");
    expectOne(web('  links: "w\u0435b"\n'), "3:12", "character 2 is U+0435");
    expectOne(web("  links: 'w\u0435b'\n"), "3:12", "character 2 is U+0435");
  });
});
