/**
 * The MNIST app's settings: one typed object, read from CDK context (`cdk.json` "context" or
 * `cdk synth -c key=value`) and from code (props.settings), with these defaults.
 */
import { HyperparameterValue } from '../../lambda/training-job/hyperparameters';
import { RolloutStrategy } from '../endpoints/rollout';

export { HyperparameterValue };
export type DataSource = 'sample-files' | 'local' | 's3';
export type BucketEncryptionSetting = 's3-managed' | 'kms';
/** Statuses a newly registered version may start with (a new version is never registered Rejected). */
export type InitialApprovalStatus = 'PendingManualApproval' | 'Approved';

export interface MnistSettings {
  /** `cdk destroy` deletes the bucket and every object in it. @default false (the bucket is kept) */
  readonly destroyBucketOnDelete: boolean;
  /** Bucket encryption: S3-managed keys, or a customer-managed KMS key (also used for training volumes, output and endpoint storage). @default 's3-managed' */
  readonly bucketEncryption: BucketEncryptionSetting;

  /** Where the four MNIST IDX files come from. @default 'sample-files' */
  readonly dataSource: DataSource;
  /** Folder uploaded as the training data when `dataSource=local`. @default - none (required with dataSource=local) */
  readonly dataLocalPath?: string;
  /** Existing `s3://bucket/prefix/` read as the training data when `dataSource=s3`. @default - none (required with dataSource=s3) */
  readonly dataS3Uri?: string;
  /** `dataSource=s3` only: the ARN of the customer-managed KMS key that encrypts those objects (the execution role gets kms:Decrypt on it). @default - none */
  readonly dataS3KmsKeyArn?: string;
  /** `dataSource=s3` only: the region of that bucket; the stack then refuses to deploy elsewhere (SageMaker reads input only from its own region). @default - none */
  readonly dataS3Region?: string;

  /** @default 'ml.c5.2xlarge' */
  readonly trainingInstanceType: string;
  /** @default 2 */
  readonly trainingInstanceCount: number;
  /** @default 30 */
  readonly trainingVolumeSizeGb: number;
  /** The job's MaxRuntimeInSeconds, in minutes; the custom resource waits at most one hour in all. @default 30 */
  readonly trainingMaxRuntimeMinutes: number;
  /** Merged over {@link DEFAULT_HYPERPARAMETERS}; passed to mnist.py as `--key value`. @default DEFAULT_HYPERPARAMETERS */
  readonly hyperparameters: Record<string, HyperparameterValue>;
  /** @default false */
  readonly spotTraining: boolean;
  /** Spot only: the job's MaxWaitTimeInSeconds (waiting for capacity + running), in minutes. @default 45 */
  readonly spotMaxWaitMinutes: number;
  /** @default false */
  readonly networkIsolation: boolean;
  /** @default false */
  readonly interContainerTrafficEncryption: boolean;
  /** Fraction 0..1: the training job's final test accuracy and the smoke test must reach it. @default 0.9 */
  readonly minTestAccuracy: number;

  /** @default '2.7.1-cpu-py312-ubuntu22.04-sagemaker' */
  readonly trainingImageTag: string;
  /** @default '2.7.1-gpu-py312-cu128-ubuntu22.04-sagemaker' */
  readonly trainingImageTagGpu: string;
  /** @default '2.6.0-cpu-py312-ubuntu22.04-sagemaker' */
  readonly inferenceImageTag: string;
  /** @default '2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker' */
  readonly inferenceImageTagGpu: string;
  /** Account of the Deep Learning Containers registry; only needed where aws-cdk-lib and this app do not know it. @default - the region's DLC account */
  readonly dlcAccount?: string;

  /** @default true */
  readonly realtimeEndpoint: boolean;
  /**
   * Removes the real-time endpoint (and its autoscaling, alarms and outputs) while keeping its
   * settings, the model, the serverless endpoint and the data: the hourly instance bill stops, and
   * setting it back to false recreates the same endpoint from the same model without retraining.
   * @default false
   */
  readonly pauseRealtimeEndpoint: boolean;
  /** @default 'ml.m5.large' */
  readonly realtimeInstanceType: string;
  /**
   * Accept instance types that the installed @aws-sdk/client-sagemaker does not list for their use
   * (a type newer than the SDK); otherwise `trainingInstanceType` and `realtimeInstanceType` must be listed.
   * @default false
   */
  readonly allowUnlistedInstanceTypes: boolean;
  /** @default 1 */
  readonly realtimeInstanceCount: number;
  /** Above `realtimeInstanceCount`, target-tracking autoscaling on invocations per instance is added. @default 1 */
  readonly realtimeMaxInstanceCount: number;
  /** Requests per second one instance is sized for; the scaling target is 50 % of it, per minute. @default 20 */
  readonly realtimeMaxRequestsPerSecond: number;
  /** 0 = off; 1..100 = percentage of real-time requests and responses captured to the bucket. @default 0 */
  readonly dataCapturePercent: number;

  /** @default true */
  readonly serverlessEndpoint: boolean;
  /** @default 2048 */
  readonly serverlessMemoryMb: number;
  /** @default 1 */
  readonly serverlessMaxConcurrency: number;
  /** 0 = off (pay per request, cold starts); otherwise warm instances kept ready (billed by the hour). @default 0 */
  readonly serverlessProvisionedConcurrency: number;

  /**
   * How an endpoint update (a retrain, a new image or instance type) shifts traffic to the new
   * fleet: `all-at-once`, `canary` (a first step of `rolloutStepSize`, then the rest) or `linear`
   * (steps of `rolloutStepSize`). Any strategy rolls back if the endpoint's 5xx or latency alarm fires.
   * @default 'all-at-once'
   */
  readonly rollout: RolloutStrategy;
  /** Canary size or linear step: a percentage such as `25%`, or a whole number of instances such as `1` (real-time only). @default '25%' */
  readonly rolloutStepSize: string;
  /** Minutes between traffic steps of a canary or linear rollout (0–60). @default 10 */
  readonly rolloutWaitMinutes: number;
  /** Minutes all traffic stays on the new fleet, alarms watching, before the old fleet is terminated (0–60). @default 5 */
  readonly rolloutBakeMinutes: number;

  /**
   * The approval status a model package version this stack registers starts with. The stack
   * serves its own new version either way (as the pipeline's dev stage does, to test it); the
   * status gates promotion to a stack that serves from the registry (the pipeline's prod).
   * @default 'PendingManualApproval'
   */
  readonly modelApprovalStatus: InitialApprovalStatus;

  /** Run the smoke test during `cdk deploy` (a failure fails the deploy). The function exists either way. @default true */
  readonly smokeTestOnDeploy: boolean;
  /** E-mail address subscribed to the endpoint alarms' SNS topic (it must confirm the subscription). @default - no subscription */
  readonly alarmEmail?: string;
}

export type MnistSettingsOverrides = Partial<MnistSettings>;

/** The article's hyperparameters; local mode uses the same ones. */
export const DEFAULT_HYPERPARAMETERS: Readonly<Record<string, HyperparameterValue>> = Object.freeze({
  epochs: 1,
  backend: 'gloo',
});

export const DEFAULT_SETTINGS: MnistSettings = Object.freeze({
  destroyBucketOnDelete: false,
  bucketEncryption: 's3-managed',
  dataSource: 'sample-files',
  dataLocalPath: undefined,
  dataS3Uri: undefined,
  dataS3KmsKeyArn: undefined,
  dataS3Region: undefined,
  trainingInstanceType: 'ml.c5.2xlarge',
  trainingInstanceCount: 2,
  trainingVolumeSizeGb: 30,
  trainingMaxRuntimeMinutes: 30,
  hyperparameters: { ...DEFAULT_HYPERPARAMETERS },
  spotTraining: false,
  spotMaxWaitMinutes: 45,
  networkIsolation: false,
  interContainerTrafficEncryption: false,
  minTestAccuracy: 0.9,
  trainingImageTag: '2.7.1-cpu-py312-ubuntu22.04-sagemaker',
  trainingImageTagGpu: '2.7.1-gpu-py312-cu128-ubuntu22.04-sagemaker',
  inferenceImageTag: '2.6.0-cpu-py312-ubuntu22.04-sagemaker',
  inferenceImageTagGpu: '2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker',
  dlcAccount: undefined,
  realtimeEndpoint: true,
  pauseRealtimeEndpoint: false,
  realtimeInstanceType: 'ml.m5.large',
  allowUnlistedInstanceTypes: false,
  realtimeInstanceCount: 1,
  realtimeMaxInstanceCount: 1,
  realtimeMaxRequestsPerSecond: 20,
  dataCapturePercent: 0,
  serverlessEndpoint: true,
  serverlessMemoryMb: 2048,
  serverlessMaxConcurrency: 1,
  serverlessProvisionedConcurrency: 0,
  rollout: 'all-at-once',
  rolloutStepSize: '25%',
  rolloutWaitMinutes: 10,
  rolloutBakeMinutes: 5,
  modelApprovalStatus: 'PendingManualApproval',
  smokeTestOnDeploy: true,
  alarmEmail: undefined,
});

/** Whether these settings deploy the real-time endpoint now: it is on and not paused. */
export function deploysRealtimeEndpoint(s: MnistSettings): boolean {
  return s.realtimeEndpoint && !s.pauseRealtimeEndpoint;
}
