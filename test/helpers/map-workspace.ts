import { afterAll } from "vitest";
import type { DockerEngine } from "../../src/engine/docker-engine.js";
import { tempFolder, writeMap } from "./cli.js";
import { removeMapObjects, testEngine, uniqueMapName } from "./engine.js";

export interface MapWorkspace {
  engine: DockerEngine;
  /** The folder the map files are written in. */
  dir: string;
  /** A new map name (prefix + a unique tag) whose engine objects are removed after the file's tests. */
  name(prefix: string): string;
  /** Writes `<mapName>.yaml` in the folder (again, to change the map); returns its path. */
  write(mapName: string, text: string): string;
}

/**
 * A test file's maps: their files in a folder of their own, and after the file's tests, every
 * engine object of those maps removed (found by berth's labels) and the folder deleted — so files
 * run in parallel and touch nothing else on the engine.
 */
export function mapWorkspace(prefix: string): MapWorkspace {
  const engine = testEngine();
  const folder = tempFolder(prefix);
  const maps: string[] = [];
  afterAll(async () => {
    for (const mapName of maps) await removeMapObjects(engine, mapName);
    folder.remove();
  });
  return {
    engine,
    dir: folder.dir,
    name(namePrefix) {
      const mapName = uniqueMapName(namePrefix);
      maps.push(mapName);
      return mapName;
    },
    write: (mapName, text) => writeMap(folder.dir, text, `${mapName}.yaml`),
  };
}
