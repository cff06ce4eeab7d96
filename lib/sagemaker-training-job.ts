import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  encodeHyperparameters,
  HyperparameterValue,
  metricAttributeName,
  validateHyperparameters,
} from '../lambda/training-job/hyperparameters';
import { validateJobNamePrefix } from '../lambda/training-job/job-name';
import type { TrainingJobProperties } from '../lambda/training-job/properties';
import { acknowledgeWildcard } from './nag-acknowledge';
import { createTar, gzipDeterministic } from './tarball';

/** The longest a CloudFormation custom resource may wait (its ServiceTimeout cap), so the Provider's cap too. */
export const MAX_PROVIDER_TIMEOUT = Duration.hours(1);
/**
 * Time a job needs beyond MaxRuntimeInSeconds: instance provisioning and image download before,
 * model upload after, plus the Provider's own start. The provider must be able to wait this long.
 */
export const TRAINING_JOB_MARGIN = Duration.minutes(10);

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
  readonly instanceType: string;
  readonly instanceCount: number;
  /** @default 30 */
  readonly volumeSizeGb?: number;
  /** The job's MaxRuntimeInSeconds. Plus TRAINING_JOB_MARGIN it must fit in `totalTimeout`. */
  readonly maxRuntime: Duration;
  /** S3Prefix, FullyReplicated, File mode channels; each becomes SM_CHANNEL_<NAME>. */
  readonly inputChannels: Array<{ name: string; s3Uri: string }>;
  /** S3 prefix for `<job>/output/model.tar.gz`. */
  readonly outputS3Uri: string;
  readonly metricDefinitions: Array<{ name: string; regex: string }>;
  /** Job names are `<prefix lower-cased>-<yyyymmddHHMMSS>-<4 random>` (prefix ≤ 43 characters). */
  readonly jobNamePrefix: string;
  /** How often isComplete polls DescribeTrainingJob. @default 30 seconds */
  readonly pollInterval?: Duration;
  /** How long the Provider waits for the job (≤ 1 hour, a whole multiple of pollInterval). @default 1 hour */
  readonly totalTimeout?: Duration;
  /** Managed spot training: `maxWait` ≥ `maxRuntime` bounds waiting for capacity plus running; checkpoints go to S3. */
  readonly spot?: { maxWait: Duration; checkpointS3Uri: string };
  /** No network from the container; the code then comes in as the `code` input channel. @default false */
  readonly networkIsolation?: boolean;
  /** Encrypt traffic between instances of a multi-instance job. @default false */
  readonly interContainerTrafficEncryption?: boolean;
  readonly volumeKmsKey?: kms.IKey;
  readonly outputKmsKey?: kms.IKey;
  /** Fail the deploy when this final metric is below `value`. */
  readonly minimumMetric?: { name: string; value: number };
}

/**
 * A SageMaker training job as a CloudFormation resource: the deploy waits for the job and gets
 * the model artifact's location and the final metrics back; a failed job fails the deploy.
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
  private readonly metricNames: string[];

  constructor(scope: Construct, id: string, props: SageMakerTrainingJobProps) {
    super(scope, id);
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const totalTimeout = props.totalTimeout ?? MAX_PROVIDER_TIMEOUT;
    validateProps(props, pollInterval, totalTimeout);
    this.metricNames = props.metricDefinitions.map((m) => m.name);

    // sourcedir.tar.gz, hashed on the uncompressed tar so a different zlib never changes the asset;
    // kept in one folder per content hash, so repeated synths do not pile up temporary files.
    const tar = createTar(props.sourceDirectory, { excludeRootFiles: props.excludeFromSource });
    const contentHash = crypto.createHash('sha256').update(tar).digest('hex');
    const tarball = path.join(os.tmpdir(), 'cdk-sagemaker-sourcedir', contentHash, 'sourcedir.tar.gz');
    if (!fs.existsSync(tarball)) {
      fs.mkdirSync(path.dirname(tarball), { recursive: true });
      const partial = `${tarball}.${process.pid}.tmp`;
      fs.writeFileSync(partial, gzipDeterministic(tar));
      fs.renameSync(partial, tarball);
    }
    this.codeAsset = new s3assets.Asset(this, 'SourceDir', { path: tarball, assetHash: contentHash });
    // Only this object, not the whole bootstrap bucket (Asset.grantRead would grant s3:List* and s3:GetObject* on all of it).
    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.codeAsset.bucket.arnForObjects(this.codeAsset.s3ObjectKey)],
      }),
    );
    if (props.networkIsolation) {
      // As an S3Prefix input channel, SageMaker lists the key before downloading it.
      props.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.codeAsset.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [this.codeAsset.s3ObjectKey] } },
        }),
      );
    }
    this.codeAsset.bucket.encryptionKey?.grantDecrypt(props.role);
    props.volumeKmsKey?.grantEncryptDecrypt(props.role);
    props.outputKmsKey?.grantEncryptDecrypt(props.role);

    const stack = Stack.of(this);
    const jobArnPattern = stack.formatArn({
      service: 'sagemaker',
      resource: 'training-job',
      resourceName: `${props.jobNamePrefix.toLowerCase()}-*`,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    const onEvent = handlerFunction(this, 'OnEvent', 'on-event.ts', logGroup, Duration.minutes(2));
    const isComplete = handlerFunction(this, 'IsComplete', 'is-complete.ts', logGroup, Duration.minutes(2));
    this.onEventFunction = onEvent;
    this.isCompleteFunction = isComplete;

    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnTrainingJobs',
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags'],
        resources: [jobArnPattern],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassExecutionRoleToSageMaker',
        actions: ['iam:PassRole'],
        resources: [props.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    if (props.volumeKmsKey) {
      // SageMaker creates the grant that encrypts the instance volumes on the caller's behalf.
      onEvent.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'GrantVolumeKeyToSageMaker',
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: [props.volumeKmsKey.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      );
    }
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeOwnTrainingJobs',
        actions: ['sagemaker:DescribeTrainingJob'],
        resources: [jobArnPattern],
      }),
    );

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: pollInterval,
      totalTimeout,
      logGroup,
      frameworkOnEventRole: frameworkRole(this, 'FrameworkOnEventRole', logGroup),
      frameworkCompleteAndTimeoutRole: frameworkRole(this, 'FrameworkCompleteRole', logGroup),
    });

    const properties: TrainingJobProperties = {
      JobNamePrefix: props.jobNamePrefix,
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
      InputChannels: props.inputChannels.map((c) => ({ Name: c.name, S3Uri: c.s3Uri })),
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
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SageMakerTrainingJob',
      properties: properties as unknown as Record<string, unknown>,
    });
    this.modelDataUrl = this.resource.getAttString('ModelDataUrl');
    this.modelDataBucket = this.resource.getAttString('ModelDataBucket');
    this.modelDataKey = this.resource.getAttString('ModelDataKey');
    this.trainingJobName = this.resource.getAttString('TrainingJobName');
    this.trainingJobArn = this.resource.getAttString('TrainingJobArn');

    acknowledgeWildcard(this, { resource: jobArnPattern },
      'Every create starts a job with a new timestamped name, so the handlers can only be scoped to training-job/<prefix>-* (their own jobs).');
    for (const fn of [onEvent, isComplete, frameworkFunction(provider, 'isComplete'), frameworkFunction(provider, 'onTimeout')]) {
      acknowledgeWildcard(this, { resource: `${fn.functionArn}:*` },
        'The CDK Provider framework grants lambda:InvokeFunction on its own handler function and that function\'s versions (<arn>:*), nothing else.');
    }
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-SF1',
      reason: 'The Provider\'s waiter state machine only re-invokes isComplete on a timer; every poll is logged by the isComplete function.',
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-SF2',
      reason: 'The Provider\'s waiter state machine is a timer loop around one Lambda function; X-Ray tracing would add cost and no insight.',
    });
  }

  /** A final metric of the completed job (e.g. `finalMetric('test:accuracy')`), as a string token. */
  public finalMetric(name: string): string {
    if (!this.metricNames.includes(name)) {
      throw new Error(`finalMetric('${name}'): no metric definition with that name; defined: ${this.metricNames.join(', ') || 'none'}`);
    }
    return this.resource.getAttString(metricAttributeName(name));
  }
}

function validateProps(props: SageMakerTrainingJobProps, pollInterval: Duration, totalTimeout: Duration): void {
  validateJobNamePrefix(props.jobNamePrefix);
  validateHyperparameters(props.hyperparameters, (v) => Token.isUnresolved(v));
  const shipsRequirements = !(props.excludeFromSource ?? []).includes('requirements.txt')
    && fs.existsSync(path.join(props.sourceDirectory, 'requirements.txt'));
  if (props.networkIsolation && shipsRequirements) {
    throw new Error(
      `sourceDirectory '${props.sourceDirectory}' has a requirements.txt, which makes the container run pip at start: ` +
        'with networkIsolation it cannot reach an index and the job fails. Put the packages in the image, leave the file out ' +
          "(excludeFromSource: ['requirements.txt']), or turn networkIsolation off",
    );
  }
  const entryPath = path.join(props.sourceDirectory, props.entryPoint);
  if (props.entryPoint.includes('/') || !fs.existsSync(entryPath)) {
    throw new Error(`entryPoint '${props.entryPoint}' must be a file at the root of sourceDirectory '${props.sourceDirectory}'`);
  }
  if (!Number.isInteger(props.instanceCount) || props.instanceCount < 1) {
    throw new Error(`instanceCount must be a positive integer, got ${props.instanceCount}`);
  }
  if (props.volumeSizeGb !== undefined && (!Number.isInteger(props.volumeSizeGb) || props.volumeSizeGb < 1)) {
    throw new Error(`volumeSizeGb must be a positive integer, got ${props.volumeSizeGb}`);
  }
  if (!Token.isUnresolved(props.instanceType) && !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(props.instanceType)) {
    throw new Error(`instanceType '${props.instanceType}' is not a SageMaker instance type like 'ml.c5.2xlarge'`);
  }
  const names = new Set<string>();
  for (const channel of props.inputChannels) {
    if (!/^[A-Za-z0-9\.\-_]{1,64}$/.test(channel.name) || names.has(channel.name)) {
      throw new Error(`input channel name '${channel.name}' is invalid or repeated (1-64 letters, digits, '.', '-', '_')`);
    }
    if (props.networkIsolation && channel.name === 'code') {
      throw new Error("input channel name 'code' is reserved for the source code when networkIsolation is on");
    }
    names.add(channel.name);
  }
  const metricKeys = new Set<string>();
  for (const metric of props.metricDefinitions) {
    const key = metricAttributeName(metric.name);
    if (metricKeys.has(key)) throw new Error(`metric definition '${metric.name}' repeats another metric's name`);
    metricKeys.add(key);
  }
  if (props.minimumMetric && !props.metricDefinitions.some((m) => m.name === props.minimumMetric!.name)) {
    throw new Error(`minimumMetric '${props.minimumMetric.name}' has no metric definition with that name`);
  }

  const poll = pollInterval.toSeconds();
  const total = totalTimeout.toSeconds();
  if (poll < 1 || total > MAX_PROVIDER_TIMEOUT.toSeconds() || total % poll !== 0) {
    throw new Error(
      `totalTimeout (${total} s) must be at most ${MAX_PROVIDER_TIMEOUT.toSeconds()} s (CloudFormation waits for a custom resource ` +
        `at most one hour) and a whole multiple of pollInterval (${poll} s)`,
    );
  }
  const runtime = props.maxRuntime.toSeconds();
  if (runtime < 1) throw new Error('maxRuntime must be at least 1 second');
  const longest = props.spot ? props.spot.maxWait.toSeconds() : runtime;
  if (props.spot && props.spot.maxWait.toSeconds() < runtime) {
    throw new Error(`spot.maxWait (${props.spot.maxWait.toSeconds()} s) must be at least maxRuntime (${runtime} s)`);
  }
  const margin = TRAINING_JOB_MARGIN.toSeconds();
  if (longest + margin > total) {
    throw new Error(
      `${props.spot ? 'spot.maxWait' : 'maxRuntime'} (${longest} s) plus ${margin} s for starting and uploading exceeds the ` +
        `provider's totalTimeout (${total} s), so CloudFormation would give up on a job that may still succeed: ` +
        `lower it to at most ${total - margin} s, or raise totalTimeout (at most ${MAX_PROVIDER_TIMEOUT.toSeconds()} s)`,
    );
  }
}

/** A handler bundled by esbuild (AWS SDK v3 included) with its own role that can only write its log group. */
function handlerFunction(scope: Construct, id: string, file: string, logGroup: logs.ILogGroup, timeout: Duration): nodejs.NodejsFunction {
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantLogWrite(role, logGroup);
  return new nodejs.NodejsFunction(scope, id, {
    entry: path.join(__dirname, '..', 'lambda', 'training-job', file),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout,
    role,
    logGroup,
    bundling: { externalModules: [], minify: true, sourceMap: false },
  });
}

/** One of the Provider framework's own functions (`framework-onEvent`, `framework-isComplete`, `framework-onTimeout`). */
function frameworkFunction(provider: cr.Provider, entrypoint: string): lambda.IFunction {
  return provider.node.findChild(`framework-${entrypoint}`) as lambda.IFunction;
}

function frameworkRole(scope: Construct, id: string, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantLogWrite(role, logGroup);
  return role;
}

function grantLogWrite(role: iam.Role, logGroup: logs.ILogGroup): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}
