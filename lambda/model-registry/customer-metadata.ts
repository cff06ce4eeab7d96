import type { ModelPackageVersionProperties } from './properties';
import { scaledMetric } from './quality-report';

/*
 * CustomerMetadataProperties as SageMaker accepts them (CreateModelPackage, CustomerMetadataMap):
 * at most 50 entries; keys of 1 to 128 and values of 1 to 256 characters, each made of letters,
 * numbers, spaces and _ . : / = + - @ (pattern `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`).
 */
export const MAX_METADATA_ENTRIES = 50;
export const MAX_METADATA_KEY_LENGTH = 128;
export const MAX_METADATA_VALUE_LENGTH = 256;
const METADATA_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The metadata key of the registration key. */
export const REGISTRATION_KEY = 'RegistrationKey';
/** A metric's metadata key: `metric:<name>`. */
export const metricKey = (name: string): string => `metric:${name}`;

/** Why `text` cannot be a metadata key or value (or undefined when it can). */
export function metadataProblem(text: string, max: number): string | undefined {
  if (text.length < 1 || text.length > max) return `must be 1 to ${max} characters long (it has ${text.length})`;
  if (!METADATA_TEXT.test(text)) return 'may hold only letters, numbers, spaces and _ . : / = + - @';
  return undefined;
}

/** A new version's CustomerMetadataProperties: lineage (non-empty values), `metric:<name>` (scaled values) and the registration key. */
export function customerMetadata(props: Pick<ModelPackageVersionProperties, 'Lineage' | 'ModelQuality'>, key: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(props.Lineage ?? {})) {
    if (value !== '') metadata[name] = value;
  }
  for (const [name, metric] of Object.entries(props.ModelQuality?.Metrics ?? {})) metadata[metricKey(name)] = String(scaledMetric(metric));
  metadata[REGISTRATION_KEY] = key;
  return metadata;
}
