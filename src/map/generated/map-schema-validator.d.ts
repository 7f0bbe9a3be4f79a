// Types of the generated validator (scripts/compile-schema.mjs).
import type { ErrorObject } from "ajv";

/** Whether a value is a valid map file; on `false`, `errors` holds ajv's errors. */
declare const validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
export default validate;
export { validate };
