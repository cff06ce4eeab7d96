import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REVISION_SCHEME, S3PrefixCopyProperties } from '../../lambda/s3-prefix-copy/properties';
import { bundledProvider } from '../common/bundled-provider';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface S3PrefixCopyProps {
  /** Bucket to copy from (readable by this account, e.g. public `sagemaker-sample-files`). */
  readonly sourceBucketName: string;
  /** Key prefix in the source bucket, '' or ending in '/'. */
  readonly sourcePrefix: string;
  /** Keys relative to `sourcePrefix`. @default every object under `sourcePrefix` (then the handler may also list the source prefix) */
  readonly keys?: string[];
  readonly destination: s3.IBucket;
  /** Key prefix in the destination bucket, '' or ending in '/'. */
  readonly destinationPrefix: string;
}

/**
 * Copies objects server-side (CopyObject, nothing passes through Lambda) from another bucket
 * into `destination` at deploy time. Idempotent; it overwrites and deletes only objects it
 * copied itself (tagged with `copied-by` metadata), and on Delete it removes just those.
 *
 * Its role may write and delete anywhere under `destinationPrefix` (only its own copies are
 * touched), so a changed key list leaves nothing behind. Changing `destinationPrefix` or the
 * bucket leaves the old copies: the role no longer reaches the old place when CloudFormation
 * deletes the old resource in its cleanup phase (the update itself still completes).
 */
export class S3PrefixCopy extends Construct {
  /** `s3://bucket/prefix/`; a token, so readers wait for the copy. */
  public readonly destinationS3Uri: string;
  /**
   * A deploy-time token that changes exactly when the copied data changes (sha256 of the keys and
   * their source objects' ETags): a reader that puts it in its properties is updated on every data change.
   */
  public readonly revision: string;
  public readonly resource: CustomResource;
  public readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: S3PrefixCopyProps) {
    super(scope, id);
    for (const [name, prefix] of [['sourcePrefix', props.sourcePrefix], ['destinationPrefix', props.destinationPrefix]] as const) {
      if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/'))) {
        throw new Error(`S3PrefixCopy ${name} '${prefix}' must be '' or end with '/' (and not start with '/')`);
      }
    }
    if (props.keys !== undefined && props.keys.length === 0) {
      throw new Error('S3PrefixCopy keys is empty; leave it out to copy every object under sourcePrefix');
    }
    for (const key of props.keys ?? []) {
      if (!key || key.startsWith('/') || key.endsWith('/')) {
        throw new Error(`S3PrefixCopy key '${key}' must name an object relative to sourcePrefix`);
      }
    }

    // The handler may write its log group; the statements below add what it calls.
    const { role, handler, provider } = bundledProvider(this, {
      handler: 's3-prefix-copy',
      timeout: Duration.minutes(5),
    });
    this.handler = handler;

    const partition = Stack.of(this).partition;
    const sourceBucketArn = `arn:${partition}:s3:::${props.sourceBucketName}`;
    const keys = props.keys;
    // GetObject also covers HeadObject.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSourceObjects',
        actions: ['s3:GetObject'],
        resources: keys ? keys.map((k) => `${sourceBucketArn}/${props.sourcePrefix}${k}`) : [`${sourceBucketArn}/${props.sourcePrefix}*`],
      }),
    );
    // The whole destination prefix, not just today's keys: after the key list changes, the handler
    // must still be able to look at and delete its copies of the old keys. It overwrites and
    // deletes only objects carrying its own copied-by marker.
    const ownCopies = props.destination.arnForObjects(`${props.destinationPrefix}*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnCopies',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [ownCopies],
      }),
    );
    // "Is the copy there yet?" is a HeadObject on a key that may not exist: without ListBucket,
    // S3 answers 403 instead of 404 (it evaluates ListBucket with the object key as s3:prefix).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListDestinationPrefix',
        actions: ['s3:ListBucket'],
        resources: [props.destination.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.destinationPrefix}*`] } },
      }),
    );
    if (!keys) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ListSourcePrefix',
          actions: ['s3:ListBucket'],
          resources: [sourceBucketArn],
          conditions: { StringLike: { 's3:prefix': [`${props.sourcePrefix}*`] } },
        }),
      );
    }
    // CopyObject writes a new SSE-KMS object: GenerateDataKey. Decrypt because S3 documents an
    // SSE-KMS upload as needing both (multipart parts, directory buckets) and a copy should not
    // fail half-way on it. No Encrypt or ReEncrypt*: S3 never calls them for the requester;
    // HeadObject and DeleteObject use no key.
    props.destination.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');


    const properties: S3PrefixCopyProperties = {
      RevisionScheme: REVISION_SCHEME,
      SourceBucketName: props.sourceBucketName,
      SourcePrefix: props.sourcePrefix,
      Keys: keys,
      DestinationBucketName: props.destination.bucketName,
      DestinationPrefix: props.destinationPrefix,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::S3PrefixCopy',
      properties: properties as unknown as Record<string, unknown>,
    });
    this.destinationS3Uri = this.resource.getAttString('DestinationS3Uri');
    this.revision = this.resource.getAttString('Revision');

    acknowledgeWildcard(this, { resource: `${handler.functionArn}:*` },
      'The CDK Provider framework grants lambda:InvokeFunction on its handler function and that function\'s versions (<arn>:*), nothing else.');
    acknowledgeWildcard(this, { resource: ownCopies },
      'The handler writes and deletes only its own copies under this one destination prefix (each carries its copied-by marker, checked before every overwrite or delete); the prefix, not the key list, so that copies of keys dropped from the list can still be removed.');
    if (!keys) {
      acknowledgeWildcard(this, { resource: `${sourceBucketArn}/${props.sourcePrefix}*` },
        'No key list was given, so the handler copies whatever lies under the source prefix; it only reads there.');
    }
  }
}
