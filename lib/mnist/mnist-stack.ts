import * as crypto from 'crypto';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from '@aws-cdk/aws-sagemaker-alpha';
import { Construct } from 'constructs';
import {
  dataS3BucketRegion, deploysRealtimeEndpoint, isGpuInstanceType, MnistSettings, MnistSettingsOverrides, quotaAdvice, resolveSettings, rolloutOptions,
  SAMPLE_FILES_ONLY_IN_AWS, SAMPLE_FILES_PARTITION, validateSettingsForRegion,
} from '../settings';
import { MNIST } from './mnist-constants';
import { consoleHost } from '../common/console-host';
import { grantOutputKey, grantVolumeKey } from '../common/key-grants';
import { DlcImage } from '../training/dlc-image';
import { endpointFleetRevision } from '../quotas/fleet-revision';
import { hasInstanceStorage } from '../settings/instance-types';
import { grantArtifactRead, pytorchInferenceEnvironment } from '../endpoints/pytorch-model';
import { RegisteredModel } from '../endpoints/registered-model';
import { ApprovedModelPackage } from '../registry/approved-model-package';
import { IModelPackageGroup, ModelPackageGroup } from '../registry/model-package-group';
import { ModelPackageVersion } from '../registry/model-package-version';
import { PromotionPointer } from '../registry/promotion-pointer';
import { PromotionOptions, RegistrySource } from './model-source';
import { RealtimeEndpoint } from '../endpoints/realtime-endpoint';
import { sageMakerQuotaRequirements } from './mnist-quotas';
import { SageMakerExecutionRole } from '../training/execution-role';
import { SageMakerTrainingJob } from '../training/training-job';
import { SecureBucket } from '../common/secure-bucket';
import { ServiceQuotaCheck } from '../quotas/service-quota-check';
import { ServerlessEndpoint } from '../endpoints/serverless-endpoint';
import { EndpointMonitoring } from '../monitoring/endpoint-monitoring';
import { EndpointSmokeTest } from '../smoke-test/endpoint-smoke-test';
import { IServingEndpoint } from '../endpoints/serving-endpoint';
import { SmokeTestCases } from '../smoke-test/smoke-test-cases';
import { TrainingData, TrainingDataSource } from '../training/training-data';
import { SettingsError } from '../settings/settings-error';
import { acknowledgeWildcard } from '../common/nag-acknowledge';

export interface MnistStackProps extends StackProps {
  /** Settings from code; they win over cdk.json / `-c` context, which wins over the defaults. */
  readonly settings?: MnistSettingsOverrides;
  /**
   * Serve an approved version from a model registry and train nothing (the pipeline's prod).
   * @default - train, register the model as a version of this stack's group, serve that version
   */
  readonly servedFromRegistry?: RegistrySource;
  /**
   * Keep a promotion pointer for this stack's group (its newest Approved version) and admit the
   * consumer accounts, for stacks that serve from this registry. Ignored with servedFromRegistry.
   * @default - no pointer
   */
  readonly promotion?: PromotionOptions;
  /** This stack's model package group. @default `<stack name>-models` */
  readonly modelPackageGroupName?: string;
  /**
   * Other accounts that may invoke the smoke-test function (a pipeline in another account runs
   * it after deploying this stack): its resource policy admits them; their own IAM narrows it.
   * @default none
   */
  readonly smokeTestInvokerAccounts?: string[];
}

/**
 * The article's notebook as one stack: data into a bucket, a PyTorch training job, a model,
 * a real-time and a serverless endpoint, and a smoke test that must pass for the deploy to succeed.
 */
export class MnistSageMakerStack extends Stack {
  public readonly settings: MnistSettings;
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey?: kms.Key;
  public readonly executionRole: iam.Role;
  /** The training job; undefined in a stack served from a registry. */
  public readonly trainingJob?: SageMakerTrainingJob;
  /** The model package group this stack registers into, or serves from. */
  public readonly modelPackageGroup: IModelPackageGroup;
  /** ARN of the version the endpoints serve (a deploy-time value). */
  public readonly modelPackageArn: string;
  /** Its version number. */
  public readonly modelPackageVersion: string;
  /** The promotion pointer, where this stack keeps one. */
  public readonly promotionPointer?: PromotionPointer;
  /** The registration of the trained model (undefined when served from a registry). */
  public readonly registration?: ModelPackageVersion;
  /** The training data (undefined when served from a registry). */
  public readonly trainingData?: TrainingData;
  /** Output with the served version's ARN (the pipeline's approval step reads dev's). */
  public readonly modelPackageArnOutput: CfnOutput;
  public readonly model: sagemaker.IModel;
  public readonly realtimeEndpoint?: RealtimeEndpoint;
  public readonly serverlessEndpoint?: ServerlessEndpoint;
  public readonly realtimeEndpointName?: string;
  public readonly serverlessEndpointName?: string;
  public readonly endpointNames: string[];
  public readonly smokeTest: EndpointSmokeTest;
  public readonly smokeTestFunction: lambda.IFunction;
  public readonly smokeTestFunctionNameOutput: CfnOutput;
  /** Alarms, their SNS topic and the dashboard (EndpointMonitoring). */
  public readonly monitoring: EndpointMonitoring;

  constructor(scope: Construct, id: string, props: MnistStackProps = {}) {
    super(scope, id, {
      description: 'MNIST on SageMaker: train PyTorch, serve real-time and serverless, smoke-test on deploy',
      ...props,
    });
    const s = (this.settings = resolveSettings(this.node, props.settings));
    // A region-agnostic template is checked at deploy time instead (TrainingData's CloudFormation Rules).
    if (!Token.isUnresolved(this.region)) validateSettingsForRegion(s, this.region);

    const storage = new SecureBucket(this, 'Storage', {
      encryption: s.bucketEncryption,
      destroyOnDelete: s.destroyBucketOnDelete,
    });
    this.bucket = storage.bucket;
    this.encryptionKey = storage.encryptionKey;
    const key = storage.encryptionKey;

    const fromRegistry = props.servedFromRegistry;
    const trainingImage = fromRegistry ? undefined : new DlcImage(this, {
      repositoryName: 'pytorch-training',
      tag: isGpuInstanceType(s.trainingInstanceType) ? s.trainingImageTagGpu : s.trainingImageTag,
      account: s.dlcAccount,
    });
    // One model serves both endpoints; serverless is CPU only (settings refuse GPU + serverless).
    // Served from a registry, the version names its image: the role may pull this repository's.
    const gpuInference = s.realtimeEndpoint && isGpuInstanceType(s.realtimeInstanceType);
    const inferenceImage = new DlcImage(this, {
      repositoryName: 'pytorch-inference',
      tag: gpuInference ? s.inferenceImageTagGpu : s.inferenceImageTag,
      account: s.dlcAccount,
    });

    const role = new SageMakerExecutionRole(this, 'ExecutionRole', { images: trainingImage ? [trainingImage, inferenceImage] : [inferenceImage] });
    this.executionRole = role.role;
    if (!fromRegistry) storage.grantWritePrefix(role, MNIST.outputPrefix);
    // Training volumes and output, endpoint storage.
    if (key) {
      if (!fromRegistry) grantOutputKey(key, role);
      grantVolumeKey(key, role);
    }

    let model: RegisteredModel;
    if (fromRegistry) {
      const served = this.approvedVersion(fromRegistry);
      this.modelPackageGroup = served.group;
      model = new RegisteredModel(this, 'Model', { role: role.role, modelPackageArn: served.modelPackageArn });
      model.resource.node.addDependency(this.grantRegistryArtifactRead(role.role, served.group));
      this.modelPackageArn = served.modelPackageArn;
      this.modelPackageVersion = served.modelPackageVersion;
    } else {
      ({ trainingJob: this.trainingJob, trainingData: this.trainingData } = this.train(s, role, storage, trainingImage!));
      const group = new ModelPackageGroup(this, 'ModelRegistry', {
        modelPackageGroupName: props.modelPackageGroupName ?? `${this.stackName}-models`,
        description: `MNIST models trained by the stack ${this.stackName}`,
        consumerAccounts: props.promotion?.consumerAccounts,
        // Kept by default: versions are history, as the retained bucket keeps their artifacts.
        removalPolicy: s.destroyBucketOnDelete ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      this.modelPackageGroup = group;
      const version = this.register(s, group, inferenceImage);
      model = new RegisteredModel(this, 'Model', { role: role.role, modelPackageArn: version.modelPackageArn });
      model.resource.node.addDependency(grantArtifactRead(model, role.role, this.bucket, this.trainingJob.modelDataKey));
      this.modelPackageArn = version.modelPackageArn;
      this.modelPackageVersion = version.modelPackageVersion;
      this.registration = version;
      if (props.promotion) {
        this.promotionPointer = new PromotionPointer(this, 'PromotionPointer', {
          group,
          parameterName: props.promotion.pointerParameterName,
          consumerAccounts: props.promotion.consumerAccounts,
        });
        this.admitConsumers(props.promotion.consumerAccounts ?? []);
      }
    }
    this.model = model.model;
    const bucketUri = (prefix: string) => `s3://${this.bucket.bucketName}/${prefix}`;

    // A paused real-time endpoint keeps its settings but has no resources (see pauseRealtimeEndpoint).
    if (deploysRealtimeEndpoint(s)) {
      if (s.dataCapturePercent > 0) storage.grantWritePrefix(role, MNIST.dataCapturePrefix);
      this.realtimeEndpoint = new RealtimeEndpoint(this, 'RealtimeEndpoint', {
        model: this.model,
        instanceType: s.realtimeInstanceType,
        instanceCount: s.realtimeInstanceCount,
        maxInstanceCount: s.realtimeMaxInstanceCount,
        maxRequestsPerSecond: s.realtimeMaxRequestsPerSecond,
        encryptionKey: key,
        dataCapture: s.dataCapturePercent > 0
          ? { samplingPercentage: s.dataCapturePercent, destinationS3Uri: bucketUri(MNIST.dataCapturePrefix), kmsKey: key }
          : undefined,
      });
      this.realtimeEndpointName = this.realtimeEndpoint.endpointName;
    }
    if (s.serverlessEndpoint) {
      this.serverlessEndpoint = new ServerlessEndpoint(this, 'ServerlessEndpoint', {
        model: this.model,
        memorySizeInMb: s.serverlessMemoryMb,
        maxConcurrency: s.serverlessMaxConcurrency,
        provisionedConcurrency: s.serverlessProvisionedConcurrency > 0 ? s.serverlessProvisionedConcurrency : undefined,
      });
      this.serverlessEndpointName = this.serverlessEndpoint.endpointName;
    }
    // Each with the configuration this deploy sets: the smoke test fails if an endpoint serves another (a rolled-back update).
    const endpoints: IServingEndpoint[] = [this.realtimeEndpoint, this.serverlessEndpoint].filter((e): e is NonNullable<typeof e> => e !== undefined);
    this.endpointNames = endpoints.map((e) => e.endpointName);

    // Reads the account's SageMaker quotas first: a missing one fails the deploy in seconds, not after
    // training. Built once the endpoint exists: its fleet revision says when an update starts a new fleet.
    const realtimeFleetRevision = this.realtimeEndpoint && endpointFleetRevision({
      endpoint: this.realtimeEndpoint.endpoint,
      endpointConfig: this.realtimeEndpoint.endpointConfig,
      model,
      trainingJob: this.trainingJob?.resource,
      registration: this.registration?.resource,
      // A promoted version is known only at deploy time: the pointer's value is an input of its own.
      deployTimeInputs: fromRegistry ? [this.modelPackageArn] : (this.trainingData?.revision ? [this.trainingData.revision] : undefined),
    });
    const quotaCheck = new ServiceQuotaCheck(this, 'QuotaCheck', {
      serviceCode: 'sagemaker',
      requirements: sageMakerQuotaRequirements(s, realtimeFleetRevision, { training: !fromRegistry }),
    });
    // Before the first thing that costs: the training job, or (served from a registry) the model.
    (this.trainingJob?.resource ?? model.resource).node.addDependency(quotaCheck);

    this.smokeTest = new EndpointSmokeTest(this, 'SmokeTest', {
      endpoints,
      noEndpointsReason: endpoints.length === 0
        ? 'the real-time endpoint is paused (pauseRealtimeEndpoint=true) and serverlessEndpoint=false: this stack serves no endpoint'
        : undefined,
      testCases: SmokeTestCases.mnistDigits(),
      minAccuracy: s.minTestAccuracy,
      runOnDeploy: s.smokeTestOnDeploy,
      executeAfter: endpoints,
      // Changes whenever what is trained or served changes, so the function gets a new version and the trigger runs again.
      revision: { MODEL_REVISION: this.modelRevision(trainingImage, inferenceImage), MODEL_NAME: model.modelName },
      // A promotion changes the served version without changing the template: run the test again then.
      deployTimeRevision: fromRegistry ? this.modelPackageArn : undefined,
    });
    this.smokeTestFunction = this.smokeTest.function;
    for (const account of props.smokeTestInvokerAccounts ?? []) {
      this.smokeTestFunction.addPermission(`InvokeFrom${account}`, { principal: new iam.AccountPrincipal(account), action: 'lambda:InvokeFunction' });
    }

    // Alarms per endpoint, an SNS topic for them (e-mail from the alarmEmail setting) and a dashboard;
    // for the real-time endpoint also rollback alarms on the fleet of the configuration this deploy
    // sets. (The labels name the alarms' construct ids.)
    this.monitoring = new EndpointMonitoring(this, 'Monitoring', {
      endpoints: [
        ...(this.realtimeEndpoint ? [{ endpoint: this.realtimeEndpoint, label: 'Realtime', rollbackAlarms: true }] : []),
        ...(this.serverlessEndpoint ? [{ endpoint: this.serverlessEndpoint, label: 'Serverless' }] : []),
      ],
      alarmEmail: s.alarmEmail,
      trainingJob: this.trainingJob && {
        jobName: this.trainingJob.trainingJobName,
        finalMetrics: { [MNIST.accuracyMetricName]: this.trainingJob.finalMetric(MNIST.accuracyMetricName) },
        metricNames: MNIST.metricDefinitions.map((m) => m.name),
      },
    });
    // A real-time endpoint update rolls out by the rollout settings and rolls back on its new fleet's
    // alarms. Serverless endpoints have no deployment guardrails (SageMaker documents them for
    // real-time and asynchronous endpoints): the smoke test is their guard. (Rollout settings without
    // the real-time endpoint: settingsWarnings says they have no effect.)
    if (this.realtimeEndpoint) {
      this.realtimeEndpoint.configureDeployment({ rollout: rolloutOptions(s), rollbackAlarms: this.monitoring.rollbackAlarmsFor(this.realtimeEndpoint), executionRole: role.role });
    }
    new CfnOutput(this, 'DashboardUrl', { value: `https://${consoleHost(this)}/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}` });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe here (or set alarmEmail) to receive endpoint alarms' });

    ({ smokeTestFunctionName: this.smokeTestFunctionNameOutput, modelPackageArn: this.modelPackageArnOutput } = this.addOutputs());
  }

  /**
   * A synth-time fingerprint of everything that shapes the model and its endpoints: settings,
   * training code and image URIs. Deploy-time names (tokens) look the same in every template,
   * so they alone would not give the smoke-test function a new version.
   */
  private modelRevision(...images: Array<DlcImage | undefined>): string {
    const inputs = this.resolve({
      settings: this.settings,
      code: this.trainingJob?.codeAsset.assetHash,
      images: images.filter((i): i is DlcImage => i !== undefined).map((i) => i.imageUri),
    });
    return crypto.createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  }

  /** The data in the bucket and the training job that reads it. */
  private train(s: MnistSettings, role: SageMakerExecutionRole, storage: SecureBucket, trainingImage: DlcImage): { trainingJob: SageMakerTrainingJob; trainingData: TrainingData } {
    const key = storage.encryptionKey;
    const data = new TrainingData(this, 'TrainingData', {
      source: this.dataSource(s),
      bucket: this.bucket,
      prefix: MNIST.dataPrefix,
    });
    data.grantRead(role);

    const bucketUri = (prefix: string) => `s3://${this.bucket.bucketName}/${prefix}`;
    if (s.spotTraining) {
      storage.grantReadPrefix(role, MNIST.checkpointPrefix);
      storage.grantWritePrefix(role, MNIST.checkpointPrefix);
    }
    const trainingJob = new SageMakerTrainingJob(this, 'Training', {
      role: role.role,
      image: trainingImage.imageUri,
      sourceDirectory: MNIST.modelCodeDirectory,
      excludeFromSource: [...MNIST.localOnlyFiles],
      entryPoint: MNIST.entryPoint,
      hyperparameters: s.hyperparameters,
      instanceType: s.trainingInstanceType,
      instanceCount: s.trainingInstanceCount,
      volumeSizeGb: s.trainingVolumeSizeGb,
      maxRuntime: Duration.minutes(s.trainingMaxRuntimeMinutes),
      inputChannels: [{ name: 'training', s3Uri: data.s3Uri, revision: data.revision }],
      outputS3Uri: bucketUri(MNIST.outputPrefix),
      metricDefinitions: MNIST.metricDefinitions,
      jobNamePrefix: MNIST.jobNamePrefix,
      spot: s.spotTraining
        ? { maxWait: Duration.minutes(s.spotMaxWaitMinutes), checkpointS3Uri: bucketUri(MNIST.checkpointPrefix) }
        : undefined,
      networkIsolation: s.networkIsolation,
      interContainerTrafficEncryption: s.interContainerTrafficEncryption,
      // Instances with NVMe storage encrypt it in hardware and take no volume key.
      volumeKmsKey: hasInstanceStorage(s.trainingInstanceType) ? undefined : key,
      outputKmsKey: key,
      // The metric is a percentage; round away float noise (0.57 * 100 = 56.99999999999999).
      minimumMetric: { name: MNIST.accuracyMetricName, value: Number((s.minTestAccuracy * 100).toFixed(6)) },
      quotaAdvice: quotaAdvice(s).training,
    });
    // The job starts only once the data is in place and the role's policy grants what it needs;
    // only the job itself waits: its handlers and state machine are created alongside the data copy.
    trainingJob.resource.node.addDependency(data, role);
    return { trainingJob, trainingData: data };
  }

  /**
   * The trained model as a version of `group`: the inference image, the artifact, the toolkit's
   * environment, the test accuracy as a model-quality report, and its lineage (job, data, code,
   * and the commit when the pipeline's CodeBuild synthesized it).
   */
  private register(s: MnistSettings, group: ModelPackageGroup, inferenceImage: DlcImage): ModelPackageVersion {
    const job = this.trainingJob!;
    const sourceCommit = process.env.CODEBUILD_RESOLVED_SOURCE_VERSION;
    return new ModelPackageVersion(this, 'ModelVersion', {
      group,
      imageUri: inferenceImage.imageUri,
      modelDataUrl: job.modelDataUrl,
      environment: pytorchInferenceEnvironment(this, MNIST.entryPoint),
      contentTypes: [...MNIST.contentTypes],
      responseTypes: [...MNIST.contentTypes],
      initialApprovalStatus: s.modelApprovalStatus,
      lineage: {
        TrainingJobName: job.trainingJobName,
        TrainingJobArn: job.trainingJobArn,
        DataUri: this.trainingData!.s3Uri,
        ...(this.trainingData!.revision ? { DataRevision: this.trainingData!.revision } : {}),
        CodeAssetHash: job.codeAsset.assetHash,
        ...(sourceCommit ? { SourceCommit: sourceCommit } : {}),
      },
      modelQuality: {
        problemType: 'multiclass_classification_metrics',
        // test:accuracy is a percentage; the report's accuracy a fraction.
        metrics: { accuracy: { value: job.finalMetric(MNIST.accuracyMetricName), scale: 0.01 } },
      },
      reportBucket: this.bucket,
      reportPrefix: MNIST.registryReportPrefix,
      reportKmsKey: this.encryptionKey,
      description: `MNIST CNN trained by ${this.stackName}`,
      // With the bucket (and the artifacts) gone, the versions would name nothing: they go too.
      deleteVersionsWithStack: s.destroyBucketOnDelete,
    });
  }

  /** The version to serve from a registry: pinned, or the promotion pointer's; refused unless Approved. */
  private approvedVersion(source: RegistrySource): { group: IModelPackageGroup; modelPackageArn: string; modelPackageVersion: string } {
    const account = source.account ?? this.account;
    const region = source.region ?? this.region;
    if (!Token.isUnresolved(region) && !Token.isUnresolved(this.region) && region !== this.region) {
      throw new SettingsError(
        `The registry is in ${region} but this stack deploys to ${this.region}: SageMaker creates a model only from a version in its own region. ` +
          'Deploy the serving stack to the registry\'s region (or register the model in a registry of that region).',
      );
    }
    const group = ModelPackageGroup.fromModelPackageGroupAttributes(this, 'ModelRegistry', { modelPackageGroupName: source.modelPackageGroupName, account, region });
    const pinned = source.version !== undefined;
    if (pinned && (!Number.isInteger(source.version) || source.version! < 1)) {
      throw new SettingsError(`Model version ${source.version} is not valid: a registry version is a whole number from 1.`);
    }
    const arn = pinned
      ? `${group.versionArnPattern.slice(0, -1)}${source.version}`
      : PromotionPointer.valueFor(this, 'PromotedVersion', { parameterName: source.pointerParameterName, account: source.account, region: source.region });
    const approved = new ApprovedModelPackage(this, 'ApprovedVersion', {
      group,
      modelPackageArn: arn,
      source: pinned ? `the pinned version ${source.version}` : `the promotion pointer ${source.pointerParameterName}`,
    });
    return { group, modelPackageArn: approved.modelPackageArn, modelPackageVersion: approved.modelPackageVersion };
  }

  /**
   * Read on the registry's artifacts: their bucket is the registry stack's (its name is not known
   * here), so any bucket of the registry's account, at the training output's keys only; decrypt
   * with that account's keys only through S3.
   */
  private grantRegistryArtifactRead(role: iam.IRole, group: IModelPackageGroup): iam.Policy {
    const artifacts = `arn:${this.partition}:s3:::*/${MNIST.outputPrefix}*/output/model.tar.gz`;
    const registryKeys = this.formatArn({ service: 'kms', resource: 'key', resourceName: '*', account: group.registryAccount, region: group.registryRegion });
    const policy = new iam.Policy(this, 'RegistryArtifactRead', {
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [artifacts],
          conditions: { StringEquals: { 's3:ResourceAccount': group.registryAccount } },
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [registryKeys],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${group.registryRegion}.amazonaws.com` } },
        }),
      ],
    });
    role.attachInlinePolicy(policy);
    acknowledgeWildcard(policy, { resource: artifacts },
      "The promoted version's model.tar.gz is in the registry stack's bucket, whose generated name is not known here: only training-output keys, only of buckets the registry's account owns (s3:ResourceAccount); the registry's bucket policy admits the artifacts alone.");
    acknowledgeWildcard(policy, { resource: registryKeys },
      "The registry stack's bucket key, whose id is not known here: only keys of the registry's account and region, and only through S3 (kms:ViaService); the key's own policy admits this account.");
    return policy;
  }

  /**
   * Other accounts deploy this registry's versions: they read the artifacts (bucket policy) and
   * decrypt them (key policy), which AWS requires to be a customer-managed key across accounts.
   */
  private admitConsumers(accounts: string[]): void {
    if (accounts.length === 0) return;
    if (!this.encryptionKey) {
      throw new SettingsError(
        `Deploying this registry's versions from account ${accounts.join(', ')} needs the artifacts encrypted with a customer-managed key, ` +
          'which another account can be allowed to use (S3-managed keys cannot): set -c bucketEncryption=kms (or bucketEncryption: \'kms\' in the stage\'s settings).',
      );
    }
    const principals = accounts.map((account) => new iam.AccountPrincipal(account));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RegistryConsumersReadModelArtifacts',
      principals,
      actions: ['s3:GetObject'],
      resources: [this.bucket.arnForObjects(`${MNIST.outputPrefix}*/output/model.tar.gz`)],
    }));
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RegistryConsumersDecryptModelArtifacts',
      principals,
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
    }));
  }

  private dataSource(s: MnistSettings): TrainingDataSource {
    switch (s.dataSource) {
      case 'sample-files':
        return {
          kind: 'copy', sourceBucketName: MNIST.sampleFiles.bucketName, sourcePrefix: MNIST.sampleFiles.prefix, keys: [...MNIST.sampleFiles.keys],
          onlyInPartition: { partition: SAMPLE_FILES_PARTITION, advice: SAMPLE_FILES_ONLY_IN_AWS },
        };
      case 'local':
        return { kind: 'local', path: s.dataLocalPath! };
      case 's3':
        return { kind: 's3', s3Uri: s.dataS3Uri!, kmsKeyArn: s.dataS3KmsKeyArn, region: dataS3BucketRegion(s) };
    }
  }

  /** The outputs; returns the two other stages read: the smoke-test function's name and the served version. */
  private addOutputs(): { smokeTestFunctionName: CfnOutput; modelPackageArn: CfnOutput } {
    if (this.trainingJob) {
      new CfnOutput(this, 'TrainingJobName', { value: this.trainingJob.trainingJobName, description: 'SageMaker training job that produced the model' });
      new CfnOutput(this, 'TestAccuracy', { value: this.trainingJob.finalMetric(MNIST.accuracyMetricName), description: 'Final test accuracy (%) reported by the training job' });
      new CfnOutput(this, 'ModelDataUrl', { value: this.trainingJob.modelDataUrl, description: 'The trained model artifact (model.tar.gz)' });
    }
    const modelPackageArn = new CfnOutput(this, 'ModelPackageArn', {
      value: this.modelPackageArn,
      description: 'The model registry version the endpoints serve (aws sagemaker describe-model-package --model-package-name <arn>)',
    });
    new CfnOutput(this, 'ModelPackageVersion', { value: this.modelPackageVersion, description: `Its version in the group ${this.modelPackageGroup.modelPackageGroupName}` });
    if (this.promotionPointer) {
      new CfnOutput(this, 'PromotionPointerParameter', {
        value: this.promotionPointer.parameterName,
        description: 'SSM parameter naming the newest Approved version: what a stack serving from this registry deploys',
      });
    }
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Data, model artifacts (and data capture)' });
    // A blank 28x28 image as JSON; the answer is 10 class probabilities.
    const blankDigit = `"$(python3 -c 'print([[[[0]*28]*28]])')"`;
    const invoke = (name: string) =>
      `aws sagemaker-runtime invoke-endpoint --region ${this.region} --endpoint-name ${name} ` +
      `--content-type application/json --accept application/json --cli-binary-format raw-in-base64-out ` +
      `--body ${blankDigit} /dev/stdout`;
    if (this.realtimeEndpointName) {
      new CfnOutput(this, 'RealtimeEndpointName', { value: this.realtimeEndpointName });
      new CfnOutput(this, 'InvokeRealtimeEndpoint', { value: invoke(this.realtimeEndpointName), description: 'Copy-paste: call the real-time endpoint' });
    }
    if (this.serverlessEndpointName) {
      new CfnOutput(this, 'ServerlessEndpointName', { value: this.serverlessEndpointName });
      new CfnOutput(this, 'InvokeServerlessEndpoint', { value: invoke(this.serverlessEndpointName), description: 'Copy-paste: call the serverless endpoint' });
    }
    const smokeTestFunctionName = new CfnOutput(this, 'SmokeTestFunctionName', { value: this.smokeTestFunction.functionName, description: 'Lambda that checks the endpoints with labelled digits' });
    new CfnOutput(this, 'RunSmokeTest', {
      value: `aws lambda invoke --region ${this.region} --function-name ${this.smokeTestFunction.functionName} --cli-read-timeout 900 /dev/stdout`,
      description: 'Copy-paste: run the smoke test against every endpoint',
    });
    return { smokeTestFunctionName, modelPackageArn };
  }
}
