/**
 * The MNIST app's settings: one typed object with defaults, read from CDK context
 * (`cdk.json` "context" or `cdk synth -c key=value`) and from code, then validated.
 * A bad value fails synth with an error that names the setting and what it accepts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Node } from 'constructs';
import { isGpuInstanceType } from './instance-types';
import { MAX_PROVIDER_TIMEOUT, TRAINING_JOB_MARGIN } from './sagemaker-training-job';
import { SERVERLESS_MEMORY_SIZES_MB } from './serverless-endpoint';

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
  readonly realtimeInstanceType: string;
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
  realtimeInstanceType: 'ml.m5.large',
  realtimeInstanceCount: 1,
  realtimeMaxInstanceCount: 1,
  realtimeMaxRequestsPerSecond: 20,
  dataCapturePercent: 0,
  serverlessEndpoint: true,
  serverlessMemoryMb: 2048,
  serverlessMaxConcurrency: 1,
  serverlessProvisionedConcurrency: 0,
  smokeTestOnDeploy: true,
  alarmEmail: undefined,
});

/**
 * The custom resource that waits for training gives up after one hour (CloudFormation's limit);
 * provisioning and uploading need minutes of that, so the job's own limits stay below (50).
 */
export const TRAINING_WAIT_LIMIT_MINUTES = MAX_PROVIDER_TIMEOUT.minus(TRAINING_JOB_MARGIN).toMinutes();

/** MNIST specifics of this app (not settings: changing them needs code changes elsewhere). */
export const MNIST = Object.freeze({
  modelCodeDirectory: path.join(__dirname, '..', 'model-code'),
  entryPoint: 'mnist.py',
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
  /** mnist.py's per-epoch test line (see README, model code); accuracy is a percentage 0..100. */
  metricDefinitions: [
    { name: 'test:loss', regex: 'Test set: Average loss: ([0-9.]+)' },
    { name: 'test:accuracy', regex: 'Test set: Average loss: [0-9.]+, Accuracy: [0-9]+/[0-9]+ \\(([0-9.]+)%\\)' },
  ],
  accuracyMetricName: 'test:accuracy',
});

/** Thrown for any bad setting; the message names the setting, the value and what is accepted. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

type Kind =
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number; oneOf?: readonly number[] }
  | { type: 'number'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string'; pattern: RegExp; describe: string; optional?: boolean }
  | { type: 'hyperparameters' };

const INSTANCE_TYPE = { type: 'string', pattern: /^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, describe: 'a SageMaker instance type such as ml.m5.large' } as const;
const IMAGE_TAG = { type: 'string', pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, describe: 'a Docker image tag such as 2.6.0-cpu-py312-ubuntu22.04-sagemaker' } as const;

const SCHEMA: { [K in keyof MnistSettings]-?: Kind } = {
  destroyBucketOnDelete: { type: 'boolean' },
  bucketEncryption: { type: 'enum', values: ['s3-managed', 'kms'] },
  dataSource: { type: 'enum', values: ['sample-files', 'local', 's3'] },
  dataLocalPath: { type: 'string', pattern: /^.+$/, describe: 'a folder path', optional: true },
  dataS3Uri: { type: 'string', pattern: /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.*\/)?$/, describe: 'an S3 prefix such as s3://my-bucket/mnist/ (ending in /)', optional: true },
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
  realtimeInstanceType: INSTANCE_TYPE,
  realtimeInstanceCount: { type: 'integer', min: 1, max: 100 },
  realtimeMaxInstanceCount: { type: 'integer', min: 1, max: 100 },
  realtimeMaxRequestsPerSecond: { type: 'integer', min: 1, max: 10000 },
  dataCapturePercent: { type: 'integer', min: 0, max: 100 },
  serverlessEndpoint: { type: 'boolean' },
  serverlessMemoryMb: { type: 'integer', min: 1024, max: 6144, oneOf: SERVERLESS_MEMORY_SIZES_MB },
  serverlessMaxConcurrency: { type: 'integer', min: 1, max: 200 },
  serverlessProvisionedConcurrency: { type: 'integer', min: 0, max: 200 },
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
    case 'hyperparameters': return 'a JSON object of names to numbers, booleans or strings without spaces or shell characters, e.g. {"epochs":2,"lr":0.02}';
  }
}

function fail(name: string, value: unknown, expected: string): never {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw new SettingsError(
    `Invalid setting ${name}=${shown}: expected ${expected}. Set it in cdk.json "context" or with -c ${name.split('.')[0]}=<value>.`,
  );
}

const HYPERPARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
/** The training toolkit joins `--key value` pairs through a shell unquoted: keep values shell-safe. */
const HYPERPARAMETER_STRING = /^[A-Za-z0-9_.:,/=+-]{1,256}$/;

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
  const result: Record<string, HyperparameterValue> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!HYPERPARAMETER_NAME.test(key) || key.startsWith('sagemaker_')) {
      fail(`${name}.${key}`, v, 'a name of letters, digits, _ and - that does not start with sagemaker_ (the toolkit drops those)');
    }
    const ok = typeof v === 'boolean'
      || (typeof v === 'number' && Number.isFinite(v))
      || (typeof v === 'string' && HYPERPARAMETER_STRING.test(v));
    if (!ok) fail(`${name}.${key}`, v, 'a number, a boolean or a string of letters, digits and _.:,/=+- (the toolkit passes values through a shell unquoted)');
    result[key] = v as HyperparameterValue;
  }
  return result;
}

function parseValue(name: string, kind: Kind, raw: unknown): unknown {
  switch (kind.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return fail(name, raw, allowed(kind));
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
    case 'string':
      if (typeof raw === 'string' && kind.pattern.test(raw)) return raw;
      return fail(name, raw, allowed(kind));
    case 'hyperparameters':
      return { ...DEFAULT_HYPERPARAMETERS, ...parseHyperparameters(name, raw) };
  }
}


function isNeuronInstanceType(instanceType: string): boolean {
  return /^ml\.(inf|trn)\d/.test(instanceType);
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
  for (const key of ['trainingInstanceType', 'realtimeInstanceType'] as const) {
    if (isNeuronInstanceType(s[key])) {
      throw new SettingsError(`Invalid setting ${key}=${s[key]}: Inferentia/Trainium instances need Neuron images; use a CPU (e.g. ml.m5.large) or GPU (ml.g*, ml.p*) instance type.`);
    }
  }
  if (s.realtimeMaxInstanceCount < s.realtimeInstanceCount) {
    throw new SettingsError(`Invalid setting realtimeMaxInstanceCount=${s.realtimeMaxInstanceCount}: expected at least realtimeInstanceCount (${s.realtimeInstanceCount}).`);
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
  if (s.dataCapturePercent > 0 && !s.realtimeEndpoint) {
    throw new SettingsError(`Invalid setting dataCapturePercent=${s.dataCapturePercent}: data capture needs the real-time endpoint (serverless endpoints do not support it); set -c realtimeEndpoint=true or -c dataCapturePercent=0.`);
  }
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

/** Levenshtein distance, for "did you mean" on misspelt setting names. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * A context key that is almost a setting's name (`-c trainingInstanceCout=1`) would otherwise be
 * ignored without a word: refuse it. Keys far from every setting (feature flags, other apps'
 * context such as `pipeline`) pass.
 */
function rejectMisspeltSettings(keys: string[]): void {
  for (const key of keys) {
    if (key.includes(':') || (SETTING_NAMES as string[]).includes(key)) continue;
    const near = SETTING_NAMES.find((name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= 2);
    if (near) throw new SettingsError(`Unknown setting ${key}: did you mean ${near}? (-c ${near}=<value>; the settings are listed in README.md, Configuration)`);
  }
}

/**
 * Resolve the settings: `overrides` (from code) over context (`cdk.json`, `-c`) over
 * defaults, each value parsed and checked, then checked together.
 */
export function resolveSettings(node: Node | undefined, overrides: MnistSettingsOverrides = {}): MnistSettings {
  rejectMisspeltSettings([...Object.keys(node?.getAllContext() ?? {}), ...Object.keys(overrides)]);
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
