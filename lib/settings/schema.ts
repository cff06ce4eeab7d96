/**
 * What each setting accepts: its kind and limits, in documentation order. Limits that belong to a
 * construct (serverless memory sizes, rollout step minutes, the training wait) are its constants.
 */
import { MAX_STEP_MINUTES, ROLLOUT_STRATEGIES } from '../endpoints/rollout';
import { SERVERLESS_MAX_CONCURRENCY, SERVERLESS_MEMORY_SIZES_MB } from '../endpoints/serverless-endpoint';
import { EMAIL_PATTERN } from '../monitoring/endpoint-monitoring';
import { MAX_PROVIDER_TIMEOUT, TRAINING_JOB_MARGIN } from '../training/limits';
import { INSTANCE_TYPE_PATTERN } from './instance-types';
import { s3PrefixProblem } from './s3-prefix';
import { MnistSettings } from './settings';

export type Kind =
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number; oneOf?: readonly number[] }
  | { type: 'number'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string'; pattern: RegExp; describe: string; optional?: boolean; problem?: (value: string) => string | undefined }
  | { type: 'hyperparameters' };

/**
 * CloudFormation waits for the training resource one hour at most (its ServiceTimeout); the
 * Provider stops waiting 5 minutes before that, and provisioning and uploading need 10 minutes of
 * the rest, so the job's own limits stay below (45).
 */
export const TRAINING_WAIT_LIMIT_MINUTES = MAX_PROVIDER_TIMEOUT.minus(TRAINING_JOB_MARGIN).toMinutes();

/** A KMS key ARN (not an alias); group 1 is its region. */
export const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:key\/[A-Za-z0-9-]+$/;

const INSTANCE_TYPE = { type: 'string', pattern: INSTANCE_TYPE_PATTERN, describe: 'a SageMaker instance type such as ml.m5.large' } as const;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const IMAGE_TAG = { type: 'string', pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, describe: 'a Docker image tag such as 2.6.0-cpu-py312-ubuntu22.04-sagemaker' } as const;

export const SCHEMA: { readonly [K in keyof MnistSettings]-?: Kind } = {
  destroyBucketOnDelete: { type: 'boolean' },
  bucketEncryption: { type: 'enum', values: ['s3-managed', 'kms'] },
  dataSource: { type: 'enum', values: ['sample-files', 'local', 's3'] },
  dataLocalPath: { type: 'string', pattern: /^.+$/, describe: 'a folder path', optional: true },
  dataS3Uri: { type: 'string', pattern: /^s3:\/\/[^/]+(\/.*)?$/, describe: 'an S3 prefix such as s3://my-bucket/mnist/ (ending in /)', optional: true, problem: s3PrefixProblem },
  dataS3KmsKeyArn: { type: 'string', pattern: KMS_KEY_ARN_PATTERN, describe: 'a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias)', optional: true },
  dataS3Region: { type: 'string', pattern: REGION, describe: 'an AWS region such as eu-west-1', optional: true },
  trainingInstanceType: INSTANCE_TYPE,
  trainingInstanceCount: { type: 'integer', min: 1, max: 20 },
  trainingVolumeSizeGb: { type: 'integer', min: 1, max: 16384 },
  trainingMaxRuntimeMinutes: { type: 'integer', min: 1, max: TRAINING_WAIT_LIMIT_MINUTES },
  hyperparameters: { type: 'hyperparameters' },
  spotTraining: { type: 'boolean' },
  spotMaxWaitMinutes: { type: 'integer', min: 1, max: TRAINING_WAIT_LIMIT_MINUTES },
  networkIsolation: { type: 'boolean' },
  interContainerTrafficEncryption: { type: 'boolean' },
  minTestAccuracy: { type: 'number', min: 0, max: 1 },
  trainingImageTag: IMAGE_TAG,
  trainingImageTagGpu: IMAGE_TAG,
  inferenceImageTag: IMAGE_TAG,
  inferenceImageTagGpu: IMAGE_TAG,
  dlcAccount: { type: 'string', pattern: /^\d{12}$/, describe: 'a 12-digit AWS account id', optional: true },
  realtimeEndpoint: { type: 'boolean' },
  pauseRealtimeEndpoint: { type: 'boolean' },
  realtimeInstanceType: INSTANCE_TYPE,
  allowUnlistedInstanceTypes: { type: 'boolean' },
  realtimeInstanceCount: { type: 'integer', min: 1, max: 100 },
  realtimeMaxInstanceCount: { type: 'integer', min: 1, max: 100 },
  realtimeMaxRequestsPerSecond: { type: 'integer', min: 1, max: 10000 },
  dataCapturePercent: { type: 'integer', min: 0, max: 100 },
  serverlessEndpoint: { type: 'boolean' },
  serverlessMemoryMb: { type: 'integer', min: 1024, max: 6144, oneOf: SERVERLESS_MEMORY_SIZES_MB },
  serverlessMaxConcurrency: { type: 'integer', min: 1, max: SERVERLESS_MAX_CONCURRENCY },
  serverlessProvisionedConcurrency: { type: 'integer', min: 0, max: SERVERLESS_MAX_CONCURRENCY },
  rollout: { type: 'enum', values: ROLLOUT_STRATEGIES },
  rolloutStepSize: { type: 'string', pattern: /^[1-9][0-9]*%?$/, describe: 'a percentage such as 25% or a whole number of instances such as 1 (in cdk.json a string: "1")' },
  rolloutWaitMinutes: { type: 'integer', min: 0, max: MAX_STEP_MINUTES },
  rolloutBakeMinutes: { type: 'integer', min: 0, max: MAX_STEP_MINUTES },
  modelApprovalStatus: { type: 'enum', values: ['PendingManualApproval', 'Approved'] },
  smokeTestOnDeploy: { type: 'boolean' },
  alarmEmail: { type: 'string', pattern: EMAIL_PATTERN, describe: 'an e-mail address such as ops@example.com', optional: true },
};

/** Every setting's name, in documentation order. */
export const SETTING_NAMES = Object.keys(SCHEMA) as Array<keyof MnistSettings>;

/** What a kind accepts, in words, for error messages. */
export function allowed(kind: Kind): string {
  switch (kind.type) {
    case 'boolean': return 'true or false';
    case 'integer': return kind.oneOf ? `one of ${kind.oneOf.join(', ')}` : `a whole number from ${kind.min} to ${kind.max}`;
    case 'number': return `a number from ${kind.min} to ${kind.max}`;
    case 'enum': return `one of ${kind.values.join(', ')}`;
    case 'string': return kind.describe;
    case 'hyperparameters': return 'a JSON object of mnist.py\'s hyperparameters, e.g. {"epochs":2,"lr":0.02} (all of them: docs/model-code.md#hyperparameters)';
  }
}
