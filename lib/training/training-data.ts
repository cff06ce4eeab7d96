import { Aws, CfnRule, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { S3PrefixCopy } from './s3-prefix-copy';
import { grantStatements } from '../common/grant-statements';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import { grantReadPrefix, grantReadS3Uri, parseS3Uri } from '../common/prefix-grants';

/** Where a training channel's files come from. */
export type TrainingDataSource =
  /** Copied server-side into `bucket`/`prefix` from another bucket (e.g. a public dataset mirror). */
  | {
    readonly kind: 'copy'; readonly sourceBucketName: string; readonly sourcePrefix: string; readonly keys?: string[];
    /** The source bucket exists in this partition only: the template refuses to deploy elsewhere, saying `advice`. */
    readonly onlyInPartition?: { readonly partition: string; readonly advice: string };
  }
  /**
   * A local folder uploaded at deploy time into `bucket`/`<localPrefix><content hash>/`: each
   * version of the folder has its own prefix, so versions never mix and changed data is a new URI.
   */
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
  /** Key prefix in `bucket` ending in `/` that `copy` writes to. */
  readonly prefix: string;
  /**
   * Key prefix in `bucket` ending in `/` under which `local` uploads each version of its folder
   * (`<localPrefix><content hash>/`). Outside `prefix`, so a copy's channel never reads a local upload.
   * @default `prefix` with `-local/` for its final `/` (`mnist/data/` → `mnist/data-local/`)
   */
  readonly localPrefix?: string;
}

/**
 * One training data channel, whichever the source: `s3Uri` is the prefix the training job
 * reads, and `revision`, where set, changes whenever the data under it does. Make the job depend
 * on this construct so the files are in place before it starts.
 *
 * Changed data is a changed channel: `local` uploads each version under its own content-addressed
 * prefix (the URI changes); `copy` returns a revision of the copied objects (their source ETags).
 * `s3` reads a prefix this stack does not own: only its URI counts (write changed data under a
 * new prefix and point the setting at it).
 */
export class TrainingData extends Construct {
  public readonly s3Uri: string;
  /**
   * Part of the channel's identity beyond its URI: for `copy`, a deploy-time token of the copied
   * objects' ETags. @default - none: the URI alone names the data (`local`: content-addressed; `s3`: the user's prefix)
   */
  public readonly revision?: string;
  /** Where the channel's files are, in `bucket` (`copy`, `local`). */
  private readonly ownPrefix?: string;
  private readonly props: TrainingDataProps;

  constructor(scope: Construct, id: string, props: TrainingDataProps) {
    super(scope, id);
    for (const [name, value] of [['prefix', props.prefix], ['localPrefix', props.localPrefix]] as const) {
      if (value !== undefined && !value.endsWith('/')) throw new Error(`TrainingData ${name} must end with '/', got '${value}'`);
    }
    const localPrefix = props.localPrefix ?? `${props.prefix.slice(0, -1)}-local/`;
    if (localPrefix.startsWith(props.prefix) || props.prefix.startsWith(localPrefix)) {
      throw new Error(`TrainingData localPrefix '${localPrefix}' overlaps prefix '${props.prefix}': one channel would read the other's files; choose prefixes that do not contain each other`);
    }
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
        this.revision = copy.revision;
        this.ownPrefix = props.prefix;
        if (source.onlyInPartition) {
          // Checked by CloudFormation before it creates anything, also for a region-agnostic template.
          new CfnRule(this, 'SourcePartition', {
            assertions: [{ assert: Fn.conditionEquals(Aws.PARTITION, source.onlyInPartition.partition), assertDescription: source.onlyInPartition.advice }],
          });
        }
        break;
      }
      case 'local': {
        // The asset's hash is the folder's content hash: one byte changed is another prefix, the
        // same folder again (a revert) the same prefix, and so the same training fingerprint.
        const files = new s3assets.Asset(this, 'Files', { path: source.path });
        const contentPrefix = `${localPrefix}${files.assetHash}/`;
        const deployment = new s3deploy.BucketDeployment(this, 'Upload', {
          sources: [s3deploy.Source.bucket(files.bucket, files.s3ObjectKey)],
          destinationBucket: props.bucket,
          destinationKeyPrefix: contentPrefix,
          // Earlier versions stay (a revert reads them again), and the data stays after destroy like the bucket.
          prune: false,
          retainOnDelete: true,
          memoryLimit: 512,
        });
        this.s3Uri = `s3://${deployment.deployedBucket.bucketName}/${contentPrefix}`;
        this.ownPrefix = contentPrefix;
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

  /**
   * Let `grantee` (the SageMaker execution role) read this channel: its objects and a listing of
   * its prefix, and kms:Decrypt on the key that encrypts them (the bucket's, or an `s3` source's `kmsKeyArn`).
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const source = this.props.source;
    if (source.kind !== 's3') return grantReadPrefix(this.props.bucket, this.ownPrefix!, grantee);
    const read = grantReadS3Uri(source.s3Uri, grantee, this);
    if (!source.kmsKeyArn) return read;
    // SageMaker downloads the channel with this role; S3 decrypts SSE-KMS objects with the caller's kms:Decrypt.
    return read.combine(grantStatements(grantee, [
      new iam.PolicyStatement({ sid: 'DecryptTrainingData', actions: ['kms:Decrypt'], resources: [source.kmsKeyArn] }),
    ]));
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
