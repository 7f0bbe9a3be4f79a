import {
  checkEnv,
  checkExecs,
  checkHealth,
  checkImage,
  checkLimits,
  checkProcess,
  checkState,
  show,
  type ContainerCheck,
} from "./container-checks.js";
import type { EngineWorld } from "./engine-facts.js";
import type { ExpectedMap, ExpectedVolume } from "./expected-map.js";
import { expectedFolderMode, expectedOwner, modeMatches, octal } from "./file-mode.js";
import { checkLinks, checkMounts, checkNetworks, checkPorts } from "./wiring-checks.js";

const CONTAINER_CHECKS: ((check: ContainerCheck) => string[])[] = [
  checkState,
  checkImage,
  checkEnv,
  checkProcess,
  checkMounts,
  checkPorts,
  checkNetworks,
  checkLinks,
  checkLimits,
  checkHealth,
  checkExecs,
];

/**
 * Every difference between what the map asks and what the engine runs, one sentence each
 * (`container X: env FOO is "a", map says "b"`); empty when the engine runs exactly the map.
 */
export function compareWorld(map: ExpectedMap, world: EngineWorld): string[] {
  const problems: string[] = [];
  for (const expected of map.containers) {
    const facts = world.containers.get(expected.name);
    if (facts === undefined) {
      problems.push(`container ${expected.name}: does not exist`);
      continue;
    }
    const check: ContainerCheck = { map, world, expected, facts };
    for (const run of CONTAINER_CHECKS) {
      problems.push(...run(check).map((text) => `container ${expected.name}: ${text}`));
    }
  }
  const names = new Set(map.containers.map((c) => c.name));
  for (const name of world.namedLikeMap) {
    if (!names.has(name)) problems.push(`container ${name}: exists, map has no such container`);
  }
  for (const volume of map.volumes)
    problems.push(...checkVolume(map, world, volume).map((t) => `volume ${volume.name}: ${t}`));
  for (const network of map.networks) {
    const seen = world.networks.get(network.name);
    if (seen === undefined) problems.push(`network ${network.name}: does not exist`);
    else if (seen.Driver !== network.driver)
      problems.push(`network ${network.name}: driver is ${seen.Driver}, map says ${network.driver}`);
    else if (seen.Internal !== network.internal)
      problems.push(`network ${network.name}: internal is ${seen.Internal}, map says ${network.internal}`);
  }
  return problems;
}

/** The owner and mode the map asks of an attached volume: the volume's own, else its owner's. */
export function volumeRequest(
  map: ExpectedMap,
  volume: ExpectedVolume,
): { user?: string; permissions?: string } {
  const owner = map.containers.find((c) => c.config === volume.owner || c.key === volume.owner);
  const user = volume.user ?? owner?.user;
  const permissions = volume.permissions ?? owner?.permissions;
  return { ...(user === undefined ? {} : { user }), ...(permissions === undefined ? {} : { permissions }) };
}

function checkVolume(map: ExpectedMap, world: EngineWorld, volume: ExpectedVolume): string[] {
  const seen = world.volumes.get(volume.name);
  if (seen === undefined) return ["does not exist"];
  if (seen.Driver !== volume.driver) return [`driver is ${seen.Driver}, map says ${volume.driver}`];
  const folder = seen.folder;
  if (folder === undefined) return [];
  const request = volumeRequest(map, volume);
  const problems: string[] = [];
  if (request.user !== undefined) {
    const owner = expectedOwner(request.user);
    const uidWrong = owner.uid !== undefined && owner.uid !== folder.uid;
    const gidWrong = owner.gid !== undefined && owner.gid !== folder.gid;
    if (uidWrong || gidWrong) {
      problems.push(`owner is ${folder.uid}:${folder.gid}, map says ${show(request.user)}`);
    }
  }
  if (request.permissions !== undefined) {
    const mode = expectedFolderMode(request.permissions);
    if (mode !== undefined && !modeMatches(folder.mode, mode)) {
      problems.push(`mode is ${octal(folder.mode)}, map says ${show(request.permissions)}`);
    }
  }
  return problems;
}
