import { FINGERPRINT_NAME_LENGTH } from './fingerprint';

/**
 * Training job names: SageMaker allows at most 63 characters matching
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, unique per account and region, forever (names of finished
 * jobs stay taken). We build `<prefix>-<fingerprint 12 hex>-<yyyymmddHHMMSS>-<4 random>` in lower
 * case: SageMaker lower-cases names in ARNs and the handlers' IAM policy matches
 * `training-job/<prefix>-*`; the fingerprint part lets ListTrainingJobs(NameContains) find the
 * jobs trained from the same inputs.
 */

export const JOB_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const MAX_JOB_NAME_LENGTH = 63;
/** '-' + 12 fingerprint characters + '-' + 14-digit UTC timestamp + '-' + 4 random characters. */
export const JOB_NAME_SUFFIX_LENGTH = 1 + FINGERPRINT_NAME_LENGTH + 1 + 14 + 1 + 4;
export const MAX_JOB_NAME_PREFIX_LENGTH = MAX_JOB_NAME_LENGTH - JOB_NAME_SUFFIX_LENGTH;

const PREFIX_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Throws a clear error unless `prefix` can start a valid job name. `reserved` characters of the
 * prefix budget are taken by the caller (the construct appends a per-stack scope).
 */
export function validateJobNamePrefix(prefix: string, reserved = 0): void {
  const max = MAX_JOB_NAME_PREFIX_LENGTH - reserved;
  if (!PREFIX_PATTERN.test(prefix) || prefix.length > max) {
    throw new Error(
      `jobNamePrefix '${prefix}' is invalid: use 1-${max} letters, digits and hyphens, ` +
        `starting and ending with a letter or digit (a ${JOB_NAME_SUFFIX_LENGTH + reserved}-character suffix is added, ` +
        `and SageMaker job names are at most ${MAX_JOB_NAME_LENGTH} characters)`,
    );
  }
}

/** What every job name trained from `fingerprint` under `prefix` starts with (ListTrainingJobs NameContains). */
export function jobNameStem(prefix: string, fingerprint: string): string {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new Error(`Not a training fingerprint (64 hex characters): '${fingerprint}'`);
  return `${prefix.toLowerCase()}-${fingerprint.slice(0, FINGERPRINT_NAME_LENGTH)}-`;
}

/** A new, unique job name for `prefix` and `fingerprint` at `now`. `random` returns floats in [0, 1) (injectable for tests). */
export function makeJobName(prefix: string, fingerprint: string, now: Date = new Date(), random: () => number = Math.random): string {
  validateJobNamePrefix(prefix);
  const timestamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  let suffix = '';
  for (let i = 0; i < 4; i++) suffix += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return `${jobNameStem(prefix, fingerprint)}${timestamp}-${suffix}`;
}

/**
 * True when `name` is a job this resource could have created (used before stopping anything):
 * today's `<prefix>-<fingerprint>-<time>-<random>`, or `<prefix>-<time>-<random>` from before
 * fingerprints, which existing stacks may still have as their physical id.
 */
export function isJobNameFromPrefix(name: string, prefix: string): boolean {
  if (!PREFIX_PATTERN.test(prefix)) return false;
  const shape = new RegExp(`^${prefix.toLowerCase()}-(?:[0-9a-f]{${FINGERPRINT_NAME_LENGTH}}-)?\\d{14}-[a-z0-9]{4}$`);
  return JOB_NAME_PATTERN.test(name) && name.length <= MAX_JOB_NAME_LENGTH && shape.test(name);
}

/** When a name from {@link makeJobName} was made (UTC), or undefined for other names. */
export function jobNameTime(name: string): Date | undefined {
  const match = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-[a-z0-9]{4}$/.exec(name);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}
