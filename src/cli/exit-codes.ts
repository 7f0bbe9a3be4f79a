/** Exit codes: 0 success, 1 error, 2 changes present (--detailed-exitcode), 130 interrupted. */
export const EXIT = { ok: 0, error: 1, changes: 2, interrupted: 130 } as const;
