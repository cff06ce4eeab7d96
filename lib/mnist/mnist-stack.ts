import * as crypto from 'crypto';
import { CfnOutput, Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
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
import { PyTorchModel } from '../endpoints/pytorch-model';
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

export interface MnistStackProps extends StackProps {
  /** Settings from code; they win over cdk.json / `-c` context, which wins over the defaults. */
  readonly settings?: MnistSettingsOverrides;
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
  public readonly trainingJob: SageMakerTrainingJob;
  public readonly model: sagemaker.Model;
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

    const trainingImage = new DlcImage(this, {
      repositoryName: 'pytorch-training',
      tag: isGpuInstanceType(s.trainingInstanceType) ? s.trainingImageTagGpu : s.trainingImageTag,
      account: s.dlcAccount,
    });
    // One model serves both endpoints; serverless is CPU only (settings refuse GPU + serverless).
    const gpuInference = s.realtimeEndpoint && isGpuInstanceType(s.realtimeInstanceType);
    const inferenceImage = new DlcImage(this, {
      repositoryName: 'pytorch-inference',
      tag: gpuInference ? s.inferenceImageTagGpu : s.inferenceImageTag,
      account: s.dlcAccount,
    });

    const role = new SageMakerExecutionRole(this, 'ExecutionRole', { images: [trainingImage, inferenceImage] });
    this.executionRole = role.role;
    storage.grantWritePrefix(role, MNIST.outputPrefix);
    // Training volumes and output, endpoint storage.
    if (key) {
      grantOutputKey(key, role);
      grantVolumeKey(key, role);
    }

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
    this.trainingJob = new SageMakerTrainingJob(this, 'Training', {
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
    this.trainingJob.resource.node.addDependency(data, role);

    const model = new PyTorchModel(this, 'Model', {
      role: role.role,
      imageUri: inferenceImage.imageUri,
      modelDataBucket: this.bucket,
      modelDataKey: this.trainingJob.modelDataKey,
      entryPoint: MNIST.entryPoint,
    });
    this.model = model.model;

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
      model: this.model,
      trainingJob: this.trainingJob.resource,
      deployTimeInputs: data.revision ? [data.revision] : undefined,
    });
    const quotaCheck = new ServiceQuotaCheck(this, 'QuotaCheck', { serviceCode: 'sagemaker', requirements: sageMakerQuotaRequirements(s, realtimeFleetRevision) });
    this.trainingJob.resource.node.addDependency(quotaCheck);

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
    });
    this.smokeTestFunction = this.smokeTest.function;

    // Alarms per endpoint, an SNS topic for them (e-mail from the alarmEmail setting) and a dashboard;
    // for the real-time endpoint also rollback alarms on the fleet of the configuration this deploy
    // sets. (The labels name the alarms' construct ids.)
    this.monitoring = new EndpointMonitoring(this, 'Monitoring', {
      endpoints: [
        ...(this.realtimeEndpoint ? [{ endpoint: this.realtimeEndpoint, label: 'Realtime', rollbackAlarms: true }] : []),
        ...(this.serverlessEndpoint ? [{ endpoint: this.serverlessEndpoint, label: 'Serverless' }] : []),
      ],
      alarmEmail: s.alarmEmail,
      trainingJob: {
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

    this.smokeTestFunctionNameOutput = this.addOutputs();
  }

  /**
   * A synth-time fingerprint of everything that shapes the model and its endpoints: settings,
   * training code and image URIs. Deploy-time names (tokens) look the same in every template,
   * so they alone would not give the smoke-test function a new version.
   */
  private modelRevision(...images: DlcImage[]): string {
    const inputs = this.resolve({
      settings: this.settings,
      code: this.trainingJob.codeAsset.assetHash,
      images: images.map((i) => i.imageUri),
    });
    return crypto.createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
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

  private addOutputs(): CfnOutput {
    new CfnOutput(this, 'TrainingJobName', { value: this.trainingJob.trainingJobName, description: 'SageMaker training job that produced the model' });
    new CfnOutput(this, 'TestAccuracy', { value: this.trainingJob.finalMetric(MNIST.accuracyMetricName), description: 'Final test accuracy (%) reported by the training job' });
    new CfnOutput(this, 'ModelDataUrl', { value: this.trainingJob.modelDataUrl, description: 'The trained model artifact (model.tar.gz)' });
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
    const output = new CfnOutput(this, 'SmokeTestFunctionName', { value: this.smokeTestFunction.functionName, description: 'Lambda that checks the endpoints with labelled digits' });
    new CfnOutput(this, 'RunSmokeTest', {
      value: `aws lambda invoke --region ${this.region} --function-name ${this.smokeTestFunction.functionName} --cli-read-timeout 900 /dev/stdout`,
      description: 'Copy-paste: run the smoke test against every endpoint',
    });
    return output;
  }
}
