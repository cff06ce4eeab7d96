// A second model on the same constructs: a small MLP on tabular data, trained by a SageMaker
// training job, registered as a model registry version, served from that version by a serverless
// endpoint and smoke-tested with its own cases on deploy.
// Everything comes from the package entry (../../lib, or 'mnist-sagemaker-cdk' once installed).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DlcImage, EndpointSmokeTest, grantArtifactRead, ModelPackageGroup, ModelPackageVersion, pytorchInferenceEnvironment, RegisteredModel,
  SageMakerExecutionRole, SageMakerTrainingJob, SecureBucket, ServerlessEndpoint, SmokeTestCases, TrainingData,
} from '../../lib';

/** This folder's files, the model's own parts (README.md walks through each). */
export const TABULAR_MLP = Object.freeze({
  /** Shipped as sourcedir.tar.gz; its entry point trains and, from model.tar.gz's code/, serves. */
  modelCodeDirectory: path.join(__dirname, 'model-code'),
  entryPoint: 'classifier.py',
  /** train.csv and test.csv, written by make_data.py; uploaded at deploy time as the `training` channel. */
  dataDirectory: path.join(__dirname, 'data'),
  /** The training job's metric regexes and the metric that gates the deploy. */
  metricsFile: path.join(__dirname, 'metrics.json'),
  /** What the smoke test sends and the labels it expects. */
  smokeTestCasesFile: path.join(__dirname, 'smoke-test-cases.json'),
  prefix: 'tabular-mlp/',
  /** What classifier.py's input_fn accepts and its output_fn answers, both ways (the version records them). */
  contentTypes: ['text/csv', 'application/json'],
});

interface MetricsFile {
  readonly metricDefinitions: Array<{ name: string; regex: string }>;
  readonly accuracyMetricName: string;
}

export interface TabularMlpStackProps extends StackProps {
  /** Passed to classifier.py as `--key value`. @default epochs 60, hidden-units 32, learning-rate 0.01 */
  readonly hyperparameters?: Record<string, string | number>;
  /** The training job fails the deploy below this test accuracy (%). @default 90 */
  readonly minTestAccuracyPercent?: number;
  /** PyTorch DLC tags (CPU): training and inference. @default 2.7.1 training, 2.6.0 inference (py312) */
  readonly trainingImageTag?: string;
  readonly inferenceImageTag?: string;
}

export class TabularMlpStack extends Stack {
  public readonly storage: SecureBucket;
  public readonly data: TrainingData;
  public readonly trainingJob: SageMakerTrainingJob;
  public readonly modelPackageGroup: ModelPackageGroup;
  public readonly modelVersion: ModelPackageVersion;
  public readonly model: RegisteredModel;
  public readonly endpoint: ServerlessEndpoint;
  public readonly smokeTest: EndpointSmokeTest;

  constructor(scope: Construct, id: string, props: TabularMlpStackProps = {}) {
    super(scope, id, { description: 'Tabular MLP on SageMaker: train, register, serve serverless, smoke-test on deploy', ...props });
    const metrics = JSON.parse(fs.readFileSync(TABULAR_MLP.metricsFile, 'utf8')) as MetricsFile;

    this.storage = new SecureBucket(this, 'Storage', { destroyOnDelete: true });
    const bucket = this.storage.bucket;
    const trainingImage = new DlcImage(this, { repositoryName: 'pytorch-training', tag: props.trainingImageTag ?? '2.7.1-cpu-py312-ubuntu22.04-sagemaker' });
    const inferenceImage = new DlcImage(this, { repositoryName: 'pytorch-inference', tag: props.inferenceImageTag ?? '2.6.0-cpu-py312-ubuntu22.04-sagemaker' });
    const role = new SageMakerExecutionRole(this, 'ExecutionRole', { images: [trainingImage, inferenceImage] });

    this.data = new TrainingData(this, 'TrainingData', {
      source: { kind: 'local', path: TABULAR_MLP.dataDirectory },
      bucket,
      prefix: `${TABULAR_MLP.prefix}data/`,
    });
    this.data.grantRead(role);
    const outputPrefix = `${TABULAR_MLP.prefix}output/`;
    this.storage.grantWritePrefix(role, outputPrefix);

    this.trainingJob = new SageMakerTrainingJob(this, 'Training', {
      role: role.role,
      image: trainingImage.imageUri,
      sourceDirectory: TABULAR_MLP.modelCodeDirectory,
      entryPoint: TABULAR_MLP.entryPoint,
      hyperparameters: props.hyperparameters ?? { 'epochs': 60, 'hidden-units': 32, 'learning-rate': 0.01 },
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      maxRuntime: Duration.minutes(20),
      inputChannels: [{ name: 'training', s3Uri: this.data.s3Uri, revision: this.data.revision }],
      outputS3Uri: `s3://${bucket.bucketName}/${outputPrefix}`,
      metricDefinitions: metrics.metricDefinitions,
      jobNamePrefix: 'tabular-mlp',
      minimumMetric: { name: metrics.accuracyMetricName, value: props.minTestAccuracyPercent ?? 90 },
    });
    // The job starts once its data is uploaded and the role's policy is in place.
    this.trainingJob.resource.node.addDependency(this.data, role);

    // The model registry: the trained model becomes a version of the stack's group, and the
    // endpoint serves that version. The bucket (with the artifacts) goes with the stack, so the
    // versions and the group go too: a version without its artifact could not be deployed again.
    this.modelPackageGroup = new ModelPackageGroup(this, 'ModelRegistry', {
      modelPackageGroupName: `${this.stackName}-models`,
      description: `Tabular MLP models trained by the stack ${this.stackName}`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.modelVersion = new ModelPackageVersion(this, 'ModelVersion', {
      group: this.modelPackageGroup,
      imageUri: inferenceImage.imageUri,
      modelDataUrl: this.trainingJob.modelDataUrl,
      environment: pytorchInferenceEnvironment(this, TABULAR_MLP.entryPoint),
      contentTypes: [...TABULAR_MLP.contentTypes],
      responseTypes: [...TABULAR_MLP.contentTypes],
      lineage: {
        TrainingJobName: this.trainingJob.trainingJobName,
        TrainingJobArn: this.trainingJob.trainingJobArn,
        DataUri: this.data.s3Uri,
        ...(this.data.revision ? { DataRevision: this.data.revision } : {}),
        CodeAssetHash: this.trainingJob.codeAsset.assetHash,
      },
      modelQuality: {
        problemType: 'multiclass_classification_metrics',
        // test:accuracy is a percentage; the report's accuracy a fraction.
        metrics: { accuracy: { value: this.trainingJob.finalMetric(metrics.accuracyMetricName), scale: 0.01 } },
      },
      reportBucket: bucket,
      reportPrefix: `${TABULAR_MLP.prefix}registry/`,
      description: `Tabular MLP trained by ${this.stackName}`,
      deleteVersionsWithStack: true,
    });
    this.model = new RegisteredModel(this, 'Model', { role: role.role, modelPackageArn: this.modelVersion.modelPackageArn });
    // SageMaker reads the artifact when it creates the model: read on that one object first.
    this.model.resource.node.addDependency(grantArtifactRead(this.model, role.role, bucket, this.trainingJob.modelDataKey));
    // Serverless: billed per request, nothing while idle; 2 GB is plenty for a 4-feature MLP.
    this.endpoint = new ServerlessEndpoint(this, 'Endpoint', { model: this.model.model, memorySizeInMb: 2048 });

    this.smokeTest = new EndpointSmokeTest(this, 'SmokeTest', {
      endpoints: [this.endpoint],
      testCases: SmokeTestCases.fromFile(TABULAR_MLP.smokeTestCasesFile),
      minAccuracy: 0.9,
      executeAfter: [this.endpoint],
      // New code, data or image: a new function version, so the trigger runs again on deploy.
      revision: { MODEL_REVISION: revisionOf(this.trainingJob.codeAsset.assetHash, this.data.revision ?? '', trainingImage.imageUri, inferenceImage.imageUri, this) },
      // The served version, known at deploy time: a retrain for any reason (hyperparameters included)
      // registers a new version, which publishes a new function version, so the test runs again.
      deployTimeRevision: this.modelVersion.modelPackageArn,
    });

    new CfnOutput(this, 'EndpointName', { value: this.endpoint.endpointName });
    new CfnOutput(this, 'ModelPackageArn', {
      value: this.modelVersion.modelPackageArn,
      description: `The model registry version the endpoint serves, in the group ${this.modelPackageGroup.modelPackageGroupName}`,
    });
    new CfnOutput(this, 'TestAccuracy', { value: this.trainingJob.finalMetric(metrics.accuracyMetricName), description: 'Final test accuracy (%) of the training job' });
    new CfnOutput(this, 'RunSmokeTest', { value: `aws lambda invoke --function-name ${this.smokeTest.function.functionName} --cli-read-timeout 900 /dev/stdout` });
  }
}

/** 16 hex of what shapes the served model, resolved at synth (deploy-time tokens look alike in every template). */
function revisionOf(...parts: [...string[], Stack]): string {
  const stack = parts.pop() as Stack;
  return crypto.createHash('sha256').update(JSON.stringify(stack.resolve(parts))).digest('hex').slice(0, 16);
}
