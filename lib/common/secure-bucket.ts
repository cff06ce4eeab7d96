import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { grantReadPrefix, grantWritePrefix } from './prefix-grants';

export interface SecureBucketProps {
  /** `kms`: a customer-managed key with rotation (exposed as `encryptionKey`); default S3-managed keys. */
  readonly encryption?: 's3-managed' | 'kms';
  /** `true`: `cdk destroy` deletes the bucket, its objects, its access logs and key. Default: all kept. */
  readonly destroyOnDelete?: boolean;
}

/**
 * A versioned, encrypted, TLS-only bucket with public access blocked and server access
 * logs in a second bucket. Kept on stack deletion unless `destroyOnDelete` is set.
 */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly encryptionKey?: kms.Key;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    // Access logs must reach the log bucket through its bucket policy: the bucket-owner-enforced log
    // bucket refuses the LogDeliveryWrite ACL that aws-cdk-lib uses without this flag, so an app whose
    // cdk.json lacks `cdk init`'s flags would fail. Set here, the flag holds for this construct's tree only.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const destroy = props.destroyOnDelete ?? false;
    const removalPolicy = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    if (props.encryption === 'kms') {
      this.encryptionKey = new kms.Key(this, 'Key', {
        description: `Encrypts ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
        pendingWindow: destroy ? Duration.days(7) : undefined,
      });
    }

    // Server access logs only accept SSE-S3; the log bucket needs no logs of its own.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket itself: logging it into itself would loop, and another log bucket would need logs too.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: this.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: this.encryptionKey ? true : undefined,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'access-logs/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
  }

  /** Let `grantee` read objects under `prefix` (and list that prefix only); kms:Decrypt with a KMS key. */
  grantReadPrefix(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return grantReadPrefix(this.bucket, prefix, grantee);
  }

  /** Let `grantee` write objects under `prefix`; kms:GenerateDataKey and kms:Decrypt (multipart) with a KMS key. */
  grantWritePrefix(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return grantWritePrefix(this.bucket, prefix, grantee);
  }
}
