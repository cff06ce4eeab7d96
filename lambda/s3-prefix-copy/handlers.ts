import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import * as crypto from 'crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { S3PrefixCopyProperties } from './properties';
import { errorName } from '../shared/retry';

// The contract with the construct lives beside it, free of the SDK, so lib/ can import it.
export { REVISION_SCHEME } from './properties';
export type { S3PrefixCopyProperties } from './properties';

/**
 * Server-side copy of objects from one bucket/prefix into another, as a custom resource.
 *
 * Ownership: every object it copies carries user metadata `copied-by = <stack id>/<logical id>`.
 * - Create/Update copy each source key to `<destination prefix><key>` unless the destination
 *   already holds an object it did not create (that one is left as is, with a warning), or holds
 *   its own copy of the same source object (same source ETag: nothing to do). So it is idempotent.
 * - Update removes its own copies of keys that are no longer listed.
 * - Delete removes its own copies only. Objects it did not create are never overwritten or deleted.
 * - A Create that fails removes the copies it made before failing: the Provider framework answers
 *   CloudFormation's Delete after a failed Create itself, so this handler never sees that Delete.
 *
 * Revision (an attribute): the sha256 of every destination key with the ETag of the data it holds
 * (the source object's for its copies, the object's own for one it left alone). It changes exactly
 * when the copied data changes, and is the same again for the same source objects, in any bucket
 * and after a re-create (a copy's own ETag is not: with SSE-KMS every write gets a new one). A
 * reader that includes it in its own properties is updated whenever the data changes.
 *
 * Permissions: asking "does the copy exist yet?" is a HeadObject on a key that may be missing, and
 * S3 answers that with 403, not 404, unless the caller also has s3:ListBucket on the bucket (for an
 * s3:prefix matching the key). A 403 on a HEAD is therefore reported as that missing permission.
 */

export const OWNER_METADATA = 'copied-by';
export const SOURCE_ETAG_METADATA = 'source-etag';
/** CopyObject's single-request limit. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface Dependencies {
  readonly s3: Pick<S3Client, 'send'>;
  readonly log?: (line: string) => void;
}

export interface CopyResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

type Event = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string };

function destinationUri(props: S3PrefixCopyProperties): string {
  return `s3://${props.DestinationBucketName}/${props.DestinationPrefix}`;
}

function ownerOf(event: Event): string {
  return `${event.StackId}/${event.LogicalResourceId}`;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Thrown when S3 denies a HEAD or a listing: the message names the permissions S3 wants for it. */
export class S3AccessDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S3AccessDeniedError';
  }
}

type Side = 'source' | 'destination';

function deniedMessage(side: Side, bucket: string, key: string, prefix: string): string {
  const denied = `HeadObject s3://${bucket}/${key} was denied (403). S3 answers 403 instead of 404 for a missing object unless the caller may list the bucket`;
  return side === 'destination'
    ? `${denied}: the copy handler's role needs s3:ListBucket on bucket ${bucket} for prefix '${prefix}' (condition s3:prefix StringLike '${prefix}*') and s3:GetObject on the object.`
    : `${denied}, so either the source object does not exist (check the source bucket, prefix and keys) or the copy handler's role lacks s3:GetObject on it.`;
}

/** The object's metadata, or undefined when it does not exist (`prefix`: the one a 403 is reported for). */
async function head(deps: Dependencies, side: Side, bucket: string, key: string, prefix: string): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes(errorName(error)) || httpStatus(error) === 404) return undefined;
    if (httpStatus(error) === 403 || ['AccessDenied', 'Forbidden'].includes(errorName(error))) throw new S3AccessDeniedError(deniedMessage(side, bucket, key, prefix));
    throw error;
  }
}

async function listKeys(deps: Dependencies, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })).catch((error: unknown) => {
      if (httpStatus(error) !== 403) throw error;
      throw new S3AccessDeniedError(`ListObjectsV2 s3://${bucket}/${prefix} was denied (403): the copy handler's role needs s3:ListBucket on bucket ${bucket} for prefix '${prefix}' (condition s3:prefix StringLike '${prefix}*').`);
    });
    for (const object of page.Contents ?? []) {
      if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key.slice(prefix.length));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function keysOf(deps: Dependencies, props: S3PrefixCopyProperties): Promise<string[]> {
  return props.Keys && props.Keys.length > 0 ? props.Keys : listKeys(deps, props.SourceBucketName, props.SourcePrefix);
}

/** What one key's copy did, and the ETag of the data the destination key now holds. */
interface CopyOutcome {
  readonly result: 'copied' | 'unchanged' | 'foreign';
  readonly dataEtag: string;
}

/** The Revision attribute: sha256 over the keys (sorted) and their data's ETags. */
export function dataRevision(etags: ReadonlyMap<string, string>): string {
  const hash = crypto.createHash('sha256');
  for (const key of [...etags.keys()].sort()) hash.update(`${key}\n${etags.get(key)}\n`);
  return hash.digest('hex');
}

async function copyOne(deps: Dependencies, props: S3PrefixCopyProperties, owner: string, key: string): Promise<CopyOutcome> {
  const log = deps.log ?? console.log;
  const sourceKey = `${props.SourcePrefix}${key}`;
  const destinationKey = `${props.DestinationPrefix}${key}`;
  const source = await head(deps, 'source', props.SourceBucketName, sourceKey, props.SourcePrefix);
  if (!source) throw new Error(`Source object s3://${props.SourceBucketName}/${sourceKey} does not exist; check the bucket, prefix and keys`);
  if ((source.ContentLength ?? 0) > MAX_COPY_BYTES) {
    throw new Error(`s3://${props.SourceBucketName}/${sourceKey} is larger than 5 GiB, which a single CopyObject cannot copy`);
  }
  const existing = await head(deps, 'destination', props.DestinationBucketName, destinationKey, props.DestinationPrefix);
  if (existing && existing.Metadata?.[OWNER_METADATA] !== owner) {
    log(`Skipped s3://${props.DestinationBucketName}/${destinationKey}: it already exists and was not created by this resource`);
    return { result: 'foreign', dataEtag: `foreign ${existing.ETag ?? ''}` };
  }
  const sourceEtag = source.ETag ?? '';
  if (existing && existing.Metadata?.[SOURCE_ETAG_METADATA] === source.ETag) return { result: 'unchanged', dataEtag: sourceEtag };
  await deps.s3.send(
    new CopyObjectCommand({
      Bucket: props.DestinationBucketName,
      Key: destinationKey,
      CopySource: `${props.SourceBucketName}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`,
      CopySourceIfMatch: source.ETag,
      // REPLACE to add our ownership marker; keep the source's content headers.
      MetadataDirective: 'REPLACE',
      Metadata: { ...source.Metadata, [OWNER_METADATA]: owner, [SOURCE_ETAG_METADATA]: source.ETag ?? '' },
      ContentType: source.ContentType,
      ContentEncoding: source.ContentEncoding,
      ContentDisposition: source.ContentDisposition,
      ContentLanguage: source.ContentLanguage,
      CacheControl: source.CacheControl,
    }),
  );
  log(`Copied s3://${props.SourceBucketName}/${sourceKey} -> s3://${props.DestinationBucketName}/${destinationKey}`);
  return { result: 'copied', dataEtag: sourceEtag };
}

async function deleteOwned(deps: Dependencies, props: S3PrefixCopyProperties, owner: string, keys: string[]): Promise<number> {
  const log = deps.log ?? console.log;
  let deleted = 0;
  for (const key of keys) {
    const destinationKey = `${props.DestinationPrefix}${key}`;
    const existing = await head(deps, 'destination', props.DestinationBucketName, destinationKey, props.DestinationPrefix);
    if (!existing || existing.Metadata?.[OWNER_METADATA] !== owner) continue;
    await deps.s3.send(new DeleteObjectCommand({ Bucket: props.DestinationBucketName, Key: destinationKey }));
    log(`Deleted s3://${props.DestinationBucketName}/${destinationKey} (copied by this resource)`);
    deleted++;
  }
  return deleted;
}

function validate(props: S3PrefixCopyProperties): void {
  for (const key of ['SourceBucketName', 'DestinationBucketName'] as const) {
    if (!props[key]) throw new Error(`Custom resource property ${key} is missing`);
  }
  for (const key of props.Keys ?? []) {
    if (!key || key.startsWith('/')) throw new Error(`Key '${key}' must be a non-empty key relative to SourcePrefix`);
  }
}

export async function onEvent(event: Event, deps: Dependencies): Promise<CopyResponse> {
  const props = event.ResourceProperties as unknown as S3PrefixCopyProperties;
  const owner = ownerOf(event);
  const physicalId = destinationUri(props);
  validate(props);

  if (event.RequestType === 'Delete') {
    await deleteOwned(deps, props, owner, await destinationCandidates(deps, props));
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  }

  const keys = await keysOf(deps, props);
  if (keys.length === 0) {
    throw new Error(`Nothing to copy: s3://${props.SourceBucketName}/${props.SourcePrefix} has no objects`);
  }
  const results = { copied: 0, unchanged: 0, foreign: 0 };
  const etags = new Map<string, string>();
  try {
    for (const key of keys) {
      const { result, dataEtag } = await copyOne(deps, props, owner, key);
      results[result]++;
      etags.set(key, dataEtag);
    }
  } catch (error) {
    // The Provider framework answers the Delete that follows a failed Create without calling this
    // handler, so whatever this Create copied would stay behind: remove it now.
    if (event.RequestType === 'Create') await removeAfterFailedCreate(deps, props, owner, keys);
    throw error;
  }

  if (event.RequestType === 'Update' && event.PhysicalResourceId === physicalId) {
    // Same destination: remove our copies of keys no longer listed (the role may write and delete
    // anywhere under the destination prefix, so a shorter key list leaves nothing it cannot remove).
    // A new destination gets a new physical id, and CloudFormation's Delete of the old one cleans up there.
    const old = event.OldResourceProperties as unknown as S3PrefixCopyProperties;
    const before = await destinationCandidates(deps, { ...old, DestinationBucketName: props.DestinationBucketName, DestinationPrefix: props.DestinationPrefix });
    await deleteOwned(deps, props, owner, before.filter((k) => !keys.includes(k)));
  }
  const revision = dataRevision(etags);
  (deps.log ?? console.log)(
    `${physicalId}: ${results.copied} copied, ${results.unchanged} already up to date, ${results.foreign} left alone (not ours); data revision ${revision}`,
  );
  return {
    PhysicalResourceId: physicalId,
    Data: { DestinationS3Uri: physicalId, ObjectCount: String(keys.length), Revision: revision },
  };
}

/** Keys (relative to the destination prefix) that may hold copies made with `props`: its key list, or what lies under the prefix. */
async function destinationCandidates(deps: Dependencies, props: S3PrefixCopyProperties): Promise<string[]> {
  return props.Keys && props.Keys.length > 0 ? props.Keys : listKeys(deps, props.DestinationBucketName, props.DestinationPrefix);
}

async function removeAfterFailedCreate(deps: Dependencies, props: S3PrefixCopyProperties, owner: string, keys: string[]): Promise<void> {
  const log = deps.log ?? console.log;
  try {
    const removed = await deleteOwned(deps, props, owner, keys);
    log(`Create failed: removed the ${removed} copies it had made`);
  } catch (cleanupError) {
    log(`Create failed, and removing its copies failed too (${errorName(cleanupError) || 'Error'}: ${(cleanupError as Error).message}); objects marked ${OWNER_METADATA}=${owner} may remain under ${destinationUri(props)}`);
  }
}
