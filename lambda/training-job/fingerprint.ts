import * as crypto from 'crypto';

/**
 * A training job's fingerprint: what it was trained from, so a job with the same inputs is never
 * run twice (CloudFormation's rollback sends an Update with the old properties; a re-created
 * resource sends a Create with properties that may have been trained already).
 *
 * It is the sha256 (hex) of the canonical JSON of the custom resource's properties without the
 * ones that do not change what is trained. Everything else counts, so a property added later
 * makes a new fingerprint (a retrain) rather than a wrong reuse.
 */

/** Properties that change nothing about the trained model or where it is written. */
export const NOT_TRAINING_INPUTS: ReadonlySet<string> = new Set([
  'ServiceToken', // the Provider's function ARN
  'ServiceTimeout', // how long CloudFormation waits
  'JobNamePrefix', // part of the lookup itself (names embed the fingerprint after it)
  'RoleArn', // who SageMaker acts as, not what it trains
  'OwnerTag', // a label
  'MinimumMetric', // checked against the finished job; changing it re-checks, never retrains
  'QuotaAdvice', // words for a quota error, read only when SageMaker refuses to start a job
]);

/** Tag key carrying the full fingerprint on every job the handler starts. */
export const FINGERPRINT_TAG = 'training-fingerprint';
/** Characters of the fingerprint embedded in job names (48 bits; the tag confirms the rest). */
export const FINGERPRINT_NAME_LENGTH = 12;

/**
 * Deterministic JSON: object keys sorted, undefined dropped, every scalar as a string (CloudFormation
 * delivers `2` as `"2"`, so the construct's numbers and the event's strings fingerprint alike).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}

/** The 64-hex-character fingerprint of a training job's custom-resource properties. */
export function trainingFingerprint(properties: object): string {
  const inputs = Object.fromEntries(Object.entries(properties ?? {}).filter(([key]) => !NOT_TRAINING_INPUTS.has(key)));
  return crypto.createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}
