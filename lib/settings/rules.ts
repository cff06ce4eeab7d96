/** The rules between settings, checked once every setting has passed its own (schema.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { mnistHyperparameters } from '../mnist/mnist-hyperparameters';
import { hyperparameterProblem, HyperparameterHelp } from './hyperparameter-declarations';
import { INSTANCE_TYPE_LIST_SOURCE, InstanceTypeUse, isBurstableInstanceType, isGpuInstanceType, isNeuronInstanceType, unlistedInstanceTypeProblem } from './instance-types';
import { kmsKeyRegion } from './region-rules';
import { rolloutSettingsProblem } from './rollout-settings';
import { TRAINING_WAIT_LIMIT_MINUTES } from './schema';
import { SettingsError } from './settings-error';
import { DEFAULT_HYPERPARAMETERS, HyperparameterValue, MnistSettings } from './settings';

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

function containsFile(folder: string, match: (name: string) => boolean, depth: number): boolean {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && match(entry.name)) return true;
    if (entry.isDirectory() && depth > 0 && containsFile(path.join(folder, entry.name), match, depth - 1)) return true;
  }
  return false;
}

/** Throws a {@link SettingsError} naming the settings that cannot work together. */
export function validateTogether(s: MnistSettings): void {
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
  const rolloutError = rolloutSettingsProblem(s);
  if (rolloutError) throw new SettingsError(rolloutError);
  if (s.dataCapturePercent > 0 && !s.realtimeEndpoint) {
    throw new SettingsError(`Invalid setting dataCapturePercent=${s.dataCapturePercent}: data capture needs the real-time endpoint (serverless endpoints do not support it); set -c realtimeEndpoint=true or -c dataCapturePercent=0.`);
  }
}
