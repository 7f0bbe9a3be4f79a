import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contextId } from "../../src/engine/docker-context.js";

export interface FakeContext {
  host: string;
  skipTls?: boolean;
  /** TLS files to write (`ca.pem`, `cert.pem`, `key.pem`); each holds a line naming it. */
  tls?: string[];
}

/**
 * A docker CLI config folder (for DOCKER_CONFIG) with contexts, as `docker context create` leaves
 * it, and a way to remove every folder made.
 */
export function fakeDockerConfigs(): {
  make(contexts: Record<string, FakeContext>, current?: string): string;
  removeAll(): void;
} {
  const folders: string[] = [];
  return {
    make(contexts, current) {
      const folder = mkdtempSync(join(tmpdir(), "berth-docker-config-"));
      folders.push(folder);
      if (current !== undefined)
        writeFileSync(join(folder, "config.json"), JSON.stringify({ currentContext: current }));
      for (const [name, context] of Object.entries(contexts)) {
        const meta = join(folder, "contexts", "meta", contextId(name));
        mkdirSync(meta, { recursive: true });
        writeFileSync(
          join(meta, "meta.json"),
          JSON.stringify({
            Name: name,
            Metadata: {},
            Endpoints: { docker: { Host: context.host, SkipTLSVerify: context.skipTls ?? false } },
          }),
        );
        if (context.tls !== undefined) {
          const tls = join(folder, "contexts", "tls", contextId(name), "docker");
          mkdirSync(tls, { recursive: true });
          for (const file of context.tls) writeFileSync(join(tls, file), `${file} of ${name}`);
        }
      }
      return folder;
    },
    removeAll() {
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    },
  };
}
