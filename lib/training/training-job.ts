import * as crypto from 'crypto';
import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { encodeHyperparameters, HyperparameterValue, metricAttributeName } from '../../lambda/training-job/hyperparameters';
import type { TrainingJobProperties } from '../../lambda/training-job/properties';
import { grantOutputKey, grantVolumeKey } from '../common/key-grants';
import { JOB_NAME_SCOPE_LENGTH, MAX_SERVICE_TIMEOUT, PROVIDER_TIMEOUT_MARGIN, validateTrainingJobProps } from './limits';
import { grantSourceBundleRead, sourceBundleAsset } from './source-bundle';
import { trainingJobProvider } from './training-job-provider';

// The limits have their own file; these stay importable from here.
export {
  JOB_NAME_SCOPE_LENGTH, MAX_PROVIDER_TIMEOUT, MAX_SERVICE_TIMEOUT, PROVIDER_TIMEOUT_MARGIN, TRAINING_JOB_MARGIN,
} from './limits';

export interface SageMakerTrainingJobProps {
  /** Execution role SageMaker assumes; gets read access to the code asset here, the rest is the caller's job. */
  readonly role: iam.IRole;
  /** Training image URI (e.g. a PyTorch training DLC). */
  readonly image: string;
  /** Folder packed into `sourcedir.tar.gz` (`__pycache__`, `*.pyc`, `tests/` left out). */
  readonly sourceDirectory: string;
  /**
   * Files at the root of `sourceDirectory` not to ship, e.g. a `requirements.txt` kept for local
   * virtual environments: in the archive it would make the container run pip at start.
   * @default - none
   */
  readonly excludeFromSource?: string[];
  /** Script at the root of `sourceDirectory` the toolkit runs (`sagemaker_program`). */
  readonly entryPoint: string;
  /** Passed as `--key value`; JSON-encoded as the SageMaker SDK does. No spaces or shell characters. */
  readonly hyperparameters: Record<string, HyperparameterValue>;
  /** Training instance type, e.g. `ml.c5.2xlarge` (checked against INSTANCE_TYPE_PATTERN). */
  readonly instanceType: string;
  /** Instances in the training cluster (a positive integer). */
  readonly instanceCount: number;
  /** Storage volume per instance, in GB. @default 30 */
  readonly volumeSizeGb?: number;
  /** The job's MaxRuntimeInSeconds. Plus TRAINING_JOB_MARGIN it must fit in `totalTimeout`. */
  readonly maxRuntime: Duration;
  /**
   * S3Prefix, FullyReplicated, File mode channels; each becomes SM_CHANNEL_<NAME>. `revision`
   * (e.g. a data copy's revision token) is part of the training fingerprint, not of the job: give
   * one wherever the data under `s3Uri` can change while the URI stays, so a data change retrains.
   */
  readonly inputChannels: Array<{ name: string; s3Uri: string; revision?: string }>;
  /**
   * S3 prefix for `<job>/output/model.tar.gz`. The onEvent handler may HEAD its own jobs'
   * artifacts there (s3:GetObject on them, s3:ListBucket for their keys) to confirm one still
   * exists before reusing its job.
   */
  readonly outputS3Uri: string;
  /**
   * Metrics SageMaker reads from the job's log with `regex` (first group); the last value of each
   * is a final metric, returned by {@link SageMakerTrainingJob.finalMetric}.
   */
  readonly metricDefinitions: Array<{ name: string; regex: string }>;
  /**
   * Start of job names (≤ 21 characters). The construct appends `-<8 hex>` from the stack name and
   * its path, so dev, prod and a standalone stack in one account never share the handlers' IAM
   * scope (`training-job/<prefix>-<8 hex>-*`). Names are then
   * `<prefix>-<8 hex>-<fingerprint 12 hex>-<yyyymmddHHMMSS>-<4 random>`, lower case, ≤ 63 characters.
   */
  readonly jobNamePrefix: string;
  /** How often isComplete polls DescribeTrainingJob. @default 30 seconds */
  readonly pollInterval?: Duration;
  /** How long CloudFormation waits for the resource (its ServiceTimeout, ≤ 1 hour). @default 1 hour */
  readonly serviceTimeout?: Duration;
  /**
   * How long the Provider waits for the job: at most serviceTimeout less PROVIDER_TIMEOUT_MARGIN,
   * and a whole multiple of pollInterval. @default serviceTimeout less PROVIDER_TIMEOUT_MARGIN (55 minutes)
   */
  readonly totalTimeout?: Duration;
  /**
   * Managed spot training: `maxWait` ≥ `maxRuntime` bounds waiting for capacity plus running.
   * Checkpoints go to `<checkpointS3Uri>/<training fingerprint>/`: a job resumes only what a job
   * with the very same inputs saved.
   * @default - on-demand instances
   */
  readonly spot?: { maxWait: Duration; checkpointS3Uri: string };
  /** No network from the container; the code then comes in as the `code` input channel. @default false */
  readonly networkIsolation?: boolean;
  /** Encrypt traffic between instances of a multi-instance job. @default false */
  readonly interContainerTrafficEncryption?: boolean;
  /**
   * Encrypts the instances' storage volumes: the role and onEvent get {@link grantVolumeKey}.
   * @default - SageMaker's AWS managed key
   */
  readonly volumeKmsKey?: kms.IKey;
  /**
   * Encrypts model.tar.gz (SSE-KMS): the role gets {@link grantOutputKey}.
   * @default - the output bucket's default encryption
   */
  readonly outputKmsKey?: kms.IKey;
  /** Fail the deploy when this final metric is below `value`. @default - no minimum */
  readonly minimumMetric?: { name: string; value: number };
  /**
   * Settings to try when SageMaker refuses the job over a service quota (ResourceLimitExceeded),
   * quoted in the deploy's error after the quota's name and how to raise it. Changing it never
   * retrains (it is not part of the training fingerprint). @default - the error names the quota only
   */
  readonly quotaAdvice?: string;
}

/**
 * A SageMaker training job as a CloudFormation resource: the deploy waits for the job and gets
 * the model artifact's location and the final metrics back; a failed job fails the deploy.
 *
 * Parts: the source bundle (source-bundle.ts), the handlers' Provider (training-job-provider.ts),
 * the limits the props are checked against (limits.ts); the handlers are in lambda/training-job/.
 */
export class SageMakerTrainingJob extends Construct {
  public readonly resource: CustomResource;
  /** s3://…/model.tar.gz */
  public readonly modelDataUrl: string;
  public readonly modelDataBucket: string;
  public readonly modelDataKey: string;
  public readonly trainingJobName: string;
  public readonly trainingJobArn: string;
  /** The sourcedir.tar.gz asset. */
  public readonly codeAsset: s3assets.Asset;
  public readonly onEventFunction: lambda.IFunction;
  public readonly isCompleteFunction: lambda.IFunction;
  /** Where the handlers log: each poll's status, step and metrics (`aws logs tail <name> --follow`). */
  public readonly logGroup: logs.ILogGroup;
  /** The job-name prefix with this stack's scope appended, as the handlers and IAM use it. */
  public readonly jobNamePrefix: string;
  /** The names of `metricDefinitions`, in order: each has a {@link finalMetric}. */
  public readonly metricNames: string[];

  constructor(scope: Construct, id: string, props: SageMakerTrainingJobProps) {
    super(scope, id);
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const serviceTimeout = props.serviceTimeout ?? MAX_SERVICE_TIMEOUT;
    const totalTimeout = props.totalTimeout ?? serviceTimeout.minus(PROVIDER_TIMEOUT_MARGIN);
    validateTrainingJobProps(props, { pollInterval, serviceTimeout, totalTimeout });
    this.metricNames = props.metricDefinitions.map((m) => m.name);
    const stack = Stack.of(this);
    this.jobNamePrefix = `${props.jobNamePrefix}-${stackScope(stack, this)}`;

    this.codeAsset = sourceBundleAsset(this, 'SourceDir', props);
    grantSourceBundleRead(this.codeAsset, props.role, { asInputChannel: props.networkIsolation });
    if (props.volumeKmsKey) grantVolumeKey(props.volumeKmsKey, props.role);
    if (props.outputKmsKey) grantOutputKey(props.outputKmsKey, props.role);

    const backend = trainingJobProvider(this, {
      executionRole: props.role,
      jobNamePrefix: this.jobNamePrefix,
      outputS3Uri: props.outputS3Uri,
      volumeKmsKey: props.volumeKmsKey,
      pollInterval,
      totalTimeout,
    });
    this.logGroup = backend.logGroup;
    this.onEventFunction = backend.onEventFunction;
    this.isCompleteFunction = backend.isCompleteFunction;

    const properties: TrainingJobProperties = {
      JobNamePrefix: this.jobNamePrefix,
      TrainingImage: props.image,
      RoleArn: props.role.roleArn,
      EntryPoint: props.entryPoint,
      CodeS3Uri: this.codeAsset.s3ObjectUrl,
      HyperParameters: encodeHyperparameters({ ...props.hyperparameters }),
      MetricDefinitions: props.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })),
      InstanceType: props.instanceType,
      InstanceCount: props.instanceCount,
      VolumeSizeInGB: props.volumeSizeGb ?? 30,
      MaxRuntimeInSeconds: props.maxRuntime.toSeconds(),
      InputChannels: props.inputChannels.map((c) => ({ Name: c.name, S3Uri: c.s3Uri, Revision: c.revision })),
      OutputS3Uri: props.outputS3Uri,
      OutputKmsKeyId: props.outputKmsKey?.keyArn,
      VolumeKmsKeyId: props.volumeKmsKey?.keyArn,
      Spot: props.spot
        ? { MaxWaitTimeInSeconds: props.spot.maxWait.toSeconds(), CheckpointS3Uri: props.spot.checkpointS3Uri }
        : undefined,
      EnableNetworkIsolation: props.networkIsolation ?? false,
      EnableInterContainerTrafficEncryption: props.interContainerTrafficEncryption ?? false,
      MinimumMetric: props.minimumMetric ? { Name: props.minimumMetric.name, Value: props.minimumMetric.value } : undefined,
      OwnerTag: `${stack.stackName}/${id}`,
      QuotaAdvice: props.quotaAdvice,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: backend.provider.serviceToken,
      resourceType: 'Custom::SageMakerTrainingJob',
      properties: properties as unknown as Record<string, unknown>,
      // Explicit, so the Provider's total wait provably stays below it (validateTrainingJobProps).
      serviceTimeout,
    });
    this.modelDataUrl = this.resource.getAttString('ModelDataUrl');
    this.modelDataBucket = this.resource.getAttString('ModelDataBucket');
    this.modelDataKey = this.resource.getAttString('ModelDataKey');
    this.trainingJobName = this.resource.getAttString('TrainingJobName');
    this.trainingJobArn = this.resource.getAttString('TrainingJobArn');
  }

  /**
   * A final metric of the completed job (e.g. `finalMetric('test:accuracy')`), as a string token:
   * the last value SageMaker read for that metric definition, known once the deploy has waited for
   * the job. For dashboards (a text widget, an output) and checks; a name without a metric
   * definition throws, naming the defined ones.
   */
  public finalMetric(name: string): string {
    if (!this.metricNames.includes(name)) {
      throw new Error(`finalMetric('${name}'): no metric definition with that name; defined: ${this.metricNames.join(', ') || 'none'}`);
    }
    return this.resource.getAttString(metricAttributeName(name));
  }
}

/** 8 hex characters naming this construct in this stack: the stack name (unique per account and region) and the construct path. */
function stackScope(stack: Stack, scope: Construct): string {
  const stackName = Token.isUnresolved(stack.stackName) ? '' : stack.stackName;
  return crypto.createHash('sha256').update(`${stackName}\n${scope.node.path}`).digest('hex').slice(0, JOB_NAME_SCOPE_LENGTH - 1);
}
