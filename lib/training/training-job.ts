import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  encodeHyperparameters,
  HyperparameterValue,
  metricAttributeName,
  validateHyperparameters,
} from '../../lambda/training-job/hyperparameters';
import { validateJobNamePrefix } from '../../lambda/training-job/job-name';
import { FINGERPRINT_TAG } from '../../lambda/training-job/fingerprint';
import type { TrainingJobProperties } from '../../lambda/training-job/properties';
import { bundledHandler, ShippedHandler } from '../common/bundled-handler';
import { acknowledgeWildcard } from '../common/nag-acknowledge';
import { createTar, gzipDeterministic } from './tarball';

/** The longest CloudFormation waits for a custom resource (its ServiceTimeout's maximum and default). */
export const MAX_SERVICE_TIMEOUT = Duration.hours(1);
/**
 * CloudFormation's clock starts before the Provider's waiter does and stops after it answers: the
 * onEvent call (Lambda timeout 2 min, typically seconds), the state machine's start, the time
 * every poll itself takes (about 110 short isComplete calls), the last poll (timeout 2 min) and the
 * answer to CloudFormation. The Provider's total wait stays this much below ServiceTimeout, so
 * the deploy ends with the handler's own message, not CloudFormation's generic timeout.
 */
export const PROVIDER_TIMEOUT_MARGIN = Duration.minutes(5);
/** The longest the Provider may wait for a job: ServiceTimeout's maximum less the margin (55 min). */
export const MAX_PROVIDER_TIMEOUT = MAX_SERVICE_TIMEOUT.minus(PROVIDER_TIMEOUT_MARGIN);
/** Characters the construct adds to jobNamePrefix: '-' + 8 hex of the stack name and construct path. */
export const JOB_NAME_SCOPE_LENGTH = 9;
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
   */
  readonly spot?: { maxWait: Duration; checkpointS3Uri: string };
  /** No network from the container; the code then comes in as the `code` input channel. @default false */
  readonly networkIsolation?: boolean;
  /** Encrypt traffic between instances of a multi-instance job. @default false */
  readonly interContainerTrafficEncryption?: boolean;
  readonly volumeKmsKey?: kms.IKey;
  readonly outputKmsKey?: kms.IKey;
  /** Fail the deploy when this final metric is below `value`. */
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
  private readonly metricNames: string[];

  constructor(scope: Construct, id: string, props: SageMakerTrainingJobProps) {
    super(scope, id);
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const serviceTimeout = props.serviceTimeout ?? MAX_SERVICE_TIMEOUT;
    const totalTimeout = props.totalTimeout ?? serviceTimeout.minus(PROVIDER_TIMEOUT_MARGIN);
    validateProps(props, pollInterval, serviceTimeout, totalTimeout);
    this.metricNames = props.metricDefinitions.map((m) => m.name);
    const stack = Stack.of(this);
    this.jobNamePrefix = `${props.jobNamePrefix}-${stackScope(stack, this)}`;

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
    if (props.volumeKmsKey) {
      for (const statement of volumeKeyStatements(props.volumeKmsKey.keyArn)) props.role.addToPrincipalPolicy(statement);
    }
    if (props.outputKmsKey) {
      // model.tar.gz goes up as SSE-KMS: SageMaker's OutputDataConfig needs kms:Encrypt, S3 needs
      // GenerateDataKey, and a multipart upload Decrypt. No ReEncrypt*, no GenerateDataKey* variants.
      props.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.outputKmsKey.keyArn],
      }));
    }

    const jobArnPattern = stack.formatArn({
      service: 'sagemaker',
      resource: 'training-job',
      resourceName: `${this.jobNamePrefix.toLowerCase()}-*`,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    const onEvent = handlerFunction(this, 'OnEvent', 'training-job-on-event', logGroup, Duration.minutes(2));
    const isComplete = handlerFunction(this, 'IsComplete', 'training-job-is-complete', logGroup, Duration.minutes(2));
    this.onEventFunction = onEvent;
    this.isCompleteFunction = isComplete;

    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnTrainingJobs',
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
          'sagemaker:ListTags',
        ],
        resources: [jobArnPattern],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'FindJobsWithSameInputs',
        actions: ['sagemaker:ListTrainingJobs'],
        resources: ['*'],
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
    // Before reusing a finished job, onEvent confirms its model.tar.gz is still there (HeadObject:
    // GetObject). S3 answers a HEAD of a missing key with 403 unless the caller may list that key,
    // so ListBucket too, for exactly these keys. A HEAD reads metadata only: no KMS permission.
    const artifactKeys = modelArtifactKeyPattern(props.outputS3Uri, this.jobNamePrefix);
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ConfirmOwnModelArtifacts',
        actions: ['s3:GetObject'],
        resources: [`arn:${stack.partition}:s3:::${artifactKeys.bucketName}/${artifactKeys.keyPattern}`],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MissingArtifactIs404',
        actions: ['s3:ListBucket'],
        resources: [`arn:${stack.partition}:s3:::${artifactKeys.bucketName}`],
        conditions: { StringLike: { 's3:prefix': [artifactKeys.keyPattern] } },
      }),
    );
    if (props.volumeKmsKey) {
      // SageMaker creates the grant that encrypts the instance volumes on the caller's behalf.
      const sids = { grant: 'GrantVolumeKeyToSageMaker', describe: 'DescribeVolumeKey' };
      for (const statement of volumeKeyStatements(props.volumeKmsKey.keyArn, sids)) onEvent.addToRolePolicy(statement);
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
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SageMakerTrainingJob',
      properties: properties as unknown as Record<string, unknown>,
      // Explicit, so the Provider's total wait provably stays below it (validateProps).
      serviceTimeout,
    });
    this.modelDataUrl = this.resource.getAttString('ModelDataUrl');
    this.modelDataBucket = this.resource.getAttString('ModelDataBucket');
    this.modelDataKey = this.resource.getAttString('ModelDataKey');
    this.trainingJobName = this.resource.getAttString('TrainingJobName');
    this.trainingJobArn = this.resource.getAttString('TrainingJobArn');

    acknowledgeWildcard(this, { resource: jobArnPattern },
      'Every create starts a job with a new timestamped name, so the handlers can only be scoped to training-job/<prefix>-<stack scope>-* (their own jobs, not another stack\'s).');
    acknowledgeWildcard(this, { resource: `arn:${stack.partition}:s3:::${artifactKeys.bucketName}/${artifactKeys.keyPattern}` },
      'onEvent reads (HEAD) only its own jobs\' model.tar.gz: job names are new on every create, so the key is scoped to <output prefix><prefix>-<stack scope>-*/output/model.tar.gz.');
    acknowledgeWildcard(this, { resource: '*' },
      'sagemaker:ListTrainingJobs has no resource-level permissions (Service Authorization Reference), so it takes Resource *; ' +
        'it lists names and statuses only, and the handler reuses a job only after ListTags (scoped to its own jobs) confirms the ' +
        `${FINGERPRINT_TAG} tag.`);
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

/**
 * Using a volume key: instance volumes are attached through a grant on the key, made for an AWS
 * resource only; DescribeKey is no grant call, so it never carries kms:GrantIsForAWSResource and
 * needs its own statement (under that condition it would never be allowed). Both on this one key.
 */
function volumeKeyStatements(keyArn: string, sids?: { grant: string; describe: string }): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: sids?.grant,
      actions: ['kms:CreateGrant'],
      resources: [keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    new iam.PolicyStatement({ sid: sids?.describe, actions: ['kms:DescribeKey'], resources: [keyArn] }),
  ];
}

/**
 * Where SageMaker writes the model of a job of this construct: `<output prefix>/<job name>/output/model.tar.gz`,
 * job names being `<prefix, lower case>-…` (SageMaker adds the `/` after a prefix that lacks it).
 */
export function modelArtifactKeyPattern(outputS3Uri: string, jobNamePrefix: string): { bucketName: string; keyPattern: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(outputS3Uri);
  if (!match) throw new Error(`outputS3Uri '${outputS3Uri}' is not an S3 URI like s3://bucket/prefix/`);
  const [, bucketName, prefix] = match;
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return { bucketName, keyPattern: `${base}${jobNamePrefix.toLowerCase()}-*/output/model.tar.gz` };
}

/** 8 hex characters naming this construct in this stack: the stack name (unique per account and region) and the construct path. */
function stackScope(stack: Stack, scope: Construct): string {
  const stackName = Token.isUnresolved(stack.stackName) ? '' : stack.stackName;
  return crypto.createHash('sha256').update(`${stackName}\n${scope.node.path}`).digest('hex').slice(0, JOB_NAME_SCOPE_LENGTH - 1);
}

function validateProps(props: SageMakerTrainingJobProps, pollInterval: Duration, serviceTimeout: Duration, totalTimeout: Duration): void {
  validateJobNamePrefix(props.jobNamePrefix, JOB_NAME_SCOPE_LENGTH);
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

  const service = serviceTimeout.toSeconds();
  if (service < 1 || service > MAX_SERVICE_TIMEOUT.toSeconds()) {
    throw new Error(`serviceTimeout (${service} s) must be 1-${MAX_SERVICE_TIMEOUT.toSeconds()} s: CloudFormation waits for a custom resource at most one hour`);
  }
  const poll = pollInterval.toSeconds();
  const total = totalTimeout.toSeconds();
  const longestTotal = service - PROVIDER_TIMEOUT_MARGIN.toSeconds();
  if (poll < 1 || total < poll || total > longestTotal || total % poll !== 0) {
    throw new Error(
      `totalTimeout (${total} s) must be at most ${longestTotal} s (serviceTimeout ${service} s less ${PROVIDER_TIMEOUT_MARGIN.toSeconds()} s ` +
        'for the calls around the wait, so the deploy ends with the handler\'s message rather than CloudFormation\'s timeout) ' +
        `and a whole multiple of pollInterval (${poll} s)`,
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
        `lower it to at most ${total - margin} s, or raise totalTimeout (at most ${longestTotal} s with serviceTimeout ${service} s)`,
    );
  }
}

/** A bundled handler (AWS SDK v3 included) with its own role that can only write its log group. */
function handlerFunction(scope: Construct, id: string, handler: ShippedHandler, logGroup: logs.ILogGroup, timeout: Duration): lambda.Function {
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantLogWrite(role, logGroup);
  return bundledHandler(scope, id, { handler, memorySize: 256, timeout, role, logGroup });
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
