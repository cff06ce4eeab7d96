import { Aws, CfnRule, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { S3PrefixCopy } from './s3-prefix-copy';
import { acknowledgeWildcard } from './nag-acknowledge';
import { parseS3Uri, SageMakerExecutionRole } from './sagemaker-execution-role';

/** Where a training channel's files come from. */
export type TrainingDataSource =
  /** Copied server-side into `bucket`/`prefix` from another bucket (e.g. a public dataset mirror). */
  | {
    readonly kind: 'copy'; readonly sourceBucketName: string; readonly sourcePrefix: string; readonly keys?: string[];
    /** The source bucket exists in this partition only: the template refuses to deploy elsewhere, saying `advice`. */
    readonly onlyInPartition?: { readonly partition: string; readonly advice: string };
  }
  /** A local folder uploaded into `bucket`/`prefix` at deploy time. */
  | { readonly kind: 'local'; readonly path: string }
  /** Read in place from an existing `s3://bucket/prefix/`. */
  | {
    readonly kind: 's3'; readonly s3Uri: string;
    /** Customer-managed KMS key that encrypts those objects: the reading role gets kms:Decrypt on it. */
    readonly kmsKeyArn?: string;
    /** The bucket's region, where known: the template refuses to deploy to another (SageMaker reads input only from its own region). */
    readonly region?: string;
  };

export interface TrainingDataProps {
  readonly source: TrainingDataSource;
  /** Destination for `copy` and `local`. */
  readonly bucket: s3.IBucket;
  /** Key prefix in `bucket` ending in `/`, for `copy` and `local`. */
  readonly prefix: string;
}

/**
 * One training data channel, whichever the source: `s3Uri` is the prefix the training job
 * reads. Make the job depend on this construct so the files are in place before it starts.
 */
export class TrainingData extends Construct {
  public readonly s3Uri: string;
  private readonly props: TrainingDataProps;

  constructor(scope: Construct, id: string, props: TrainingDataProps) {
    super(scope, id);
    if (!props.prefix.endsWith('/')) throw new Error(`TrainingData prefix must end with '/', got '${props.prefix}'`);
    this.props = props;
    const source = props.source;
    switch (source.kind) {
      case 'copy': {
        const copy = new S3PrefixCopy(this, 'Copy', {
          sourceBucketName: source.sourceBucketName,
          sourcePrefix: source.sourcePrefix,
          keys: source.keys,
          destination: props.bucket,
          destinationPrefix: props.prefix,
        });
        this.s3Uri = copy.destinationS3Uri;
        if (source.onlyInPartition) {
          // Checked by CloudFormation before it creates anything, also for a region-agnostic template.
          new CfnRule(this, 'SourcePartition', {
            assertions: [{ assert: Fn.conditionEquals(Aws.PARTITION, source.onlyInPartition.partition), assertDescription: source.onlyInPartition.advice }],
          });
        }
        break;
      }
      case 'local': {
        const deployment = new s3deploy.BucketDeployment(this, 'Upload', {
          sources: [s3deploy.Source.asset(source.path)],
          destinationBucket: props.bucket,
          destinationKeyPrefix: props.prefix,
          // Other files under the prefix (e.g. uploaded by hand) are left alone; the data stays after destroy like the bucket.
          prune: false,
          retainOnDelete: true,
          memoryLimit: 512,
        });
        this.s3Uri = `s3://${deployment.deployedBucket.bucketName}/${props.prefix}`;
        acknowledgeBucketDeploymentFindings(this, props.bucket);
        break;
      }
      case 's3':
        parseS3Uri(source.s3Uri);
        this.s3Uri = source.s3Uri;
        if (source.region) {
          new CfnRule(this, 'DataRegion', {
            assertions: [{
              assert: Fn.conditionEquals(Aws.REGION, source.region),
              assertDescription: `The training data ${source.s3Uri} is in ${source.region}, and SageMaker reads training data only from its own region: deploy this stack to ${source.region}, or copy the data to a bucket in the region you deploy to.`,
            }],
          });
        }
        break;
    }
  }

  /** Let SageMaker read this channel with `role`. */
  grantRead(role: SageMakerExecutionRole): void {
    const source = this.props.source;
    if (source.kind === 's3') {
      role.grantReadS3Uri(source.s3Uri);
      if (source.kmsKeyArn) {
        // SageMaker downloads the channel with this role; S3 decrypts SSE-KMS objects with the caller's kms:Decrypt.
        role.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DecryptTrainingData', actions: ['kms:Decrypt'], resources: [source.kmsKeyArn] }));
      }
    } else {
      role.grantReadPrefix(this.props.bucket, this.props.prefix);
    }
  }
}

/**
 * aws-cdk-lib's BucketDeployment runs one shared handler per stack with grants the construct
 * fixes itself; these are its cdk-nag findings and why they are acceptable here.
 */
function acknowledgeBucketDeploymentFindings(scope: Construct, bucket: s3.IBucket): void {
  const stack = Stack.of(scope);
  // The bootstrap bucket the CDK CLI uploads assets to (default synthesizer naming).
  const qualifier = stack.synthesizer.bootstrapQualifier ?? 'hnb659fds';
  const stagingBucket = `arn:${stack.partition}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`;
  for (const handler of stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))) {
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "BucketDeployment's handler uses the AWS managed AWSLambdaBasicExecutionRole, which only lets it write its own CloudWatch logs.",
    });
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'BucketDeployment pins its Python runtime to the one its bundled AWS CLI layer supports; it runs only during deploys with dataSource=local.',
    });
    const why = 'BucketDeployment grants its handler read on the CDK asset bucket and read/write on the destination bucket itself; the handler only copies the uploaded folder into the data prefix (prune=false, retainOnDelete=true: it deletes nothing).';
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledgeWildcard(handler, { action }, why);
    }
    acknowledgeWildcard(handler, { resource: bucket.arnForObjects('*') }, why);
    acknowledgeWildcard(handler, { resource: stagingBucket }, why);
  }
}
