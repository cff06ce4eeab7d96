import * as crypto from 'crypto';
import type { ModelPackageVersionProperties } from './properties';

/**
 * What makes two registrations the same model: the image that serves it, its artifact, the
 * container's environment and the content types it accepts and answers. Lineage, metrics,
 * description and approval status are not part of it: they describe the model, they are not it.
 */
export type RegisteredModel = Pick<ModelPackageVersionProperties, 'ImageUri' | 'ModelDataUrl' | 'Environment' | 'ContentTypes' | 'ResponseTypes'>;

/** JSON with every object's keys sorted (arrays keep their order): equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The registration key: the first 16 hex digits of sha256 over the model's canonical JSON. */
export function registrationKey(model: RegisteredModel): string {
  const identity = {
    ImageUri: model.ImageUri,
    ModelDataUrl: model.ModelDataUrl,
    Environment: model.Environment ?? {},
    ContentTypes: model.ContentTypes,
    ResponseTypes: model.ResponseTypes,
  };
  return crypto.createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

/** How the key is written at the end of a version's ModelPackageDescription. */
const MARKER = /\[registration ([0-9a-f]{16})\]$/;

/** SageMaker's limit on ModelPackageDescription (EntityDescription: 0 to 1024 characters). */
export const MAX_DESCRIPTION_LENGTH = 1024;

/** `<description> [registration <key>]`, or the marker alone without a description. */
export function describedWithKey(description: string | undefined, key: string): string {
  const marker = `[registration ${key}]`;
  return description ? `${description} ${marker}` : marker;
}

/** The room left for a description beside the marker. */
export const MAX_OWN_DESCRIPTION_LENGTH = MAX_DESCRIPTION_LENGTH - describedWithKey('', '0'.repeat(16)).length - 1;

/** The registration key a version's description carries, if any. */
export function keyInDescription(description: string | undefined): string | undefined {
  return MARKER.exec(description ?? '')?.[1];
}
