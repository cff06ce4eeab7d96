import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DlcImage } from './dlc-image';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface SageMakerExecutionRoleProps {
  readonly description?: string;
  /** Container images SageMaker pulls with this role. */
  readonly images?: DlcImage[];
  /** CloudWatch namespaces the containers may publish to. @default ['/aws/sagemaker/*'] */
  readonly metricNamespaces?: string[];
}

/**
 * The role SageMaker assumes for training jobs and models, with no managed policy: it starts
 * with its own log groups, metrics and image pulls, and gets S3 prefixes granted one by one.
 */
export class SageMakerExecutionRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: props.description ?? 'SageMaker execution role (training jobs and models)',
    });

    const sageMakerLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteSageMakerLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      resources: [sageMakerLogGroups],
    }));
    acknowledgeWildcard(this.role, { resource: sageMakerLogGroups },
      'SageMaker names its log groups (/aws/sagemaker/TrainingJobs, /aws/sagemaker/Endpoints/<name>) and streams per job and instance at run time; the grant stays inside /aws/sagemaker/.');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishSageMakerMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': props.metricNamespaces ?? ['/aws/sagemaker/*'] } },
    }));
    acknowledgeWildcard(this.role, { resource: '*' },
      'Only two actions use Resource *: ecr:GetAuthorizationToken, which has no resource-level permissions, and cloudwatch:PutMetricData, which has none either and is limited by the cloudwatch:namespace condition.');
    if (props.images && props.images.length > 0) this.grantPull(props.images);
  }

  grantPull(images: DlcImage[]): void {
    for (const statement of DlcImage.pullStatements(images)) this.role.addToPrincipalPolicy(statement);
  }

  /** Read objects under `prefix` (and list that prefix only). */
  grantReadPrefix(bucket: s3.IBucket, prefix: string): void {
    this.addPrefixRead(bucket.bucketArn, bucket.arnForObjects(`${prefix}*`), prefix);
    // Reading an SSE-KMS object decrypts its data key: kms:Decrypt only.
    bucket.encryptionKey?.grantDecrypt(this.role);
  }

  /** Write objects under `prefix`. */
  grantWritePrefix(bucket: s3.IBucket, prefix: string): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }));
    acknowledgePrefix(this.role, bucket.arnForObjects(`${prefix}*`), 'write');
    // An SSE-KMS PutObject needs GenerateDataKey; a multipart upload (model.tar.gz) Decrypt as well.
    if (bucket.encryptionKey) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [bucket.encryptionKey.keyArn],
      }));
    }
  }

  /** Read an existing `s3://bucket/prefix/` outside this stack. */
  grantReadS3Uri(s3Uri: string): void {
    const { bucketName, prefix } = parseS3Uri(s3Uri);
    const partition = Stack.of(this).partition;
    this.addPrefixRead(`arn:${partition}:s3:::${bucketName}`, `arn:${partition}:s3:::${bucketName}/${prefix}*`, prefix);
  }

  /**
   * Use a KMS key for volumes and output (training) or endpoint storage: exactly the calls made
   * with this role. Output: SageMaker's OutputDataConfig.KmsKeyId requires kms:Encrypt, the SSE-KMS
   * upload GenerateDataKey and (multipart) Decrypt; reads Decrypt. Volumes are attached through a
   * grant for an AWS resource. Nothing re-encrypts (no ReEncrypt*), no GenerateDataKey* variants.
   */
  grantKey(key: kms.IKey): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [key.keyArn] }));
  }

  private addPrefixRead(bucketArn: string, objectsArn: string, prefix: string): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [objectsArn],
    }));
    acknowledgePrefix(this.role, objectsArn, 'read');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }));
  }
}

function acknowledgePrefix(role: iam.Role, objectsArn: string, access: 'read' | 'write'): void {
  acknowledgeWildcard(role, { resource: objectsArn },
    `SageMaker ${access === 'read' ? 'reads every object under this one prefix (a training channel or checkpoints)' : 'writes objects it names at run time (job output, checkpoints, captured requests) under this one prefix'}; nothing outside the prefix is granted.`);
}

/** `s3://bucket/a/b/` → `{ bucketName: 'bucket', prefix: 'a/b/' }`. */
export function parseS3Uri(s3Uri: string): { bucketName: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(s3Uri);
  if (!match) throw new Error(`Not an S3 URI: ${s3Uri} (expected s3://bucket/prefix/)`);
  return { bucketName: match[1], prefix: match[2] };
}
