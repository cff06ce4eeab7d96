import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeWildcard } from './nag-acknowledge';

/*
 * Grants on one key prefix of a bucket, for a service role that reads or writes objects it names
 * at run time (a training channel, job output, checkpoints, captured requests). aws-cdk-lib's
 * bucket.grantRead/grantWrite would add s3:List*, s3:GetBucket*, s3:DeleteObject* and
 * kms:ReEncrypt*: these grant the exact calls SageMaker makes, and nothing outside the prefix.
 */

/** Read objects under `prefix` of `bucket` (and list that prefix only); kms:Decrypt on an SSE-KMS bucket's key. */
export function grantReadPrefix(bucket: s3.IBucket, prefix: string, grantee: iam.IGrantable): iam.Grant {
  const grant = grantPrefixRead(grantee, bucket.bucketArn, bucket.arnForObjects(`${prefix}*`), prefix);
  // Reading an SSE-KMS object decrypts its data key: kms:Decrypt only.
  const decrypt = bucket.encryptionKey?.grantDecrypt(grantee);
  return decrypt ? grant.combine(decrypt) : grant;
}

/**
 * Write objects under `prefix` of `bucket` (PutObject, AbortMultipartUpload); on an SSE-KMS bucket
 * also kms:GenerateDataKey for the upload and kms:Decrypt for a multipart one (model.tar.gz).
 */
export function grantWritePrefix(bucket: s3.IBucket, prefix: string, grantee: iam.IGrantable): iam.Grant {
  const objects = bucket.arnForObjects(`${prefix}*`);
  const write = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resourceArns: [objects] });
  acknowledgePrefix(grantee, objects, 'write');
  if (!bucket.encryptionKey) return write;
  return write.combine(iam.Grant.addToPrincipal({
    grantee, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [bucket.encryptionKey.keyArn],
  }));
}

/** Read an existing `s3://bucket/prefix/` that this app does not own (objects under the prefix, and list it). */
export function grantReadS3Uri(s3Uri: string, grantee: iam.IGrantable, scope: IConstruct): iam.Grant {
  const { bucketName, prefix } = parseS3Uri(s3Uri);
  const partition = Stack.of(scope).partition;
  return grantPrefixRead(grantee, `arn:${partition}:s3:::${bucketName}`, `arn:${partition}:s3:::${bucketName}/${prefix}*`, prefix);
}

/** `s3://bucket/a/b/` → `{ bucketName: 'bucket', prefix: 'a/b/' }`. */
export function parseS3Uri(s3Uri: string): { bucketName: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(s3Uri);
  if (!match) throw new Error(`Not an S3 URI: ${s3Uri} (expected s3://bucket/prefix/)`);
  return { bucketName: match[1], prefix: match[2] };
}

function grantPrefixRead(grantee: iam.IGrantable, bucketArn: string, objectsArn: string, prefix: string): iam.Grant {
  const read = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [objectsArn] });
  acknowledgePrefix(grantee, objectsArn, 'read');
  return read.combine(iam.Grant.addToPrincipal({
    grantee, actions: ['s3:ListBucket'], resourceArns: [bucketArn], conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  }));
}

function acknowledgePrefix(grantee: iam.IGrantable, objectsArn: string, access: 'read' | 'write'): void {
  // On the principal (the role), where cdk-nag reports its policy's findings.
  const scope = Construct.isConstruct(grantee.grantPrincipal) ? grantee.grantPrincipal : Construct.isConstruct(grantee) ? grantee : undefined;
  if (!scope) return;
  acknowledgeWildcard(scope, { resource: objectsArn },
    `SageMaker ${access === 'read' ? 'reads every object under this one prefix (a training channel or checkpoints)' : 'writes objects it names at run time (job output, checkpoints, captured requests) under this one prefix'}; nothing outside the prefix is granted.`);
}
