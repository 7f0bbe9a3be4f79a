/** berth's Swarm target, map side: what a swarm manager should run, as pure data. */
export * from "./swarm-types.js";
export { desiredServices, swarmNetworks, type SwarmOptions } from "./desired-services.js";
export {
  serviceChanges,
  recordedSalt,
  decodeServiceRecord,
  SWARM_LABEL,
  type ServiceRecord,
} from "./service-record.js";
export {
  isSwarmClient,
  isSwarmManager,
  swarmManagerOf,
  nodeClientsOf,
  type ClientConfigs,
} from "./swarm-clients.js";
export { dnsLabel, isDnsLabel, serviceNameOf, swarmNetworkNameOf } from "./service-names.js";
export { checkSwarmRules } from "./swarm-rules.js";
export {
  SWARM_CONTAINER_KEYS,
  SWARM_HOST_CONFIG_KEYS,
  SWARM_CREATE_OPTION_KEYS,
  type SwarmTarget,
} from "./swarm-fields.js";
export { SECRETS_FOLDER } from "./service-secrets.js";
export { TASK_HOSTNAME } from "./task-spec.js";
