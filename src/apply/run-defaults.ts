/**
 * How runs apply steps unless told otherwise: the API's defaults, in one place. The CLI passes
 * only what the command line gives, and shows these in its help.
 */
export const DEFAULT_RUN_OPTIONS = {
  /** Most engine operations at once; health and completion waits take no slot. */
  parallel: 8,
  /** Limit of each `healthy` / `completed` wait. */
  waitTimeoutMs: 120_000,
  /** How long to wait for another run on the same map. */
  lockTimeoutMs: 30_000,
} as const;
