/**
 * The MNIST app's settings: one typed object with defaults, read from CDK context
 * (`cdk.json` "context" or `cdk synth -c key=value`) and from code, then validated.
 * A bad value fails synth with an error that names the setting and what it accepts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Node } from 'constructs';
import { MAX_STEP_MINUTES, parseStepSize, ROLLOUT_STRATEGIES, RolloutOptions, rolloutProblem, RolloutStrategy, RolloutTarget } from '../endpoints/rollout';
import { isNearMiss } from './did-you-mean';
import { hyperparameterProblem, HyperparameterHelp, readHyperparameterDeclarations } from './hyperparameter-declarations';
import { INSTANCE_TYPE_LIST_SOURCE, InstanceTypeUse, isBurstableInstanceType, isGpuInstanceType, isNeuronInstanceType, unlistedInstanceTypeProblem } from './instance-types';
import { MAX_PROVIDER_TIMEOUT, TRAINING_JOB_MARGIN } from '../training/training-job';
import { SERVERLESS_MEMORY_SIZES_MB } from '../endpoints/serverless-endpoint';
import { SettingsError } from './settings-error';

export { isGpuInstanceType };

export type DataSource = 'sample-files' | 'local' | 's3';
export type BucketEncryptionSetting = 's3-managed' | 'kms';
export type HyperparameterValue = string | number | boolean;

export interface MnistSettings {
  /** `cdk destroy` deletes the bucket and every object in it (default: the bucket is kept). */
  readonly destroyBucketOnDelete: boolean;
  /** Bucket encryption: S3-managed keys, or a customer-managed KMS key (also used for training volumes, output and endpoint storage). */
  readonly bucketEncryption: BucketEncryptionSetting;

  /** Where the four MNIST IDX files come from. */
  readonly dataSource: DataSource;
  /** Folder uploaded as the training data when `dataSource=local`. */
  readonly dataLocalPath?: string;
  /** Existing `s3://bucket/prefix/` read as the training data when `dataSource=s3`. */
  readonly dataS3Uri?: string;
  /** `dataSource=s3` only: the ARN of the customer-managed KMS key that encrypts those objects (the execution role gets kms:Decrypt on it). */
  readonly dataS3KmsKeyArn?: string;
  /** `dataSource=s3` only: the region of that bucket; the stack then refuses to deploy elsewhere (SageMaker reads input only from its own region). */
  readonly dataS3Region?: string;

  readonly trainingInstanceType: string;
  readonly trainingInstanceCount: number;
  readonly trainingVolumeSizeGb: number;
  /** The job's MaxRuntimeInSeconds, in minutes; the custom resource waits at most one hour in all. */
  readonly trainingMaxRuntimeMinutes: number;
  /** Merged over {@link DEFAULT_HYPERPARAMETERS}; passed to mnist.py as `--key value`. */
  readonly hyperparameters: Record<string, HyperparameterValue>;
  readonly spotTraining: boolean;
  /** Spot only: the job's MaxWaitTimeInSeconds (waiting for capacity + running), in minutes. */
  readonly spotMaxWaitMinutes: number;
  readonly networkIsolation: boolean;
  readonly interContainerTrafficEncryption: boolean;
  /** Fraction 0..1: the training job's final test accuracy and the smoke test must reach it. */
  readonly minTestAccuracy: number;

  readonly trainingImageTag: string;
  readonly trainingImageTagGpu: string;
  readonly inferenceImageTag: string;
  readonly inferenceImageTagGpu: string;
  /** Account of the Deep Learning Containers registry; only needed where aws-cdk-lib and this app do not know it. */
  readonly dlcAccount?: string;

  readonly realtimeEndpoint: boolean;
  /**
   * Removes the real-time endpoint (and its autoscaling, alarms and outputs) while keeping its
   * settings, the model, the serverless endpoint and the data: the hourly instance bill stops, and
   * setting it back to false recreates the same endpoint from the same model without retraining.
   */
  readonly pauseRealtimeEndpoint: boolean;
  readonly realtimeInstanceType: string;
  /**
   * Accept instance types that the installed @aws-sdk/client-sagemaker does not list for their use
   * (a type newer than the SDK); otherwise `trainingInstanceType` and `realtimeInstanceType` must be listed.
   */
  readonly allowUnlistedInstanceTypes: boolean;
  readonly realtimeInstanceCount: number;
  /** Above `realtimeInstanceCount`, target-tracking autoscaling on invocations per instance is added. */
  readonly realtimeMaxInstanceCount: number;
  /** Requests per second one instance is sized for; the scaling target is 50 % of it, per minute. */
  readonly realtimeMaxRequestsPerSecond: number;
  /** 0 = off; 1..100 = percentage of real-time requests and responses captured to the bucket. */
  readonly dataCapturePercent: number;

  readonly serverlessEndpoint: boolean;
  readonly serverlessMemoryMb: number;
  readonly serverlessMaxConcurrency: number;
  /** 0 = off (pay per request, cold starts); otherwise warm instances kept ready (billed by the hour). */
  readonly serverlessProvisionedConcurrency: number;

  /**
   * How an endpoint update (a retrain, a new image or instance type) shifts traffic to the new
   * fleet: `all-at-once`, `canary` (a first step of `rolloutStepSize`, then the rest) or `linear`
   * (steps of `rolloutStepSize`). Any strategy rolls back if the endpoint's 5xx or latency alarm fires.
   */
  readonly rollout: RolloutStrategy;
  /** Canary size or linear step: a percentage such as `25%`, or a whole number of instances such as `1` (real-time only). */
  readonly rolloutStepSize: string;
  /** Minutes between traffic steps of a canary or linear rollout (0–60). */
  readonly rolloutWaitMinutes: number;
  /** Minutes all traffic stays on the new fleet, alarms watching, before the old fleet is terminated (0–60). */
  readonly rolloutBakeMinutes: number;

  /** Run the smoke test during `cdk deploy` (a failure fails the deploy). The function exists either way. */
  readonly smokeTestOnDeploy: boolean;
  /** E-mail address subscribed to the endpoint alarms' SNS topic (it must confirm the subscription); unset = no subscription. */
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
  smokeTestOnDeploy: true,
  alarmEmail: undefined,
});

/**
 * CloudFormation waits for the training resource one hour at most (its ServiceTimeout); the
 * Provider stops waiting 5 minutes before that, and provisioning and uploading need 10 minutes of
 * the rest, so the job's own limits stay below (45).
 */
export const TRAINING_WAIT_LIMIT_MINUTES = MAX_PROVIDER_TIMEOUT.minus(TRAINING_JOB_MARGIN).toMinutes();

/** MNIST specifics of this app (not settings: changing them needs code changes elsewhere). */
export const MNIST = Object.freeze({
  modelCodeDirectory: path.join(__dirname, '..', '..', 'model-code'),
  entryPoint: 'mnist.py',
  /** The entry point's hyperparameters, declared beside it (it builds its parser from them; synth checks against them). */
  hyperparameterDeclarations: 'hyperparameters.json',
  /** For local virtual environments only: shipped, it would make the training container run pip at start. */
  localOnlyFiles: ['requirements.txt'],
  jobNamePrefix: 'mnist',
  dataPrefix: 'mnist/data/',
  outputPrefix: 'mnist/output/',
  checkpointPrefix: 'mnist/checkpoints/',
  dataCapturePrefix: 'mnist/data-capture/',
  sampleFiles: {
    bucketName: 'sagemaker-sample-files',
    prefix: 'datasets/image/MNIST/',
    keys: [
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
    ],
  },
  /** mnist.py's per-epoch test line (see docs/model-code.md); accuracy is a percentage 0..100. */
  metricDefinitions: [
    { name: 'test:loss', regex: 'Test set: Average loss: ([0-9.]+)' },
    { name: 'test:accuracy', regex: 'Test set: Average loss: [0-9.]+, Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' },
  ],
  accuracyMetricName: 'test:accuracy',
});

/** Thrown for any bad setting; the message names the setting, the value and what is accepted. */
export { SettingsError };

type Kind =
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number; oneOf?: readonly number[] }
  | { type: 'number'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string'; pattern: RegExp; describe: string; optional?: boolean; problem?: (value: string) => string | undefined }
  | { type: 'hyperparameters' };

const INSTANCE_TYPE = { type: 'string', pattern: /^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, describe: 'a SageMaker instance type such as ml.m5.large' } as const;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:key\/[A-Za-z0-9-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const IMAGE_TAG = { type: 'string', pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, describe: 'a Docker image tag such as 2.6.0-cpu-py312-ubuntu22.04-sagemaker' } as const;

const SCHEMA: { [K in keyof MnistSettings]-?: Kind } = {
  destroyBucketOnDelete: { type: 'boolean' },
  bucketEncryption: { type: 'enum', values: ['s3-managed', 'kms'] },
  dataSource: { type: 'enum', values: ['sample-files', 'local', 's3'] },
  dataLocalPath: { type: 'string', pattern: /^.+$/, describe: 'a folder path', optional: true },
  dataS3Uri: { type: 'string', pattern: /^s3:\/\/[^/]+(\/.*)?$/, describe: 'an S3 prefix such as s3://my-bucket/mnist/ (ending in /)', optional: true, problem: s3PrefixProblem },
  dataS3KmsKeyArn: { type: 'string', pattern: KMS_KEY_ARN, describe: 'a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias)', optional: true },
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
  serverlessMaxConcurrency: { type: 'integer', min: 1, max: 200 },
  serverlessProvisionedConcurrency: { type: 'integer', min: 0, max: 200 },
  rollout: { type: 'enum', values: ROLLOUT_STRATEGIES },
  rolloutStepSize: { type: 'string', pattern: /^[1-9][0-9]*%?$/, describe: 'a percentage such as 25% or a whole number of instances such as 1 (in cdk.json a string: "1")' },
  rolloutWaitMinutes: { type: 'integer', min: 0, max: MAX_STEP_MINUTES },
  rolloutBakeMinutes: { type: 'integer', min: 0, max: MAX_STEP_MINUTES },
  smokeTestOnDeploy: { type: 'boolean' },
  alarmEmail: { type: 'string', pattern: /^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, describe: 'an e-mail address such as ops@example.com', optional: true },
};

/** Every setting's name, in documentation order. */
export const SETTING_NAMES = Object.keys(SCHEMA) as Array<keyof MnistSettings>;

function allowed(kind: Kind): string {
  switch (kind.type) {
    case 'boolean': return 'true or false';
    case 'integer': return kind.oneOf ? `one of ${kind.oneOf.join(', ')}` : `a whole number from ${kind.min} to ${kind.max}`;
    case 'number': return `a number from ${kind.min} to ${kind.max}`;
    case 'enum': return `one of ${kind.values.join(', ')}`;
    case 'string': return kind.describe;
    case 'hyperparameters': return 'a JSON object of mnist.py\'s hyperparameters, e.g. {"epochs":2,"lr":0.02} (all of them: docs/model-code.md#hyperparameters)';
  }
}

function fail(name: string, value: unknown, expected: string): never {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw new SettingsError(
    `Invalid setting ${name}=${shown}: expected ${expected}. Set it in cdk.json "context" or with -c ${name.split('.')[0]}=<value>.`,
  );
}

/**
 * The one reading of a true/false setting, wherever the app reads one: `true` or `false` (JSON or
 * text), as docs/configuration.md says; `yes`, `1`, `True` fail by name rather than count as false.
 */
export function parseBooleanSetting(name: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fail(name, raw, allowed({ type: 'boolean' }));
}

/** A true/false context key that is not one of the settings (`pipeline`): unset is `fallback`. */
export function readBooleanContext(node: Node, name: string, fallback = false): boolean {
  const raw: unknown = node.tryGetContext(name);
  return isUnset(raw) ? fallback : parseBooleanSetting(name, raw);
}

const S3_BUCKET_NAME_RULES = 'S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';

/** S3's bucket-naming rules (AWS: "General purpose bucket naming rules"), each with what a name breaking it is. */
const S3_BUCKET_NAME_CHECKS: ReadonlyArray<[broken: (name: string) => boolean, why: (name: string) => string]> = [
  [(b) => b.length < 3 || b.length > 63, (b) => `it is ${b.length} character${b.length === 1 ? '' : 's'} long`],
  [(b) => /[A-Z]/.test(b), () => 'it has upper-case letters'],
  [(b) => /[^a-z0-9.-]/.test(b), (b) => `it has ${JSON.stringify(/[^a-z0-9.-]/.exec(b)![0])} in it`],
  [(b) => !/^[a-z0-9](.*[a-z0-9])?$/.test(b), () => 'it starts or ends with a dot or a hyphen'],
  [(b) => b.includes('..'), () => 'it has two dots in a row'],
  [(b) => /^\d+\.\d+\.\d+\.\d+$/.test(b), () => 'it is formatted as an IP address'],
  [(b) => /^(xn--|sthree-|amzn-s3-demo-)/.test(b), (b) => `it starts with the reserved prefix ${/^(xn--|sthree-|amzn-s3-demo-)/.exec(b)![1]}`],
];

/**
 * What is wrong with dataS3Uri `s3://bucket/prefix/`, naming the real problem (a bucket name S3
 * does not allow, or no trailing /); undefined when nothing is. Access point aliases (`-s3alias`)
 * and directory buckets (`--x-s3`) follow the same rules and pass.
 */
export function s3PrefixProblem(uri: string): string | undefined {
  const match = /^s3:\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!match) return 'expected an S3 prefix such as s3://my-bucket/mnist/ (ending in /)';
  const [, bucket, rest = ''] = match;
  const broken = S3_BUCKET_NAME_CHECKS.find(([breaks]) => breaks(bucket));
  if (broken) return `${bucket} is not a valid S3 bucket name: ${broken[1](bucket)} (${S3_BUCKET_NAME_RULES}); give the data's bucket and prefix, e.g. s3://my-bucket/mnist/`;
  if (!rest.endsWith('/')) return `a prefix names a folder and ends in / (SageMaker reads every object under it): use s3://${bucket}${rest}/`;
  return undefined;
}

/** A JSON object; its names and values are checked against mnist.py's declarations in validateTogether. */
function parseHyperparameters(name: string, raw: unknown): Record<string, HyperparameterValue> {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      fail(name, raw, allowed({ type: 'hyperparameters' }));
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, raw, allowed({ type: 'hyperparameters' }));
  return { ...(value as Record<string, HyperparameterValue>) };
}

/** mnist.py's hyperparameters as model-code/hyperparameters.json declares them (read once). */
let declarations: ReturnType<typeof readHyperparameterDeclarations> | undefined;
export function mnistHyperparameters(): ReturnType<typeof readHyperparameterDeclarations> {
  declarations ??= readHyperparameterDeclarations(path.join(MNIST.modelCodeDirectory, MNIST.hyperparameterDeclarations));
  return declarations;
}

/** The hyperparameters that differ from the defaults: what a user passes with -c hyperparameters (merged over the defaults). */
function givenHyperparameters(values: Record<string, HyperparameterValue>): Record<string, HyperparameterValue> {
  return Object.fromEntries(Object.entries(values).filter(([key, value]) => DEFAULT_HYPERPARAMETERS[key] !== value));
}

/** How a bad hyperparameter is fixed at synth: the `hyperparameters` setting. */
const SETTING_HYPERPARAMETER_HELP: HyperparameterHelp = {
  renamed: (corrected) => `-c hyperparameters='${JSON.stringify(givenHyperparameters(corrected))}'`,
  setIt: (name) => `Set it in "hyperparameters" in cdk.json "context" or with -c hyperparameters='{"${name}":<value>}'.`,
  documentation: 'docs/model-code.md#hyperparameters',
};

const INSTANCE_TYPE_USES: ReadonlyArray<readonly ['trainingInstanceType' | 'realtimeInstanceType', InstanceTypeUse]> = [
  ['trainingInstanceType', 'training'],
  ['realtimeInstanceType', 'real-time endpoints'],
];

function parseValue(name: string, kind: Kind, raw: unknown): unknown {
  switch (kind.type) {
    case 'boolean':
      return parseBooleanSetting(name, raw);
    case 'integer':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const whole = kind.type === 'integer' ? Number.isInteger(n) : Number.isFinite(n);
      if (!whole || n < kind.min || n > kind.max) return fail(name, raw, allowed(kind));
      if (kind.type === 'integer' && kind.oneOf && !kind.oneOf.includes(n)) return fail(name, raw, allowed(kind));
      return n;
    }
    case 'enum':
      if (typeof raw === 'string' && kind.values.includes(raw)) return raw;
      return fail(name, raw, allowed(kind));
    case 'string': {
      if (typeof raw !== 'string' || !kind.pattern.test(raw)) return fail(name, raw, allowed(kind));
      const problem = kind.problem?.(raw);
      if (problem) throw new SettingsError(`Invalid setting ${name}=${raw}: ${problem}. Set it in cdk.json "context" or with -c ${name}=<value>.`);
      return raw;
    }
    case 'hyperparameters':
      return { ...DEFAULT_HYPERPARAMETERS, ...parseHyperparameters(name, raw) };
  }
}


function validateTogether(s: MnistSettings): void {
  if (!s.realtimeEndpoint && !s.serverlessEndpoint) {
    throw new SettingsError('Settings realtimeEndpoint=false and serverlessEndpoint=false leave nothing to deploy the model to: enable at least one (-c realtimeEndpoint=true or -c serverlessEndpoint=true).');
  }
  if (s.dataSource === 'local') {
    if (!s.dataLocalPath) throw new SettingsError('Setting dataSource=local needs dataLocalPath: set -c dataLocalPath=<folder with the four MNIST .gz files> (e.g. one written by npm run make-mnist-idx -- --out DIR).');
    const folder = path.resolve(s.dataLocalPath);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new SettingsError(`Invalid setting dataLocalPath=${s.dataLocalPath}: ${folder} is not a folder. Point it at a folder holding the MNIST IDX files.`);
    }
    if (!containsFile(folder, (name) => name.startsWith('train-images-idx3-ubyte'), 3)) {
      throw new SettingsError(`Invalid setting dataLocalPath=${s.dataLocalPath}: no train-images-idx3-ubyte(.gz) file in ${folder}. Write one with npm run make-mnist-idx -- --out ${s.dataLocalPath}.`);
    }
  }
  if (s.dataSource === 's3' && !s.dataS3Uri) {
    throw new SettingsError('Setting dataSource=s3 needs dataS3Uri: set -c dataS3Uri=s3://<bucket>/<prefix>/ (the folder holding the MNIST IDX files).');
  }
  for (const key of ['dataS3KmsKeyArn', 'dataS3Region'] as const) {
    if (s[key] && s.dataSource !== 's3') {
      throw new SettingsError(`Setting ${key}=${s[key]} applies to dataSource=s3 only (dataSource is ${s.dataSource}): remove it or set -c dataSource=s3.`);
    }
  }
  const keyRegion = kmsKeyRegion(s.dataS3KmsKeyArn);
  if (keyRegion && s.dataS3Region && keyRegion !== s.dataS3Region) {
    throw new SettingsError(`Settings dataS3KmsKeyArn (a key in ${keyRegion}) and dataS3Region=${s.dataS3Region} disagree: S3 encrypts a bucket's objects only with a key in the bucket's own region. Correct one of them.`);
  }
  for (const key of ['trainingInstanceType', 'realtimeInstanceType'] as const) {
    if (isNeuronInstanceType(s[key])) {
      throw new SettingsError(`Invalid setting ${key}=${s[key]}: Inferentia/Trainium instances need Neuron images; use a CPU (e.g. ml.m5.large) or GPU (ml.g*, ml.p*) instance type.`);
    }
  }
  for (const [key, use] of INSTANCE_TYPE_USES) {
    const problem = s.allowUnlistedInstanceTypes ? undefined : unlistedInstanceTypeProblem(s[key], use);
    if (problem) {
      throw new SettingsError(`Invalid setting ${key}=${s[key]}: ${problem} Set it with -c ${key}=<value>; for a type newer than ${INSTANCE_TYPE_LIST_SOURCE}, update it or add -c allowUnlistedInstanceTypes=true.`);
    }
  }
  const hyperparameters = hyperparameterProblem(mnistHyperparameters(), s.hyperparameters, s.trainingInstanceCount, SETTING_HYPERPARAMETER_HELP);
  if (hyperparameters) throw new SettingsError(hyperparameters);
  if (s.realtimeMaxInstanceCount < s.realtimeInstanceCount) {
    throw new SettingsError(`Invalid setting realtimeMaxInstanceCount=${s.realtimeMaxInstanceCount}: expected at least realtimeInstanceCount (${s.realtimeInstanceCount}).`);
  }
  if (s.realtimeEndpoint && s.realtimeMaxInstanceCount > s.realtimeInstanceCount && isBurstableInstanceType(s.realtimeInstanceType)) {
    throw new SettingsError(`Settings realtimeInstanceType=${s.realtimeInstanceType} and realtimeMaxInstanceCount=${s.realtimeMaxInstanceCount} conflict: SageMaker does not autoscale burstable (ml.t*) instances. Use e.g. ml.m5.large, or -c realtimeMaxInstanceCount=${s.realtimeInstanceCount} (no autoscaling).`);
  }
  if (s.serverlessProvisionedConcurrency > s.serverlessMaxConcurrency) {
    throw new SettingsError(`Invalid setting serverlessProvisionedConcurrency=${s.serverlessProvisionedConcurrency}: expected 0 (off) or at most serverlessMaxConcurrency (${s.serverlessMaxConcurrency}).`);
  }
  if (s.spotTraining && s.spotMaxWaitMinutes < s.trainingMaxRuntimeMinutes) {
    throw new SettingsError(`Invalid setting spotMaxWaitMinutes=${s.spotMaxWaitMinutes}: expected at least trainingMaxRuntimeMinutes (${s.trainingMaxRuntimeMinutes}) and at most ${TRAINING_WAIT_LIMIT_MINUTES}.`);
  }
  if (s.serverlessEndpoint && s.realtimeEndpoint && isGpuInstanceType(s.realtimeInstanceType)) {
    throw new SettingsError(`Settings realtimeInstanceType=${s.realtimeInstanceType} (GPU) and serverlessEndpoint=true conflict: both endpoints serve one model, and serverless inference runs CPU images only. Use a CPU instance type or -c serverlessEndpoint=false.`);
  }
  // Rollouts shape real-time endpoint updates only (a serverless endpoint has no DeploymentConfig).
  // Without that endpoint only what no rollout takes is refused; settingsWarnings names the rest.
  const rolloutChecked = s.realtimeEndpoint ? rolloutOptions(s) : { ...rolloutOptions(s), strategy: 'all-at-once' as const };
  const rolloutError = rolloutProblem(rolloutChecked, realtimeRolloutTarget(s), ROLLOUT_SETTING_NAMES);
  if (rolloutError) throw new SettingsError(rolloutError);
  if (s.dataCapturePercent > 0 && !s.realtimeEndpoint) {
    throw new SettingsError(`Invalid setting dataCapturePercent=${s.dataCapturePercent}: data capture needs the real-time endpoint (serverless endpoints do not support it); set -c realtimeEndpoint=true or -c dataCapturePercent=0.`);
  }
}

/** Whether these settings deploy the real-time endpoint now: it is on and not paused. */
export function deploysRealtimeEndpoint(s: MnistSettings): boolean {
  return s.realtimeEndpoint && !s.pauseRealtimeEndpoint;
}

const ROLLOUT_SETTING_NAMES = {
  strategy: 'rollout', stepSize: 'rolloutStepSize', waitMinutes: 'rolloutWaitMinutes', bakeMinutes: 'rolloutBakeMinutes',
  instanceCount: 'realtimeInstanceCount', maxInstanceCount: 'realtimeMaxInstanceCount',
} as const;

/** The rollout settings as endpoint-rollout options (the step size passed its pattern). */
export function rolloutOptions(s: MnistSettings): RolloutOptions {
  return { strategy: s.rollout, stepSize: parseStepSize(s.rolloutStepSize)!, waitMinutes: s.rolloutWaitMinutes, bakeMinutes: s.rolloutBakeMinutes };
}

/**
 * The real-time endpoint as a rollout target: a step must suit every instance count from
 * realtimeInstanceCount to realtimeMaxInstanceCount (an update keeps the live count). A paused
 * endpoint keeps its settings valid for when it returns.
 */
function realtimeRolloutTarget(s: MnistSettings): RolloutTarget {
  return { serverless: false, instanceCount: s.realtimeInstanceCount, maxInstanceCount: s.realtimeMaxInstanceCount };
}

/** The rollout settings that shape canary and linear rollouts only. */
const STEP_SETTINGS = ['rolloutStepSize', 'rolloutWaitMinutes'] as const;
const ROLLOUT_SETTINGS = ['rollout', 'rolloutStepSize', 'rolloutWaitMinutes', 'rolloutBakeMinutes'] as const;

/**
 * Valid settings that have no effect with the others, one line each, for the app to print while
 * synth goes on: a changed rollout without the real-time endpoint, a step size or wait with
 * all-at-once. A value equal to its default counts as not given.
 */
export function settingsWarnings(s: MnistSettings): string[] {
  const given = (names: readonly (keyof MnistSettings)[]) => names.filter((name) => s[name] !== DEFAULT_SETTINGS[name]).map((name) => `${name}=${s[name]}`);
  const listed = (items: string[]) => items.length === 1 ? `Setting ${items[0]} has` : `Settings ${items.slice(0, -1).join(', ')} and ${items[items.length - 1]} have`;
  if (!s.realtimeEndpoint) {
    const ignored = given(ROLLOUT_SETTINGS);
    return ignored.length === 0 ? [] : [
      `${listed(ignored)} no effect: rollouts shape updates of the real-time endpoint, and realtimeEndpoint=false (a serverless endpoint switches to a new configuration at once).`,
    ];
  }
  const ignored = s.rollout === 'all-at-once' ? given(STEP_SETTINGS) : [];
  return ignored.length === 0 ? [] : [
    `${listed(ignored)} no effect with rollout=all-at-once (${ignored.length === 1 ? 'it shapes' : 'they shape'} canary and linear rollouts): set -c rollout=canary or -c rollout=linear, or leave ${ignored.length === 1 ? 'it' : 'them'} out.`,
  ];
}

function containsFile(folder: string, match: (name: string) => boolean, depth: number): boolean {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && match(entry.name)) return true;
    if (entry.isDirectory() && depth > 0 && containsFile(path.join(folder, entry.name), match, depth - 1)) return true;
  }
  return false;
}

/** Context values arrive as strings from `-c`; empty strings (placeholders in cdk.json) mean "not set". */
function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Context keys the CDK itself (CLI, feature flags, lookups in cdk.context.json) puts into context. */
function isCdkOwnKey(key: string): boolean {
  return key.includes(':') || key.startsWith('@') || key.startsWith('cdk') || key === 'acknowledged-issue-numbers';
}

/** `-c epochs=2` as JSON: numbers and booleans typed, everything else a string. */
function asHyperparameterValue(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
}

/**
 * `-c epochs=2` names a hyperparameter of mnist.py as if it were a setting; ignored, the job would
 * silently train with the old value. Refuse it with the spelling that works, keeping hyperparameters
 * already given in context (a `-c hyperparameters=` replaces cdk.json's object as a whole).
 */
function rejectMisplacedHyperparameters(context: Record<string, unknown>): void {
  const options = Object.keys(mnistHyperparameters());
  const misplaced = Object.entries(context)
    .map(([key, value]) => [options.find((o) => o === key || o === key.replace(/_/g, '-')), key, value] as const)
    .filter(([option, key]) => option !== undefined && !(SETTING_NAMES as string[]).includes(key));
  if (misplaced.length === 0) return;
  let given: Record<string, unknown> = {};
  try {
    const raw = context.hyperparameters;
    const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) given = parsed as Record<string, unknown>;
  } catch {
    // an unparsable hyperparameters value gets its own error later
  }
  const wanted: Record<string, unknown> = Object.fromEntries(Object.entries(given).filter(([k, v]) => DEFAULT_HYPERPARAMETERS[k] !== v));
  for (const [option, , value] of misplaced) wanted[option!] = asHyperparameterValue(value);
  const typed = misplaced.map(([, key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
  const what = misplaced.length === 1 ? 'is a hyperparameter of mnist.py, not a setting' : 'are hyperparameters of mnist.py, not settings';
  throw new SettingsError(
    `${typed} ${what}: pass -c hyperparameters='${JSON.stringify(wanted)}' instead ` +
      `(merged over the defaults ${JSON.stringify(DEFAULT_HYPERPARAMETERS)}; in cdk.json: "hyperparameters" under "context").`,
  );
}

/**
 * Checks the context's keys: a hyperparameter given as a setting, or a key that is almost the name
 * of a setting or of one of `otherKeys` (`-c trainingInstanceCout=1`), fails with the right
 * spelling instead of being ignored. Returns the remaining unknown keys (neither a setting, nor in
 * `otherKeys`, nor the CDK's own): they may belong to someone else, so the caller decides (the app
 * warns).
 */
export function checkContextKeys(context: Record<string, unknown>, otherKeys: readonly string[] = []): string[] {
  rejectMisplacedHyperparameters(context);
  const known: string[] = [...SETTING_NAMES, ...otherKeys];
  const unknown: string[] = [];
  for (const key of Object.keys(context)) {
    if (isCdkOwnKey(key) || known.includes(key)) continue;
    const near = known.find((name) => isNearMiss(name, key));
    if (near) throw new SettingsError(`Unknown setting ${key}: did you mean ${near}? (-c ${near}=<value>; all settings: docs/configuration.md)`);
    unknown.push(key);
  }
  return unknown;
}

/**
 * Resolve the settings: `overrides` (from code) over context (`cdk.json`, `-c`) over
 * defaults, each value parsed and checked, then checked together.
 */
export function resolveSettings(node: Node | undefined, overrides: MnistSettingsOverrides = {}): MnistSettings {
  checkContextKeys({ ...node?.getAllContext(), ...overrides });
  const resolved: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const kind = SCHEMA[name];
    const fromOverride = (overrides as Record<string, unknown>)[name];
    const raw = !isUnset(fromOverride) ? fromOverride : node?.tryGetContext(name);
    if (isUnset(raw)) {
      const fallback = DEFAULT_SETTINGS[name];
      resolved[name] = kind.type === 'hyperparameters' ? { ...(fallback as object) } : fallback;
    } else {
      resolved[name] = parseValue(name, kind, raw);
    }
  }
  const settings = resolved as unknown as MnistSettings;
  validateTogether(settings);
  return Object.freeze(settings);
}

/** The partition a region belongs to (aws-cdk-lib's region facts; for regions they do not know yet, by name). */
export function partitionOf(region: string): string {
  return RegionInfo.get(region).partition
    ?? (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
}

/** The partition `sagemaker-sample-files` exists in (S3 bucket names are unique per partition). */
export const SAMPLE_FILES_PARTITION = 'aws';

/** Why dataSource=sample-files cannot work outside that partition, and what to use instead. */
export const SAMPLE_FILES_ONLY_IN_AWS =
  'dataSource=sample-files copies from the public sagemaker-sample-files bucket, which exists only in the aws partition (not in China or GovCloud). ' +
  'Use -c dataSource=local -c dataLocalPath=<folder with the MNIST .gz files> or -c dataSource=s3 -c dataS3Uri=s3://<bucket in this region>/<prefix>/.';

/** Where the dataSource=s3 bucket is known to be: dataS3Region, else the region of its KMS key (S3 needs a key in the bucket's region). */
export function dataS3BucketRegion(s: MnistSettings): string | undefined {
  return s.dataS3Region ?? kmsKeyRegion(s.dataS3KmsKeyArn);
}

/** The region in a KMS key ARN that passed the setting's pattern. */
function kmsKeyRegion(keyArn: string | undefined): string | undefined {
  return keyArn ? KMS_KEY_ARN.exec(keyArn)?.[1] : undefined;
}

/** A known region code that a bucket name carries as a whole part (`sagemaker-us-west-2-123456789012`). */
function regionNamedIn(bucketName: string): string | undefined {
  return RegionInfo.regions.map((r) => r.name).find((r) => new RegExp(`(^|[.-])${r}($|[.-])`).test(bucketName));
}

/**
 * Checks that need the stack's region, for stacks whose region is known at synth time (a
 * region-agnostic template gets CloudFormation Rules instead, see TrainingData).
 */
export function validateSettingsForRegion(s: MnistSettings, region: string): void {
  if (s.dataSource === 'sample-files' && partitionOf(region) !== SAMPLE_FILES_PARTITION) {
    throw new SettingsError(`Setting dataSource=sample-files cannot work in ${region} (partition ${partitionOf(region)}): ${SAMPLE_FILES_ONLY_IN_AWS}`);
  }
  if (s.dataSource !== 's3' || !s.dataS3Uri) return;
  const bucketName = /^s3:\/\/([^/]+)\//.exec(s.dataS3Uri)![1];
  const known = dataS3BucketRegion(s);
  if (known && known !== region) {
    const from = s.dataS3Region ? `dataS3Region=${known}` : `dataS3KmsKeyArn is a key in ${known}, so the bucket is there too`;
    throw new SettingsError(`Setting dataS3Uri=${s.dataS3Uri}: the bucket is in ${known} (${from}) but the stack deploys to ${region}, and SageMaker reads training data only from its own region. Copy the data to a bucket in ${region}, or deploy the stack to ${known}.`);
  }
  const named = known ? undefined : regionNamedIn(bucketName);
  if (named && named !== region) {
    throw new SettingsError(`Setting dataS3Uri=${s.dataS3Uri}: the bucket's name says ${named} but the stack deploys to ${region}, and SageMaker reads training data only from its own region. Use a bucket in ${region}; if this bucket really is in ${region}, say so with -c dataS3Region=${region}.`);
  }
}

/** Settings that need less of a SageMaker quota, per use, quoted in quota errors (see lib/mnist/mnist-quotas.ts). */
export interface QuotaAdvice {
  readonly training: string;
  readonly realtimeEndpoint: string;
  readonly serverlessEndpoint: string;
}

/**
 * What to try when a quota is too low, for these settings: each option says which quota it needs
 * instead and claims "cheaper" only where it is (SageMaker's on-demand prices: ml.m5.xlarge below
 * ml.c5.2xlarge for training, ml.t2.medium about half of ml.m5.large for hosting; managed spot
 * training up to 90 % below on-demand).
 */
export function quotaAdvice(s: MnistSettings): QuotaAdvice {
  const trainingType = s.trainingInstanceType;
  const training: string[] = [];
  if (s.trainingInstanceCount > 1) {
    training.push(`-c trainingInstanceCount=1 (1 instance of this quota instead of ${s.trainingInstanceCount}; mnist.py trains on one host too, the epoch just takes longer)`);
  }
  if (trainingType !== 'ml.m5.xlarge') {
    const why = trainingType === 'ml.c5.2xlarge' ? '4 vCPUs instead of 8, cheaper per hour' : '4 vCPUs, 16 GiB, enough for MNIST';
    training.push(`-c trainingInstanceType=ml.m5.xlarge (${why}; its own quota 'ml.m5.xlarge for ${s.spotTraining ? 'spot ' : ''}training job usage')`);
  }
  training.push(s.spotTraining
    ? `-c spotTraining=false (on-demand, not cheaper; its own quota '${trainingType} for training job usage')`
    : `-c spotTraining=true (managed spot training, up to 90% cheaper, may wait for spare capacity; its own quota '${trainingType} for spot training job usage')`);

  const realtimeType = s.realtimeInstanceType;
  const realtime: string[] = [
    `-c pauseRealtimeEndpoint=true (no real-time instances at all: ${s.serverlessEndpoint
      ? 'the serverless endpoint serves alone, billed per request'
      : 'add -c serverlessEndpoint=true so that the serverless endpoint serves, billed per request'}; set it back to false once the quota is raised)`,
  ];
  if (realtimeType !== 'ml.t2.medium') {
    const noAutoscaling = s.realtimeMaxInstanceCount > s.realtimeInstanceCount ? ` -c realtimeMaxInstanceCount=${s.realtimeInstanceCount}` : '';
    const price = realtimeType === 'ml.m5.large' ? ', about half the hourly price of ml.m5.large' : '';
    realtime.push(`-c realtimeInstanceType=ml.t2.medium${noAutoscaling} (2 vCPUs, 4 GiB, enough for MNIST${price}${noAutoscaling ? '; burstable types do not autoscale' : ''}; its own quota 'ml.t2.medium for endpoint usage')`);
  }
  if (s.realtimeInstanceCount > 1) realtime.push(`-c realtimeInstanceCount=1 (1 instance of this quota instead of ${s.realtimeInstanceCount})`);

  const serverless: string[] = [];
  if (s.serverlessMaxConcurrency > 1) serverless.push(`-c serverlessMaxConcurrency=1 (1 of this quota instead of ${s.serverlessMaxConcurrency})`);
  if (deploysRealtimeEndpoint(s)) {
    serverless.push('-c serverlessEndpoint=false (serve from the real-time endpoint only; not cheaper: its instances bill by the hour)');
  }
  serverless.push('every serverless endpoint in the region counts against this quota, so deleting unused ones frees some');

  return { training: `${training.join('; ')}.`, realtimeEndpoint: `${realtime.join('; ')}.`, serverlessEndpoint: `${serverless.join('; ')}.` };
}
