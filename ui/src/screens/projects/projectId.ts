/** The longest project id (it goes into URLs and keychain handles). */
export const MAX_PROJECT_ID = 40;

const SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Why `id` cannot be a project id (null: it can): the server's rule, 1 to 40
 * lowercase letters, digits and inner hyphens. The server still checks.
 */
export function projectIdError(id: string): string | null {
  if (id.length <= MAX_PROJECT_ID && SLUG.test(id)) return null;
  return `A project id is 1 to ${MAX_PROJECT_ID} lowercase letters, digits and inner hyphens (like staging or eu-prod).`;
}

/** A project id made from a name ("EU Prod" → "eu-prod"), for the form to start from. */
export function suggestId(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, MAX_PROJECT_ID)
    .replace(/-+$/, "");
}
