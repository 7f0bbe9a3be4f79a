/** Docker Hub references are listed without `docker.io/` and `library/`; so are berth's. */
export function normalizeImageReference(reference: string): string {
  let ref = reference;
  if (ref.startsWith("docker.io/")) ref = ref.slice("docker.io/".length);
  if (ref.startsWith("library/")) ref = ref.slice("library/".length);
  const lastSlash = ref.lastIndexOf("/");
  if (!ref.includes("@") && ref.indexOf(":", lastSlash + 1) < 0) ref = `${ref}:latest`;
  return ref;
}
