/**
 * Training job names: SageMaker allows at most 63 characters matching
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, unique per account and region, forever (names of finished
 * jobs stay taken). We build `<prefix>-<yyyymmddHHMMSS>-<4 random>` in lower case, because
 * SageMaker lower-cases names in ARNs and the handler's IAM policy matches `training-job/<prefix>*`.
 */

export const JOB_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const MAX_JOB_NAME_LENGTH = 63;
/** '-' + 14-digit UTC timestamp + '-' + 4 random characters. */
export const JOB_NAME_SUFFIX_LENGTH = 20;
export const MAX_JOB_NAME_PREFIX_LENGTH = MAX_JOB_NAME_LENGTH - JOB_NAME_SUFFIX_LENGTH;

const PREFIX_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Throws a clear error unless `prefix` can start a valid job name. */
export function validateJobNamePrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix) || prefix.length > MAX_JOB_NAME_PREFIX_LENGTH) {
    throw new Error(
      `jobNamePrefix '${prefix}' is invalid: use 1-${MAX_JOB_NAME_PREFIX_LENGTH} letters, digits and hyphens, ` +
        `starting and ending with a letter or digit (a ${JOB_NAME_SUFFIX_LENGTH}-character timestamp suffix is added, ` +
        `and SageMaker job names are at most ${MAX_JOB_NAME_LENGTH} characters)`,
    );
  }
}

/** A new, unique job name for `prefix` at `now`. `random` returns floats in [0, 1) (injectable for tests). */
export function makeJobName(prefix: string, now: Date = new Date(), random: () => number = Math.random): string {
  validateJobNamePrefix(prefix);
  const timestamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  let suffix = '';
  for (let i = 0; i < 4; i++) suffix += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return `${prefix.toLowerCase()}-${timestamp}-${suffix}`;
}

/** True when `name` is a job this resource could have created (used before stopping anything). */
export function isJobNameFromPrefix(name: string, prefix: string): boolean {
  return (
    JOB_NAME_PATTERN.test(name) &&
    name.length === prefix.length + JOB_NAME_SUFFIX_LENGTH &&
    name.startsWith(`${prefix.toLowerCase()}-`)
  );
}

/** When a name from {@link makeJobName} was made (UTC), or undefined for other names. */
export function jobNameTime(name: string): Date | undefined {
  const match = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-[a-z0-9]{4}$/.exec(name);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}
