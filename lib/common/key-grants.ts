import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { grantStatements } from './grant-statements';

/*
 * The KMS calls made with a SageMaker execution role (or on its behalf), each on the one key:
 * nothing re-encrypts (no kms:ReEncrypt*), no GenerateDataKey* variants, no kms:*.
 */

export interface VolumeKeyGrantOptions {
  /** Statement ids, for a principal whose policy names each statement. @default - none */
  readonly sids?: { readonly createGrant: string; readonly describeKey: string };
}

/**
 * Use `key` for instance volumes (a training job's VolumeKmsKeyId): volumes are attached through a
 * grant on the key made for an AWS resource only (kms:CreateGrant with kms:GrantIsForAWSResource).
 * DescribeKey is no grant call, so it never carries that condition (under it, it would never be
 * allowed) and gets its own statement.
 */
export function grantVolumeKey(key: kms.IKey, grantee: iam.IGrantable, options: VolumeKeyGrantOptions = {}): iam.Grant {
  return grantStatements(grantee, [
    new iam.PolicyStatement({
      sid: options.sids?.createGrant,
      actions: ['kms:CreateGrant'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    new iam.PolicyStatement({ sid: options.sids?.describeKey, actions: ['kms:DescribeKey'], resources: [key.keyArn] }),
  ]);
}

/**
 * Use `key` for output written as SSE-KMS (a training job's OutputDataConfig.KmsKeyId, an
 * endpoint's storage): SageMaker's OutputDataConfig needs kms:Encrypt, the upload
 * kms:GenerateDataKey, a multipart upload and any read kms:Decrypt.
 */
export function grantOutputKey(key: kms.IKey, grantee: iam.IGrantable): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [key.keyArn] });
}
